package dev.smartmq.rocketmq.internal;

import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.rocketmq.internal.IsolationAwareSelector.Selection;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FailureScope;
import dev.smartmq.spi.TransportException;
import dev.smartmq.spi.TransportReceipt;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.rocketmq.client.Validators;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.remoting.exception.RemotingException;
import org.apache.rocketmq.remoting.protocol.body.ClusterInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The send path of the RocketMQ transport: input checks before any I/O ({@code INPUT} failures), bounded sync
 * and async sends, the retry of a keyless sync send that provably never reached a store, per-key queue choice
 * through the {@link IsolationAwareSelector}, and the attribution of every failure to a broker, a topic or the
 * cluster ({@link BrokerIsolation}, DESIGN.md §4).
 *
 * <p>Threads: safe for any number of callers; the producer is RocketMQ's (thread-safe), the no-route verdicts a
 * concurrent map. Async sends complete on RocketMQ's callback threads or on the future's timeout thread. The
 * transport checks its lifecycle before calling in.
 */
public final class RocketMQSender {
    private static final Logger LOG = LoggerFactory.getLogger(RocketMQSender.class);
    // Extra time an async future gets beyond its budget, so RocketMQ's own timeout (the better error) wins.
    private static final Duration ASYNC_GRACE = Duration.ofMillis(500);
    static final byte[] PROBE_BODY = "smartmq-probe".getBytes(StandardCharsets.UTF_8);
    // How long a "this topic has no route" verdict (asked of the name server) is reused for the same topic.
    private static final long NO_ROUTE_VERDICT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private record NoRouteVerdict(FailureScope scope, long atNanos) {
    }

    private final TransportSettings settings;
    private final DefaultMQProducer producer;
    private final BrokerIsolation isolation;
    private final IsolationAwareSelector selector;
    private final AsyncSendDeadlines deadlines;
    private final Map<String, NoRouteVerdict> noRouteVerdicts = new ConcurrentHashMap<>();

    public RocketMQSender(TransportSettings settings, DefaultMQProducer producer, BrokerIsolation isolation,
                          AsyncSendDeadlines deadlines) {
        this.settings = settings;
        this.deadlines = deadlines;
        this.producer = producer;
        this.isolation = isolation;
        this.selector = new IsolationAwareSelector(isolation);
    }

    /** {@link dev.smartmq.spi.PrimaryTransport#send}: bounded by {@code timeout}, failures classified. */
    public TransportReceipt send(Envelope envelope, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        long deadline = System.nanoTime() + timeout.toNanos();
        org.apache.rocketmq.common.message.Message msg = prepare(envelope);
        return doSend(envelope, msg, deadline, "send of " + envelope.id() + " to " + envelope.topic());
    }

    /** {@link dev.smartmq.spi.PrimaryTransport#sendAsync}; never blocks, every failure is in the future. */
    public CompletableFuture<TransportReceipt> sendAsync(Envelope envelope, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        CompletableFuture<TransportReceipt> future = new CompletableFuture<>();
        org.apache.rocketmq.common.message.Message msg;
        try {
            msg = prepare(envelope);
        } catch (RuntimeException e) {
            future.completeExceptionally(e);
            return future;
        }
        String what = "async send of " + envelope.id() + " to " + envelope.topic();
        // RocketMQ's own async mode: our executor (RocketMQ's asyncSenderExecutor) only looks up the route and
        // writes the request; the reply completes the callback on RocketMQ's callback threads. So as many sends
        // are in flight as callers start, not as many as there are executor threads.
        String topic = envelope.topic();
        Selection selection = Selection.of(envelope.message());
        SendCallback callback = new SendCallback() {
            @Override
            public void onSuccess(SendResult result) {
                try {
                    TransportReceipt r = receipt(result, what);
                    succeeded(selection);
                    future.complete(r);
                } catch (TransportException e) {
                    future.completeExceptionally(attribute(topic, selection, e, what));
                }
            }

            @Override
            public void onException(Throwable e) {
                future.completeExceptionally(attribute(topic, selection, e, what));
            }
        };
        try {
            long timeoutMillis = Math.max(1, timeout.toMillis());
            producer.send(msg, selector, selection, callback, timeoutMillis);
        } catch (MQClientException e) {
            if (e.getCause() instanceof RejectedExecutionException) {
                // Sends are backing up behind a slow MQ (or the transport is closing): that is the MQ's state.
                future.completeExceptionally(TransportException.infrastructure(
                        what + " rejected: " + settings.asyncSendQueueCapacity() + " async sends already queued", e));
            } else {
                future.completeExceptionally(attribute(topic, selection, e, what));
            }
            return future;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.completeExceptionally(FailureClassifier.toTransportException(what, e));
            return future;
        } catch (Exception e) {
            future.completeExceptionally(attribute(topic, selection, e, what));
            return future;
        }
        // Not orTimeout: see AsyncSendDeadlines (a lock-free sweep instead of the JDK's locked delay queue).
        deadlines.watch(future, System.nanoTime() + timeout.plus(ASYNC_GRACE).toNanos(),
                () -> attribute(topic, selection, TransportException.infrastructure(what + " timed out after "
                        + timeout, new TimeoutException("no answer within " + timeout.plus(ASYNC_GRACE))), what));
        return future;
    }

    /** {@link dev.smartmq.spi.PrimaryTransport#probe}: a sync send of a probe message to {@code probeTopic}. */
    public void probe(String probeTopic, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        org.apache.rocketmq.common.message.Message msg =
                new org.apache.rocketmq.common.message.Message(probeTopic, "probe", PROBE_BODY);
        try {
            Validators.checkMessage(msg, producer);
        } catch (MQClientException e) {
            throw FailureClassifier.input("probe of topic " + probeTopic, e);
        }
        doSend(null, msg, System.nanoTime() + timeout.toNanos(), "probe of topic " + probeTopic);
    }

    /** Pre-flight: every input check runs here, before any I/O, and anything it throws is INPUT. */
    private org.apache.rocketmq.common.message.Message prepare(Envelope envelope) {
        Objects.requireNonNull(envelope, "envelope");
        String what = "message " + envelope.id() + " to " + envelope.topic();
        try {
            MessageMapping.validate(envelope.message(), settings.maxBodySize(), settings.namespace());
            org.apache.rocketmq.common.message.Message msg = MessageMapping.toRocketMQ(envelope);
            // RocketMQ's own client-side rules, run here so that what they throw is known to be input.
            org.apache.rocketmq.common.message.Message check =
                    new org.apache.rocketmq.common.message.Message(producer.withNamespace(msg.getTopic()), msg.getBody());
            Validators.checkMessage(check, producer);
            return msg;
        } catch (InvalidMessageException | MQClientException | IllegalArgumentException e) {
            throw FailureClassifier.input(what, e);
        }
    }

    private TransportReceipt doSend(Envelope envelope, org.apache.rocketmq.common.message.Message msg, long deadline,
                                    String what) {
        long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (remainingMillis <= 0) {
            throw TransportException.infrastructure(what + " timed out before it started (queued too long)", null);
        }
        String key = envelope == null ? null : envelope.message().key();
        String topic = envelope == null ? msg.getTopic() : envelope.topic();
        Selection selection = envelope == null ? new Selection(null) : Selection.of(envelope.message());
        SendResult result;
        try {
            if (key != null) {
                result = producer.send(msg, selector, selection, remainingMillis);
            } else {
                result = sendKeyless(msg, topic, selection, deadline, remainingMillis, what);
            }
        } catch (Exception e) {
            // MQClientException, RemotingException, MQBrokerException, InterruptedException, runtime failures.
            throw attribute(topic, selection, e, what);
        }
        TransportReceipt r;
        try {
            r = receipt(result, what);
        } catch (TransportException e) {
            throw attribute(topic, selection, e, what);
        }
        succeeded(selection);
        return r;
    }

    private void succeeded(Selection selection) {
        MessageQueue q = selection.queue();
        if (q != null) {
            isolation.recordSuccess(q.getBrokerName());
        }
    }

    /**
     * The classified failure, with what it proves about the cluster (DESIGN.md §4): a keyed send refused because its
     * queue is on an isolated broker is {@link FailureScope#BROKER_ISOLATED}; a kind of message a healthy broker refuses
     * (a timer message without its timer wheel) is {@link FailureScope#MESSAGE_KIND}; a failure on a broker is scored by
     * {@link BrokerIsolation} ({@code BROKER} while other brokers of the topic serve, else {@code CLUSTER}); a topic
     * without a route is {@code TOPIC} when the name server answers that the topic has none, {@code CLUSTER} when
     * the name server cannot be reached.
     */
    private TransportException attribute(String topic, Selection selection, Throwable failure, String what) {
        String isolatedBroker = BrokerIsolatedException.brokerIn(failure);
        if (isolatedBroker != null) {
            return TransportException.infrastructure(FailureScope.BROKER_ISOLATED, isolatedBroker,
                    what + " not attempted: its queue lives on broker " + isolatedBroker + ", isolated locally", null);
        }
        TransportException te = FailureClassifier.toTransportException(what, failure);
        if (!te.isInfrastructure() || te.scope() != FailureScope.UNATTRIBUTED) {
            return te;
        }
        MessageQueue q = selection.queue();
        if (FailureClassifier.isMessageKindRefused(failure)) {
            // The broker is healthy and serves other messages: neither scored against it nor counted.
            return TransportException.infrastructure(FailureScope.MESSAGE_KIND, q == null ? null : q.getBrokerName(),
                    te.getMessage(), te.getCause() != null ? te.getCause() : failure);
        }
        Throwable cause = te.getCause() != null ? te.getCause() : failure == te ? null : failure;
        if (q != null) {
            FailureScope scope = isolation.recordFailure(topic, q.getBrokerName(), te.getMessage());
            return TransportException.infrastructure(scope, q.getBrokerName(), te.getMessage(), cause);
        }
        if (FailureClassifier.isNoRoute(failure)) {
            return TransportException.infrastructure(noRouteScope(topic), null, te.getMessage(), cause);
        }
        return te;
    }

    /**
     * What "no route" for {@code topic} proves (at most one name server question a second per topic): a topic this
     * transport has sent to before lost every broker that served it ({@code CLUSTER}); otherwise, if the name server
     * cannot be reached or lists no broker at all, the cluster is gone ({@code CLUSTER}); if it lists live brokers,
     * this one topic has no route: it was never created ({@code TOPIC}).
     */
    private FailureScope noRouteScope(String topic) {
        if (isolation.wasRouted(topic)) {
            return FailureScope.CLUSTER;
        }
        long now = System.nanoTime();
        NoRouteVerdict v = noRouteVerdicts.get(topic);
        if (v != null && now - v.atNanos() < NO_ROUTE_VERDICT_NANOS) {
            return v.scope();
        }
        FailureScope scope;
        try {
            ClusterInfo cluster = producer.getDefaultMQProducerImpl().getMqClientFactory().getMQClientAPIImpl()
                    .getBrokerClusterInfo(settings.nameServerTimeout().toMillis());
            boolean brokersAlive = cluster != null && cluster.getBrokerAddrTable() != null
                    && cluster.getBrokerAddrTable().values().stream()
                    .anyMatch(b -> b.getBrokerAddrs() != null && !b.getBrokerAddrs().isEmpty());
            scope = brokersAlive ? FailureScope.TOPIC : FailureScope.CLUSTER;
        } catch (RemotingException e) {
            scope = FailureScope.CLUSTER;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            scope = FailureScope.UNATTRIBUTED;
        } catch (MQBrokerException | RuntimeException e) {
            scope = FailureScope.UNATTRIBUTED; // cannot tell (e.g. the name server refused the question): counts
        }
        if (noRouteVerdicts.size() > 1_000) {
            noRouteVerdicts.clear();
        }
        noRouteVerdicts.put(topic, new NoRouteVerdict(scope, now));
        return scope;
    }

    /**
     * A keyless sync send with up to {@code retriesWhenSendFailed} more attempts inside the same budget, each
     * only after a failure that proves the request never reached a broker's store
     * ({@link FailureClassifier#neverReachedTheStore}); the failed broker is scored in {@link BrokerIsolation}, so
     * the next attempt goes to a healthy broker where there is one. A timeout is never retried: the broker may have stored the message, and the
     * engine's fallback is the retry.
     */
    private SendResult sendKeyless(org.apache.rocketmq.common.message.Message msg, String topic, Selection selection,
                                   long deadline, long firstAttemptMillis, String what) throws Exception {
        long budgetMillis = firstAttemptMillis;
        for (int attempt = 0; ; attempt++) {
            try {
                return producer.send(msg, selector, selection, budgetMillis);
            } catch (MQClientException | RemotingException | MQBrokerException e) {
                budgetMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (attempt >= settings.retriesWhenSendFailed() || budgetMillis <= 0 || !FailureClassifier.neverReachedTheStore(e)) {
                    throw e;
                }
                MessageQueue failed = selection.queue();
                if (failed != null) {
                    // Scored now, so the next pick avoids the broker; the last attempt is scored by the caller.
                    isolation.recordFailure(topic, failed.getBrokerName(), e.toString());
                }
                LOG.debug("{}: attempt {} never reached a broker ({}), retrying within the budget", what,
                        attempt + 1, e.toString());
            }
        }
    }

    /** The receipt of a send RocketMQ answered, or the classified failure if it was not stored safely. */
    private static TransportReceipt receipt(SendResult result, String what) {
        if (result == null || result.getSendStatus() == null) {
            throw TransportException.infrastructure(what + " returned no result", null);
        }
        if (result.getSendStatus() != SendStatus.SEND_OK) {
            throw new TransportException(FailureClassifier.classifyStatus(result.getSendStatus()),
                    what + " was stored by the master but not safely: " + result.getSendStatus()
                            + " (msgId " + result.getMsgId() + "; if it is also stored elsewhere, a consumer may see"
                            + " it twice)", null);
        }
        return new TransportReceipt(result.getMsgId());
    }
}
