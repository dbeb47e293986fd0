package dev.smartmq.rocketmq.internal;

import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.rocketmq.internal.IsolationAwareSelector.Selection;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FailureScope;
import dev.smartmq.spi.TransportException;
import dev.smartmq.spi.TransportReceipt;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.rocketmq.client.Validators;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.impl.producer.TopicPublishInfo;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.constant.PermName;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.remoting.exception.RemotingException;
import org.apache.rocketmq.remoting.protocol.body.ClusterInfo;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;
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
        return doSend(envelope, msg, deadline, null);
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
        // RocketMQ's own async mode: our executor (RocketMQ's asyncSenderExecutor) only looks up the route and
        // writes the request; the reply completes the callback on RocketMQ's callback threads. So as many sends
        // are in flight as callers start, not as many as there are executor threads.
        String topic = envelope.topic();
        Selection selection = Selection.of(envelope.message());
        SendCallback callback = new SendCallback() {
            @Override
            public void onSuccess(SendResult result) {
                try {
                    TransportReceipt r = receipt(result, envelope, ASYNC, null);
                    succeeded(selection);
                    future.complete(r);
                } catch (TransportException e) {
                    future.completeExceptionally(attribute(topic, selection, e, asyncWhat(envelope)));
                }
            }

            @Override
            public void onException(Throwable e) {
                future.completeExceptionally(failure(envelope, msg, topic, selection, e, asyncWhat(envelope)));
            }
        };
        try {
            long timeoutMillis = Math.max(1, timeout.toMillis());
            producer.send(msg, selector, selection, callback, timeoutMillis);
        } catch (MQClientException e) {
            TransportException input = inputFailure(envelope, msg);
            if (input != null) {
                future.completeExceptionally(input);
            } else if (e.getCause() instanceof RejectedExecutionException) {
                // Sends are backing up behind a slow MQ (or the transport is closing): that is the MQ's state.
                future.completeExceptionally(TransportException.infrastructure(asyncWhat(envelope) + " rejected: "
                        + settings.asyncSendQueueCapacity() + " async sends already queued", e).asNotStored());
            } else {
                future.completeExceptionally(attribute(topic, selection, e, asyncWhat(envelope)));
            }
            return future;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.completeExceptionally(FailureClassifier.toTransportException(asyncWhat(envelope), e));
            return future;
        } catch (Exception e) {
            future.completeExceptionally(failure(envelope, msg, topic, selection, e, asyncWhat(envelope)));
            return future;
        }
        // Not orTimeout: see AsyncSendDeadlines (a lock-free sweep instead of the JDK's locked delay queue).
        deadlines.watch(future, System.nanoTime() + timeout.plus(ASYNC_GRACE).toNanos(),
                () -> attribute(topic, selection, TransportException.infrastructure(asyncWhat(envelope)
                        + " timed out after " + timeout, new TimeoutException("no answer within "
                        + timeout.plus(ASYNC_GRACE))), asyncWhat(envelope)));
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

    /**
     * Pre-flight: SmartMQ's input checks run here, before any I/O, and anything they throw is INPUT. RocketMQ's own
     * client-side rules ({@code Validators.checkMessage}) are the first thing its {@code send} runs, also before any
     * I/O; what they throw there is recognised as INPUT by {@link #inputFailure} (they are not run twice).
     */
    private org.apache.rocketmq.common.message.Message prepare(Envelope envelope) {
        Objects.requireNonNull(envelope, "envelope");
        try {
            MessageMapping.validate(envelope.message(), settings.maxBodySize(), settings.namespace());
            return MessageMapping.toRocketMQ(envelope);
        } catch (InvalidMessageException | IllegalArgumentException e) {
            throw FailureClassifier.input(inputWhat(envelope), e);
        }
    }

    /**
     * Whether a failed send of {@code msg} failed on RocketMQ's client-side rules: they are a pure function of the
     * message and the producer's settings, and RocketMQ's {@code send} runs them before any I/O (its topic already
     * namespaced, as here), so running them again on a failure tells exactly. Returns the INPUT failure (the same
     * one the pre-flight step used to throw) or {@code null} when the message passes them.
     */
    private TransportException inputFailure(Envelope envelope, org.apache.rocketmq.common.message.Message msg) {
        org.apache.rocketmq.common.message.Message check =
                new org.apache.rocketmq.common.message.Message(producer.withNamespace(msg.getTopic()), msg.getBody());
        try {
            Validators.checkMessage(check, producer);
            return null;
        } catch (MQClientException e) {
            return FailureClassifier.input(inputWhat(envelope), e);
        }
    }

    /** A failed send's failure: INPUT if the message breaks RocketMQ's client-side rules, else {@link #attribute}. */
    private TransportException failure(Envelope envelope, org.apache.rocketmq.common.message.Message msg,
                                       String topic, Selection selection, Throwable e, String what) {
        if (envelope != null) {
            TransportException input = inputFailure(envelope, msg);
            if (input != null) {
                return input;
            }
        }
        return attribute(topic, selection, e, what);
    }

    // The descriptions of a send in failure messages: built only when a failure is.
    private static final boolean ASYNC = true;

    private static String inputWhat(Envelope envelope) {
        return "message " + envelope.id() + " to " + envelope.topic();
    }

    private static String syncWhat(Envelope envelope) {
        return "send of " + envelope.id() + " to " + envelope.topic();
    }

    private static String asyncWhat(Envelope envelope) {
        return "async " + syncWhat(envelope);
    }

    private static String what(Envelope envelope, String probeWhat) {
        return what(envelope, !ASYNC, probeWhat);
    }

    private static String what(Envelope envelope, boolean async, String probeWhat) {
        return envelope == null ? probeWhat : async ? asyncWhat(envelope) : syncWhat(envelope);
    }

    /** A sync send of an envelope's message, or of a probe ({@code envelope} null, described by {@code probeWhat}). */
    private TransportReceipt doSend(Envelope envelope, org.apache.rocketmq.common.message.Message msg, long deadline,
                                    String probeWhat) {
        long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (remainingMillis <= 0) {
            throw TransportException.infrastructure(what(envelope, probeWhat)
                    + " timed out before it started (queued too long)", null).asNotStored();
        }
        String key = envelope == null ? null : envelope.message().key();
        String topic = envelope == null ? msg.getTopic() : envelope.topic();
        Selection selection = envelope == null ? new Selection(null) : Selection.of(envelope.message());
        SendResult result;
        try {
            if (key != null) {
                result = producer.send(msg, selector, selection, remainingMillis);
            } else {
                result = sendKeyless(msg, topic, selection, deadline, remainingMillis, envelope, probeWhat);
            }
        } catch (Exception e) {
            // MQClientException, RemotingException, MQBrokerException, InterruptedException, runtime failures.
            throw failure(envelope, msg, topic, selection, e, what(envelope, probeWhat));
        }
        TransportReceipt r;
        try {
            r = receipt(result, envelope, !ASYNC, probeWhat);
        } catch (TransportException e) {
            throw attribute(topic, selection, e, what(envelope, probeWhat));
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
     * The classified failure, with what it proves about the cluster (DESIGN.md §4) and whether the MQ is known not to
     * have stored the message ({@link TransportException#notStored()}): a keyed send refused because its
     * queue is on an isolated broker is {@link FailureScope#BROKER_ISOLATED}; a kind of message a healthy broker refuses
     * (a timer message without its timer wheel) is {@link FailureScope#MESSAGE_KIND}; a failure on a broker is scored by
     * {@link BrokerIsolation} ({@code BROKER} while other brokers of the topic serve, else {@code CLUSTER}); a topic
     * without a route is {@code TOPIC} when the name server answers that the topic has none, {@code CLUSTER} when
     * the name server cannot be reached.
     */
    private TransportException attribute(String topic, Selection selection, Throwable failure, String what) {
        TransportException te = attributeScope(topic, selection, failure, what);
        // Known not stored: not attempted, refused by a healthy broker, no broker chosen, or refused before the store.
        boolean notStored = te.scope() == FailureScope.BROKER_ISOLATED || te.scope() == FailureScope.MESSAGE_KIND
                || FailureClassifier.isNoRoute(failure) || FailureClassifier.neverReachedTheStore(failure);
        return notStored ? te.asNotStored() : te;
    }

    private TransportException attributeScope(String topic, Selection selection, Throwable failure, String what) {
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
     * What "no route" for {@code topic} proves (at most one name server question a second per topic): for a topic this
     * transport has sent to before, see {@link #routedTopicScope}; otherwise, if the name server cannot be reached or
     * lists no broker at all, the cluster is gone ({@code CLUSTER}); if it lists live brokers, this one topic has no
     * route: it was never created ({@code TOPIC}).
     */
    private FailureScope noRouteScope(String topic) {
        long now = System.nanoTime();
        NoRouteVerdict v = noRouteVerdicts.get(topic);
        if (v != null && now - v.atNanos() < NO_ROUTE_VERDICT_NANOS) {
            return v.scope();
        }
        FailureScope scope = isolation.wasRouted(topic) ? routedTopicScope(topic) : neverRoutedTopicScope();
        if (noRouteVerdicts.size() > 1_000) {
            noRouteVerdicts.clear();
        }
        noRouteVerdicts.put(topic, new NoRouteVerdict(scope, now));
        return scope;
    }

    /**
     * "No route" for a topic this transport has sent to before: its brokers are gone ({@code CLUSTER}), unless the
     * name server still routes the topic to live brokers with none of its queues writable while one of those brokers
     * takes writes for another topic this producer uses (RocketMQ routes only writable queues; the producer's routes
     * of other topics show them): then an operator made this topic read-only ({@code updateTopicPerm}), which is the
     * topic's state ({@code TOPIC}). A broker made read-only as a whole shows no writable queue for any topic once the
     * producer's routes are refreshed: {@code CLUSTER} when it is the only one.
     */
    private FailureScope routedTopicScope(String topic) {
        String wrapped = producer.withNamespace(topic);
        TopicRouteData route;
        try {
            route = producer.getDefaultMQProducerImpl().getMqClientFactory().getMQClientAPIImpl()
                    .getTopicRouteInfoFromNameServer(wrapped, settings.nameServerTimeout().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return FailureScope.CLUSTER;
        } catch (MQClientException | RemotingException | RuntimeException e) {
            return FailureScope.CLUSTER;
        }
        if (route == null || route.getQueueDatas() == null || route.getQueueDatas().isEmpty()
                || route.getQueueDatas().stream().anyMatch(q -> PermName.isWriteable(q.getPerm()))) {
            return FailureScope.CLUSTER;
        }
        Set<String> liveBrokers = new HashSet<>();
        if (route.getBrokerDatas() != null) {
            route.getBrokerDatas().stream().filter(b -> b.getBrokerAddrs() != null && !b.getBrokerAddrs().isEmpty())
                    .forEach(b -> liveBrokers.add(b.getBrokerName()));
        }
        for (Map.Entry<String, TopicPublishInfo> e : producer.getDefaultMQProducerImpl().getTopicPublishInfoTable()
                .entrySet()) {
            if (!e.getKey().equals(wrapped) && e.getValue() != null && e.getValue().ok()
                    && e.getValue().getMessageQueueList().stream().anyMatch(q -> liveBrokers.contains(q.getBrokerName()))) {
                return FailureScope.TOPIC;
            }
        }
        return FailureScope.CLUSTER;
    }

    /**
     * "No route" for a topic never sent to: {@code TOPIC} (never created) if the name server lists live brokers,
     * {@code CLUSTER} if it lists none or cannot be reached.
     */
    private FailureScope neverRoutedTopicScope() {
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
                                   long deadline, long firstAttemptMillis, Envelope envelope, String probeWhat)
            throws Exception {
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
                if (LOG.isDebugEnabled()) {
                    LOG.debug("{}: attempt {} never reached a broker ({}), retrying within the budget",
                            what(envelope, probeWhat), attempt + 1, e.toString());
                }
            }
        }
    }

    /**
     * The receipt of a send RocketMQ answered, or the classified failure if it was not stored safely; the send is
     * {@code envelope}'s ({@code async} or not) or, with {@code envelope} null, the probe {@code probeWhat}.
     */
    private static TransportReceipt receipt(SendResult result, Envelope envelope, boolean async, String probeWhat) {
        if (result == null || result.getSendStatus() == null) {
            throw TransportException.infrastructure(what(envelope, async, probeWhat) + " returned no result", null);
        }
        if (result.getSendStatus() != SendStatus.SEND_OK) {
            throw new TransportException(FailureClassifier.classifyStatus(result.getSendStatus()),
                    what(envelope, async, probeWhat) + " was stored by the master but not safely: " + result.getSendStatus()
                            + " (msgId " + result.getMsgId() + "; if it is also stored elsewhere, a consumer may see"
                            + " it twice)", null);
        }
        return new TransportReceipt(result.getMsgId());
    }
}
