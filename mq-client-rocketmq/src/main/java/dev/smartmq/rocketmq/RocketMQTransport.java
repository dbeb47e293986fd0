package dev.smartmq.rocketmq;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.api.Subscription;
import dev.smartmq.rocketmq.internal.BrokerIsolatedException;
import dev.smartmq.rocketmq.internal.BrokerIsolation;
import dev.smartmq.rocketmq.internal.ClientSettings;
import dev.smartmq.rocketmq.internal.FailureClassifier;
import dev.smartmq.rocketmq.internal.GroupConsumer;
import dev.smartmq.rocketmq.internal.IsolationAwareSelector;
import dev.smartmq.rocketmq.internal.AsyncSendDeadlines;
import dev.smartmq.rocketmq.internal.IsolationAwareSelector.Selection;
import dev.smartmq.rocketmq.internal.MessageMapping;
import dev.smartmq.spi.BrokerHealthListener;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FailureScope;
import dev.smartmq.spi.PrimaryTransport;
import dev.smartmq.spi.TransportException;
import dev.smartmq.spi.TransportListener;
import dev.smartmq.spi.TransportReceipt;
import dev.smartmq.spi.TransportSubscription;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.apache.rocketmq.acl.common.AclClientRPCHook;
import org.apache.rocketmq.acl.common.SessionCredentials;
import org.apache.rocketmq.client.Validators;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.impl.factory.MQClientInstance;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.constant.PermName;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.remoting.protocol.body.ClusterInfo;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;
import org.apache.rocketmq.remoting.exception.RemotingException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SmartMQ's primary transport on Apache RocketMQ 5 (the remoting client: {@code DefaultMQProducer} and
 * {@code DefaultMQPushConsumer}).
 *
 * <pre>{@code
 * RocketMQTransport transport = RocketMQTransport.builder()
 *         .nameServer("10.0.0.1:9876;10.0.0.2:9876")
 *         .producerGroup("orders-service")
 *         .aclCredentials(accessKey, secretKey)      // optional
 *         .build();
 * transport.start();   // the engine does this; then send / subscribe / probe; close() at the end
 * }</pre>
 *
 * <p>What it guarantees:
 * <ul>
 *   <li><b>Classified failures.</b> Every failure is a {@link TransportException} whose kind comes from
 *       {@link FailureClassifier} (table in the module README): {@code INPUT} only when the message itself was
 *       rejected, before any I/O where possible; everything else is {@code INFRASTRUCTURE}.</li>
 *   <li><b>Bounded sends.</b> A sync send passes its whole budget to RocketMQ as {@code sendMsgTimeout}
 *       (which covers its retries) and each name server call is bounded by {@link Builder#nameServerTimeout};
 *       RocketMQ checks the budget before every attempt, so a dead cluster fails in about the budget (at worst
 *       the budget or two name server timeouts, whichever is longer). {@link #sendAsync} never blocks the
 *       caller: it uses RocketMQ's async mode with this transport's own bounded executor (threads
 *       {@code smartmq-rocketmq-async-<n>}) for the route lookup and the write, so a slow name server never
 *       blocks the caller and the number of sends in flight is not capped by the thread count; its future
 *       completes within the budget plus a short grace period.</li>
 *   <li><b>Per-key order.</b> A message with a key goes to queue {@code hash(key) mod queueCount} of the
 *       topic's route (RocketMQ's ordered-message pattern), so an {@code ORDERED} subscription sees each key's
 *       messages in send order. Keyless messages use RocketMQ's default queue choice with latency fault
 *       tolerance (slow or failing brokers are avoided for a while).</li>
 *   <li><b>Isolation.</b> Each transport has a unique RocketMQ instance name, hence its own
 *       {@code MQClientInstance}: two transports in one JVM never share connections, routes or lifecycle.</li>
 *   <li><b>Secrets.</b> ACL credentials go to RocketMQ's {@code AclClientRPCHook}; {@link #toString()} and
 *       every log line mask them.</li>
 * </ul>
 *
 * <p>Lifecycle: {@link #start()} once, then use from any thread, then {@link #close()} (idempotent), which shuts
 * down the producer, every push consumer and the async executor this transport created.
 */
public final class RocketMQTransport implements PrimaryTransport {

    /** Default of {@link Builder#producerGroup(String)}. */
    public static final String DEFAULT_PRODUCER_GROUP = "smartmq-producer";
    /** Default of {@link Builder#sendTimeout(Duration)}: RocketMQ's own default. */
    public static final Duration DEFAULT_SEND_TIMEOUT = Duration.ofSeconds(3);
    /** Default of {@link Builder#nameServerTimeout(Duration)}. */
    public static final Duration DEFAULT_NAME_SERVER_TIMEOUT = Duration.ofSeconds(1);
    /** Default of {@link Builder#routeRefreshInterval(Duration)}: RocketMQ's own default. */
    public static final Duration DEFAULT_ROUTE_REFRESH_INTERVAL = Duration.ofSeconds(30);
    /** Default of {@link Builder#retriesWhenSendFailed(int)}: RocketMQ's own default count. */
    public static final int DEFAULT_RETRIES_WHEN_SEND_FAILED = 2;
    /** Default of {@link Builder#maxBodySize(int)}: RocketMQ's own limit. */
    public static final int DEFAULT_MAX_BODY_SIZE = 4 * 1024 * 1024;
    /** Default of {@link Builder#asyncSendThreads(int)}. */
    public static final int DEFAULT_ASYNC_SEND_THREADS = 4;
    /** Default of {@link Builder#asyncSendQueueCapacity(int)}. */
    public static final int DEFAULT_ASYNC_SEND_QUEUE_CAPACITY = 10_000;
    /** Default of {@link Builder#consumeFrom(ConsumeFrom)}: RocketMQ's own default. */
    public static final ConsumeFrom DEFAULT_CONSUME_FROM = ConsumeFrom.LAST_OFFSET;
    /** Default of {@link Builder#consumeThreads(int)}. */
    public static final int DEFAULT_CONSUME_THREADS = 8;
    /** Default of {@link Builder#brokerIsolationThreshold(int)}. */
    public static final int DEFAULT_BROKER_ISOLATION_THRESHOLD = 3;

    private static final Logger LOG = LoggerFactory.getLogger(RocketMQTransport.class);
    private static final Pattern GROUP = Pattern.compile("[A-Za-z0-9_-]{1,120}");
    private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    // Extra time an async future gets beyond its budget, so RocketMQ's own timeout (the better error) wins.
    private static final Duration ASYNC_GRACE = Duration.ofMillis(500);
    // How often async sends past budget + grace are looked for (a deadline fires up to this late).
    private static final long ASYNC_DEADLINE_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final byte[] PROBE_BODY = "smartmq-probe".getBytes(StandardCharsets.UTF_8);
    // How long a "this topic has no route" verdict (asked of the name server) is reused for the same topic.
    private static final long NO_ROUTE_VERDICT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private enum State { LATENT, STARTED, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final Builder config;
    private final ClientSettings settings;
    private final DefaultMQProducer producer;
    private final ThreadPoolExecutor asyncExecutor;
    private final AsyncSendDeadlines deadlines;
    private final Map<String, GroupConsumer> consumers = new ConcurrentHashMap<>();
    private final BrokerIsolation isolation;
    private final IsolationAwareSelector selector;
    private final Map<String, NoRouteVerdict> noRouteVerdicts = new ConcurrentHashMap<>();

    private record NoRouteVerdict(FailureScope scope, long atNanos) {
    }

    private RocketMQTransport(Builder b) {
        this.config = b.copy();
        String instanceName = "smartmq-" + ProcessHandle.current().pid() + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        this.settings = new ClientSettings(b.nameServer, b.namespace, instanceName,
                b.accessKey == null ? null : new AclClientRPCHook(new SessionCredentials(b.accessKey, b.secretKey)),
                b.nameServerTimeout, b.routeRefreshInterval);
        this.producer = new DefaultMQProducer(b.producerGroup, settings.rpcHook());
        settings.applyTo(producer);
        producer.setSendMsgTimeout((int) b.sendTimeout.toMillis());
        // RocketMQ's own sync retry re-sends after a timeout too (with what is left of the budget), which makes a
        // copy the engine cannot see; the transport retries itself, only when the request never reached a store.
        producer.setRetryTimesWhenSendFailed(0);
        // Never let RocketMQ retry an async send: it re-sends a timed-out request (so a hung broker that comes
        // back stores the message twice or three times, after the engine already put it in the fallback), and a
        // retry goes to another queue, even for a keyed send (breaking per-key order). The engine's failover is
        // the retry. RocketMQTransportFaultIT counts the copies a hung broker ends up with.
        producer.setRetryTimesWhenSendAsyncFailed(0);
        producer.setMaxMessageSize(b.maxBodySize);
        producer.setSendLatencyFaultEnable(true);
        AtomicInteger threads = new AtomicInteger();
        this.asyncExecutor = new ThreadPoolExecutor(b.asyncSendThreads, b.asyncSendThreads, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(b.asyncSendQueueCapacity), r -> {
                    Thread t = new Thread(r, "smartmq-rocketmq-async-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        asyncExecutor.allowCoreThreadTimeOut(true);
        producer.setAsyncSenderExecutor(asyncExecutor);
        this.deadlines = new AsyncSendDeadlines(ASYNC_DEADLINE_TICK_NANOS, "smartmq-rocketmq-deadlines-1");
        this.isolation = new BrokerIsolation(b.brokerIsolationThreshold, System::nanoTime);
        this.selector = new IsolationAwareSelector(isolation);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The RocketMQ instance name of this transport's clients ({@code smartmq-<pid>-<random>}). */
    public String instanceName() {
        return settings.instanceName();
    }

    @Override
    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("RocketMQTransport already " + state.get().name().toLowerCase());
        }
        try {
            producer.start();
            deadlines.start();
        } catch (MQClientException e) {
            state.set(State.CLOSED);
            asyncExecutor.shutdownNow();
            deadlines.close();
            throw new ConfigurationException("RocketMQ producer did not start: " + e.getErrorMessage());
        }
        LOG.info("RocketMQ transport started: {}", this);
    }

    @Override
    public void validate(Message message) {
        MessageMapping.validate(message, config.maxBodySize, config.namespace);
    }

    @Override
    public TransportReceipt send(Envelope envelope, Duration timeout) {
        checkStarted();
        Objects.requireNonNull(timeout, "timeout");
        long deadline = System.nanoTime() + timeout.toNanos();
        org.apache.rocketmq.common.message.Message msg = prepare(envelope);
        return doSend(envelope, msg, deadline, "send of " + envelope.id() + " to " + envelope.topic());
    }

    @Override
    public CompletableFuture<TransportReceipt> sendAsync(Envelope envelope, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        CompletableFuture<TransportReceipt> future = new CompletableFuture<>();
        org.apache.rocketmq.common.message.Message msg;
        try {
            checkStarted();
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
        Selection selection = new Selection(envelope.message().key());
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
                        what + " rejected: " + config.asyncSendQueueCapacity + " async sends already queued", e));
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
        deadlines.watch(future, System.nanoTime() + timeout.plus(ASYNC_GRACE).toNanos(),
                () -> attribute(topic, selection, TransportException.infrastructure(what + " timed out after "
                        + timeout, new TimeoutException("no answer within " + timeout.plus(ASYNC_GRACE))), what));
        return future;
    }

    @Override
    public TransportSubscription subscribe(Subscription subscription, TransportListener listener) {
        checkStarted();
        Objects.requireNonNull(subscription, "subscription");
        Objects.requireNonNull(listener, "listener");
        synchronized (consumers) {
            GroupConsumer group = consumers.get(subscription.group());
            if (group != null && group.isEmpty()) {
                consumers.remove(subscription.group());
                group = null;
            }
            if (group == null) {
                group = new GroupConsumer(subscription.group(), subscription.ordering(), settings,
                        config.consumeFrom, config.consumeThreads, listener.redelivery());
                consumers.put(subscription.group(), group);
            }
            try {
                return group.add(subscription, listener);
            } finally {
                if (group.isEmpty()) {
                    consumers.remove(subscription.group());
                    group.close();
                }
            }
        }
    }

    @Override
    public void probe(String probeTopic, Duration timeout) {
        checkStarted();
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
     * Makes sure {@code topic} (typically {@code SmartMQConfig.probeTopic()}) exists: if the name server knows it,
     * nothing happens; if not, a probe message is sent, which creates it when the broker auto-creates topics. Call it
     * at start-up, after {@link #start()}: without the probe topic the MQ is never found healthy again after a degrade.
     *
     * @return whether the topic was created now
     * @throws ConfigurationException naming the topic and the {@code mqadmin updateTopic} command, if it does not exist
     *                                and the broker does not create topics
     * @throws TransportException     ({@code INFRASTRUCTURE}) if the name server or the brokers cannot be asked
     */
    public boolean ensureTopic(String topic, Duration timeout) {
        checkStarted();
        Objects.requireNonNull(timeout, "timeout");
        String ns = config.namespace;
        String wrapped = ns == null ? topic : org.apache.rocketmq.remoting.protocol.NamespaceUtil.wrapNamespace(ns, topic);
        var api = producer.getDefaultMQProducerImpl().getMqClientFactory().getMQClientAPIImpl();
        try {
            api.getTopicRouteInfoFromNameServer(wrapped, timeout.toMillis());
            return false;
        } catch (MQClientException e) {
            if (e.getResponseCode() != org.apache.rocketmq.remoting.protocol.ResponseCode.TOPIC_NOT_EXIST) {
                throw TransportException.infrastructure("looking up topic " + topic + ": " + e.getErrorMessage(), e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw TransportException.infrastructure("looking up topic " + topic, e);
        } catch (Exception e) {
            throw TransportException.infrastructure("looking up topic " + topic + ": " + e, e);
        }
        try {
            probe(topic, timeout);
        } catch (TransportException e) {
            if (String.valueOf(e.getMessage()).contains("No route info")
                    || (e.getCause() != null && String.valueOf(e.getCause().getMessage()).contains("No route info"))) {
                throw new ConfigurationException("topic '" + wrapped + "' does not exist and the broker does not create"
                        + " topics automatically (autoCreateTopicEnable=false); create it: mqadmin updateTopic -n "
                        + config.nameServer + " -c <cluster> -t " + wrapped);
            }
            throw e;
        }
        LOG.info("topic {} did not exist; created by a probe send (the broker auto-creates topics)", wrapped);
        return true;
    }

    /**
     * The consumer groups the brokers of {@code topic} know for it (online, or with committed offsets), without the
     * RocketMQ namespace; what {@link MigrationGuard} compares with SmartMQ's registry. Additive, read-only: one
     * route lookup, then one query per broker of the route, each bounded by {@code timeout}.
     *
     * @throws TransportException ({@code INFRASTRUCTURE}) if the route or a broker cannot be asked
     */
    public java.util.Set<String> brokerConsumerGroups(String topic, Duration timeout) {
        checkStarted();
        Objects.requireNonNull(timeout, "timeout");
        String ns = config.namespace;
        String wrapped = ns == null ? topic : org.apache.rocketmq.remoting.protocol.NamespaceUtil.wrapNamespace(ns, topic);
        var api = producer.getDefaultMQProducerImpl().getMqClientFactory().getMQClientAPIImpl();
        java.util.Set<String> groups = new java.util.TreeSet<>();
        try {
            var route = api.getTopicRouteInfoFromNameServer(wrapped, timeout.toMillis());
            for (var broker : route.getBrokerDatas()) {
                String addr = broker.selectBrokerAddr();
                if (addr == null) {
                    continue;
                }
                for (String g : api.queryTopicConsumeByWho(addr, wrapped, timeout.toMillis()).getGroupList()) {
                    groups.add(ns == null ? g : org.apache.rocketmq.remoting.protocol.NamespaceUtil.withoutNamespace(g, ns));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw TransportException.infrastructure("asking the brokers of " + topic + " for its groups", e);
        } catch (Exception e) {
            throw TransportException.infrastructure("asking the brokers of " + topic + " for its groups: " + e, e);
        }
        return groups;
    }

    @Override
    public void brokerHealthListener(BrokerHealthListener listener) {
        isolation.listener(listener);
    }

    @Override
    public Set<String> isolatedBrokers() {
        return isolation.isolatedNames();
    }

    /**
     * Probes each locally isolated broker: refreshes the routes it served from the name server, then sends a probe
     * message to a queue of {@code probeTopic} on that broker (or, if the probe topic has no queue there, reads a
     * queue offset from it). Re-admits the broker when the probe succeeds and every topic it was isolated for lists
     * it again, so its keys find their queues. A broker out of every route for
     * {@link BrokerIsolation#FORGET_AFTER_NANOS} is forgotten.
     */
    @Override
    public void probeIsolatedBrokers(String probeTopic, Duration timeout) {
        if (state.get() != State.STARTED) {
            return;
        }
        MQClientInstance factory = producer.getDefaultMQProducerImpl().getMqClientFactory();
        for (BrokerIsolation.Isolated i : isolation.isolated()) {
            String broker = i.broker();
            refreshRoute(factory, probeTopic);
            i.topics().forEach(t -> refreshRoute(factory, t));
            boolean probeTopicThere = routeHas(factory, probeTopic, broker);
            String readTopic = i.topics().stream().filter(t -> routeHas(factory, t, broker)).findFirst().orElse(null);
            if (!probeTopicThere && readTopic == null) {
                if (isolation.isolatedLongerThanForgetTime(i)) {
                    isolation.readmit(broker, "forgotten: out of every route for "
                            + TimeUnit.NANOSECONDS.toMinutes(BrokerIsolation.FORGET_AFTER_NANOS) + " minutes");
                }
                continue;
            }
            try {
                if (probeTopicThere) {
                    probeBroker(probeTopic, broker, timeout);
                } else {
                    String addr = factory.findBrokerAddressInPublish(broker);
                    if (addr == null) {
                        continue;
                    }
                    factory.getMQClientAPIImpl().getMaxOffset(addr,
                            new MessageQueue(producer.withNamespace(readTopic), broker, 0),
                            Math.max(1, timeout.toMillis()));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                LOG.debug("probe of isolated broker {} failed: {}", broker, e.toString());
                continue;
            }
            boolean everyTopicListsIt = i.topics().stream()
                    .allMatch(t -> routeHas(factory, t, broker) || !hasRoute(factory, t));
            if (everyTopicListsIt) {
                isolation.readmit(broker, (probeTopicThere ? "a probe of " + probeTopic : "an offset read of " + readTopic)
                        + " on it succeeded");
            }
        }
    }

    private void probeBroker(String probeTopic, String broker, Duration timeout) throws Exception {
        org.apache.rocketmq.common.message.Message msg =
                new org.apache.rocketmq.common.message.Message(probeTopic, "probe", PROBE_BODY);
        SendResult r = producer.send(msg, (queues, m, arg) -> queues.stream()
                .filter(q -> q.getBrokerName().equals(broker)).findFirst()
                .orElseThrow(() -> new IllegalStateException(probeTopic + " has no queue on " + broker)),
                null, Math.max(1, timeout.toMillis()));
        if (r == null || r.getSendStatus() != SendStatus.SEND_OK) {
            throw new IllegalStateException("probe of " + broker + " returned " + (r == null ? null : r.getSendStatus()));
        }
    }

    private void refreshRoute(MQClientInstance factory, String topic) {
        try {
            factory.updateTopicRouteInfoFromNameServer(producer.withNamespace(topic));
        } catch (RuntimeException e) {
            LOG.debug("route refresh of {} failed: {}", topic, e.toString());
        }
    }

    private boolean hasRoute(MQClientInstance factory, String topic) {
        return factory.getTopicRouteTable().get(producer.withNamespace(topic)) != null;
    }

    private boolean routeHas(MQClientInstance factory, String topic, String broker) {
        TopicRouteData route = factory.getTopicRouteTable().get(producer.withNamespace(topic));
        return route != null && route.getQueueDatas().stream().anyMatch(q -> q.getBrokerName().equals(broker)
                && PermName.isWriteable(q.getPerm()) && q.getWriteQueueNums() > 0);
    }

    @Override
    public void close() {
        State previous = state.getAndSet(State.CLOSED);
        if (previous == State.CLOSED) {
            return;
        }
        asyncExecutor.shutdown();
        synchronized (consumers) {
            consumers.values().forEach(GroupConsumer::close);
            consumers.clear();
        }
        if (previous == State.STARTED) {
            try {
                // Queued async sends get their timeout at most; RocketMQ fails them once the producer is down.
                if (!asyncExecutor.awaitTermination(config.sendTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warn("async sends still running at close; they fail as the producer shuts down");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            producer.shutdown();
        }
        asyncExecutor.shutdownNow();
        deadlines.close();
        LOG.info("RocketMQ transport closed: {}", settings.instanceName());
    }

    @Override
    public String toString() {
        return "RocketMQTransport{" + config + ", instanceName=" + settings.instanceName() + ", state="
                + state.get() + "}";
    }

    /** Pre-flight: every input check runs here, before any I/O, and anything it throws is INPUT. */
    private org.apache.rocketmq.common.message.Message prepare(Envelope envelope) {
        Objects.requireNonNull(envelope, "envelope");
        String what = "message " + envelope.id() + " to " + envelope.topic();
        try {
            validate(envelope.message());
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
        Selection selection = new Selection(key);
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
     * queue is on an isolated broker is {@link FailureScope#BROKER_ISOLATED}; a failure on a broker is scored by
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
                    .getBrokerClusterInfo(config.nameServerTimeout.toMillis());
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
                if (attempt >= config.retriesWhenSendFailed || budgetMillis <= 0 || !FailureClassifier.neverReachedTheStore(e)) {
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

    private void checkStarted() {
        State s = state.get();
        if (s != State.STARTED) {
            throw new IllegalStateException("RocketMQTransport is " + s.name().toLowerCase() + ", not started");
        }
    }

    /**
     * Builds a {@link RocketMQTransport}. Every setter validates its value and names the field and the bad
     * value; {@link #build()} checks what is required. {@link #toString()} never shows the secret key.
     */
    public static final class Builder {
        private String nameServer;
        private String producerGroup = DEFAULT_PRODUCER_GROUP;
        private String namespace;
        private String accessKey;
        private String secretKey;
        private Duration sendTimeout = DEFAULT_SEND_TIMEOUT;
        private Duration nameServerTimeout = DEFAULT_NAME_SERVER_TIMEOUT;
        private Duration routeRefreshInterval = DEFAULT_ROUTE_REFRESH_INTERVAL;
        private int retriesWhenSendFailed = DEFAULT_RETRIES_WHEN_SEND_FAILED;
        private int maxBodySize = DEFAULT_MAX_BODY_SIZE;
        private int asyncSendThreads = DEFAULT_ASYNC_SEND_THREADS;
        private int asyncSendQueueCapacity = DEFAULT_ASYNC_SEND_QUEUE_CAPACITY;
        private ConsumeFrom consumeFrom = DEFAULT_CONSUME_FROM;
        private int consumeThreads = DEFAULT_CONSUME_THREADS;
        private int brokerIsolationThreshold = DEFAULT_BROKER_ISOLATION_THRESHOLD;

        private Builder() {
        }

        private Builder copy() {
            Builder c = new Builder();
            c.nameServer = nameServer;
            c.producerGroup = producerGroup;
            c.namespace = namespace;
            c.accessKey = accessKey;
            c.secretKey = secretKey;
            c.sendTimeout = sendTimeout;
            c.nameServerTimeout = nameServerTimeout;
            c.routeRefreshInterval = routeRefreshInterval;
            c.retriesWhenSendFailed = retriesWhenSendFailed;
            c.maxBodySize = maxBodySize;
            c.asyncSendThreads = asyncSendThreads;
            c.asyncSendQueueCapacity = asyncSendQueueCapacity;
            c.consumeFrom = consumeFrom;
            c.consumeThreads = consumeThreads;
            c.brokerIsolationThreshold = brokerIsolationThreshold;
            return c;
        }

        /** Name server address(es), {@code host:port} separated by {@code ;}. Required. */
        public Builder nameServer(String nameServer) {
            ConfigurationException.check(nameServer != null && !nameServer.isBlank()
                            && nameServer.matches("[^;\\s]+:\\d+(;[^;\\s]+:\\d+)*"), "nameServer", nameServer,
                    "must be host:port[;host:port...]");
            this.nameServer = nameServer;
            return this;
        }

        /** RocketMQ producer group ({@value #DEFAULT_PRODUCER_GROUP} by default). */
        public Builder producerGroup(String producerGroup) {
            ConfigurationException.check(producerGroup != null && GROUP.matcher(producerGroup).matches(),
                    "producerGroup", producerGroup, "must be 1-120 characters of [A-Za-z0-9_-]");
            this.producerGroup = producerGroup;
            return this;
        }

        /** RocketMQ namespace prepended to topics and groups, or {@code null} for none. */
        public Builder namespace(String namespace) {
            ConfigurationException.check(namespace == null || NAMESPACE.matcher(namespace).matches(), "namespace",
                    namespace, "must be null or 1-64 characters of [A-Za-z0-9_-]");
            this.namespace = namespace;
            return this;
        }

        /** RocketMQ ACL credentials (sent through {@code AclClientRPCHook}); never logged. */
        public Builder aclCredentials(String accessKey, String secretKey) {
            ConfigurationException.check(accessKey != null && !accessKey.isBlank(), "accessKey", accessKey,
                    "must not be blank");
            ConfigurationException.check(secretKey != null && !secretKey.isBlank(), "secretKey",
                    secretKey == null ? null : "<masked>", "must not be blank");
            this.accessKey = accessKey;
            this.secretKey = secretKey;
            return this;
        }

        /** RocketMQ's {@code sendMsgTimeout}, used when no per-call budget is given; 100 ms to 60 s. */
        public Builder sendTimeout(Duration sendTimeout) {
            ConfigurationException.check(between(sendTimeout, Duration.ofMillis(100), Duration.ofSeconds(60)),
                    "sendTimeout", sendTimeout, "must be between 100 ms and 60 s");
            this.sendTimeout = sendTimeout;
            return this;
        }

        /** Timeout of one name server call (route lookup); 100 ms to 30 s. */
        public Builder nameServerTimeout(Duration nameServerTimeout) {
            ConfigurationException.check(between(nameServerTimeout, Duration.ofMillis(100), Duration.ofSeconds(30)),
                    "nameServerTimeout", nameServerTimeout, "must be between 100 ms and 30 s");
            this.nameServerTimeout = nameServerTimeout;
            return this;
        }

        /** How often clients re-read routes from the name server; 500 ms to 10 min. */
        public Builder routeRefreshInterval(Duration interval) {
            ConfigurationException.check(between(interval, Duration.ofMillis(500), Duration.ofMinutes(10)),
                    "routeRefreshInterval", interval, "must be between 500 ms and 10 min");
            this.routeRefreshInterval = interval;
            return this;
        }

        /**
         * Retries of a keyless sync send that failed in a way proving no broker stored it (connection refused,
         * or the broker refused the request), within the same budget and on another broker where there is one;
         * 0-5. Timeouts, keyed sends and async sends are never retried: a retry could store a second copy, and
         * the engine's failover is their retry.
         */
        public Builder retriesWhenSendFailed(int retries) {
            ConfigurationException.check(retries >= 0 && retries <= 5, "retriesWhenSendFailed", retries,
                    "must be between 0 and 5");
            this.retriesWhenSendFailed = retries;
            return this;
        }

        /** Largest body accepted, 1 byte to 4 MiB (RocketMQ's limit). */
        public Builder maxBodySize(int bytes) {
            ConfigurationException.check(bytes >= 1 && bytes <= DEFAULT_MAX_BODY_SIZE, "maxBodySize", bytes,
                    "must be between 1 and " + DEFAULT_MAX_BODY_SIZE);
            this.maxBodySize = bytes;
            return this;
        }

        /** Threads of the async send executor (route lookup and write of async sends; replies need none); 1-64. */
        public Builder asyncSendThreads(int threads) {
            ConfigurationException.check(threads >= 1 && threads <= 64, "asyncSendThreads", threads,
                    "must be between 1 and 64");
            this.asyncSendThreads = threads;
            return this;
        }

        /** Async sends that may wait for a thread; past it, sendAsync fails at once (INFRASTRUCTURE). 1-1 000 000. */
        public Builder asyncSendQueueCapacity(int capacity) {
            ConfigurationException.check(capacity >= 1 && capacity <= 1_000_000, "asyncSendQueueCapacity", capacity,
                    "must be between 1 and 1000000");
            this.asyncSendQueueCapacity = capacity;
            return this;
        }

        /** Where a consumer group without committed offsets starts. */
        public Builder consumeFrom(ConsumeFrom consumeFrom) {
            ConfigurationException.check(consumeFrom != null, "consumeFrom", null, "must not be null");
            this.consumeFrom = consumeFrom;
            return this;
        }

        /** Consumer threads per consumer group; 1-64. */
        public Builder consumeThreads(int threads) {
            ConfigurationException.check(threads >= 1 && threads <= 64, "consumeThreads", threads,
                    "must be between 1 and 64");
            this.consumeThreads = threads;
            return this;
        }

        /**
         * Consecutive infrastructure failures of sends on one broker that isolate it locally while other brokers of
         * the topic serve (keyless sends avoid it; keyed sends whose queue lives on it fail at once, and the engine
         * stores them in the fallback store); 1-100. A probe re-admits it.
         */
        public Builder brokerIsolationThreshold(int failures) {
            ConfigurationException.check(failures >= 1 && failures <= 100, "brokerIsolationThreshold", failures,
                    "must be between 1 and 100");
            this.brokerIsolationThreshold = failures;
            return this;
        }

        /**
         * Builds the transport (not started).
         *
         * @throws ConfigurationException if {@code nameServer} is missing
         */
        public RocketMQTransport build() {
            ConfigurationException.check(nameServer != null, "nameServer", null, "is required");
            return new RocketMQTransport(this);
        }

        private static boolean between(Duration d, Duration min, Duration max) {
            return d != null && d.compareTo(min) >= 0 && d.compareTo(max) <= 0;
        }

        @Override
        public String toString() {
            return "nameServer=" + nameServer + ", producerGroup=" + producerGroup + ", namespace=" + namespace
                    + ", accessKey=" + (accessKey == null ? null : accessKey) + ", secretKey="
                    + (secretKey == null ? null : "<masked>") + ", sendTimeout=" + sendTimeout
                    + ", nameServerTimeout=" + nameServerTimeout + ", routeRefreshInterval=" + routeRefreshInterval
                    + ", retriesWhenSendFailed=" + retriesWhenSendFailed + ", maxBodySize=" + maxBodySize
                    + ", asyncSendThreads=" + asyncSendThreads + ", asyncSendQueueCapacity=" + asyncSendQueueCapacity
                    + ", consumeFrom=" + consumeFrom + ", consumeThreads=" + consumeThreads
                    + ", brokerIsolationThreshold=" + brokerIsolationThreshold;
        }
    }
}
