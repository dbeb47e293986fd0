package dev.smartmq.rocketmq;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.Message;
import dev.smartmq.api.Subscription;
import dev.smartmq.api.internal.NamedThreadFactory;
import dev.smartmq.rocketmq.internal.AsyncSendDeadlines;
import dev.smartmq.rocketmq.internal.BrokerIsolation;
import dev.smartmq.rocketmq.internal.ClientSettings;
import dev.smartmq.rocketmq.internal.FailureClassifier;
import dev.smartmq.rocketmq.internal.GroupConsumers;
import dev.smartmq.rocketmq.internal.IsolatedBrokerProber;
import dev.smartmq.rocketmq.internal.MessageMapping;
import dev.smartmq.rocketmq.internal.RocketMQSender;
import dev.smartmq.rocketmq.internal.TopicAdmin;
import dev.smartmq.rocketmq.internal.TransportSettings;
import dev.smartmq.spi.BrokerHealthListener;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.PrimaryTransport;
import dev.smartmq.spi.TransportException;
import dev.smartmq.spi.TransportListener;
import dev.smartmq.spi.TransportReceipt;
import dev.smartmq.spi.TransportSubscription;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.apache.rocketmq.acl.common.AclClientRPCHook;
import org.apache.rocketmq.acl.common.SessionCredentials;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SmartMQ's primary transport on Apache RocketMQ 5 (the remoting client: {@code DefaultMQProducer} and
 * {@code DefaultMQPushConsumer}).
 *
 * <p>Over 400 lines because its public {@link Builder} (about 170 lines, one documented setter per connection
 * setting, turned into immutable settings at {@code build()}) lives here as the adapter's entry point; the
 * transport itself is about 330 lines, mostly documented delegation to its internal types.
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
 * <p>Structure: this class is the lifecycle and the public face; the work is in {@code internal} types, one job
 * each: {@code RocketMQSender} (the send path and failure attribution), {@code GroupConsumers} (push consumers per
 * group), {@code IsolatedBrokerProber} (re-admitting isolated brokers), {@code TopicAdmin} (topic checks), all
 * sharing one immutable {@code TransportSettings} copied from the {@link Builder} at {@link Builder#build()}.
 * The builder stays here (about half of the file): it is public API, one validated setter per setting.
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
    // How often async sends past budget + grace are looked for (a deadline fires up to this late).
    private static final long ASYNC_DEADLINE_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private enum State { LATENT, STARTED, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final TransportSettings config;
    private final ClientSettings settings;
    private final DefaultMQProducer producer;
    private final ThreadPoolExecutor asyncExecutor;
    private final AsyncSendDeadlines deadlines;
    private final BrokerIsolation isolation;
    private final RocketMQSender sender;
    private final GroupConsumers consumers;
    private final IsolatedBrokerProber brokerProber;
    private final TopicAdmin topics;

    private RocketMQTransport(TransportSettings b) {
        this.config = b;
        String instanceName = "smartmq-" + ProcessHandle.current().pid() + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        this.settings = new ClientSettings(b.nameServer(), b.namespace(), instanceName,
                b.accessKey() == null ? null : new AclClientRPCHook(new SessionCredentials(b.accessKey(), b.secretKey())),
                b.nameServerTimeout(), b.routeRefreshInterval());
        this.producer = new DefaultMQProducer(b.producerGroup(), settings.rpcHook());
        settings.applyTo(producer);
        producer.setSendMsgTimeout((int) b.sendTimeout().toMillis());
        // RocketMQ's own sync retry re-sends after a timeout too (with what is left of the budget), which makes a
        // copy the engine cannot see; the transport retries itself, only when the request never reached a store.
        producer.setRetryTimesWhenSendFailed(0);
        // Never let RocketMQ retry an async send: it re-sends a timed-out request (so a hung broker that comes
        // back stores the message twice or three times, after the engine already put it in the fallback), and a
        // retry goes to another queue, even for a keyed send (breaking per-key order). The engine's failover is
        // the retry. RocketMQTransportFaultIT counts the copies a hung broker ends up with.
        producer.setRetryTimesWhenSendAsyncFailed(0);
        producer.setMaxMessageSize(b.maxBodySize());
        producer.setSendLatencyFaultEnable(true);
        this.asyncExecutor = new ThreadPoolExecutor(b.asyncSendThreads(), b.asyncSendThreads(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(b.asyncSendQueueCapacity()), new NamedThreadFactory("rocketmq-async"));
        asyncExecutor.allowCoreThreadTimeOut(true);
        producer.setAsyncSenderExecutor(asyncExecutor);
        this.isolation = new BrokerIsolation(b.brokerIsolationThreshold(), System::nanoTime);
        this.deadlines = new AsyncSendDeadlines(ASYNC_DEADLINE_TICK_NANOS, "rocketmq-deadlines");
        this.sender = new RocketMQSender(b, producer, isolation, deadlines);
        this.consumers = new GroupConsumers(settings, b.consumeFrom(), b.consumeThreads());
        this.brokerProber = new IsolatedBrokerProber(producer, isolation);
        this.topics = new TopicAdmin(b, producer, sender);
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
        MessageMapping.validate(message, config.maxBodySize(), config.namespace());
    }

    @Override
    public TransportReceipt send(Envelope envelope, Duration timeout) {
        checkStarted();
        return sender.send(envelope, timeout);
    }

    @Override
    public CompletableFuture<TransportReceipt> sendAsync(Envelope envelope, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        try {
            checkStarted();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return sender.sendAsync(envelope, timeout);
    }

    @Override
    public TransportSubscription subscribe(Subscription subscription, TransportListener listener) {
        checkStarted();
        Objects.requireNonNull(subscription, "subscription");
        Objects.requireNonNull(listener, "listener");
        return consumers.subscribe(subscription, listener);
    }

    @Override
    public void probe(String probeTopic, Duration timeout) {
        checkStarted();
        sender.probe(probeTopic, timeout);
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
    @Override
    public boolean ensureTopic(String topic, Duration timeout) {
        checkStarted();
        return topics.ensureTopic(topic, timeout);
    }

    /**
     * The consumer groups the brokers of {@code topic} know for it (online, or with committed offsets), without the
     * RocketMQ namespace; what {@link MigrationGuard} compares with SmartMQ's registry. Additive, read-only: one
     * route lookup, then one query per broker of the route, each bounded by {@code timeout}.
     *
     * @throws TransportException ({@code INFRASTRUCTURE}) if the route or a broker cannot be asked
     */
    public Set<String> brokerConsumerGroups(String topic, Duration timeout) {
        checkStarted();
        return topics.brokerConsumerGroups(topic, timeout);
    }

    @Override
    public void brokerHealthListener(BrokerHealthListener listener) {
        isolation.listener(listener);
    }

    @Override
    public Set<String> isolatedBrokers() {
        return isolation.isolatedNames();
    }

    /** The {@link MigrationGuard} built on this transport (set by its builder, cleared by its close), or null. */
    private volatile MigrationGuard migrationGuard;

    void migrationGuard(MigrationGuard guard) {
        this.migrationGuard = guard;
    }

    /** {@link MigrationGuard#unregisteredGroupCount()} of the guard built on this transport; -1 without one. */
    @Override
    public int unregisteredConsumerGroups() {
        MigrationGuard g = migrationGuard;
        return g == null ? -1 : g.unregisteredGroupCount();
    }

    /**
     * Probes each locally isolated broker and re-admits those that answer and are listed by every route they were
     * isolated for ({@link IsolatedBrokerProber}); nothing before {@link #start()} or after {@link #close()}.
     */
    @Override
    public void probeIsolatedBrokers(String probeTopic, Duration timeout) {
        if (state.get() != State.STARTED) {
            return;
        }
        brokerProber.probeIsolatedBrokers(probeTopic, timeout);
    }

    @Override
    public void close() {
        State previous = state.getAndSet(State.CLOSED);
        if (previous == State.CLOSED) {
            return;
        }
        asyncExecutor.shutdown();
        consumers.close();
        if (previous == State.STARTED) {
            try {
                // Queued async sends get their timeout at most; RocketMQ fails them once the producer is down.
                if (!asyncExecutor.awaitTermination(config.sendTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
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
            return new RocketMQTransport(settings());
        }

        /** A copy of the current values: what a transport built now runs with. */
        private TransportSettings settings() {
            return new TransportSettings(nameServer, producerGroup, namespace, accessKey, secretKey, sendTimeout,
                    nameServerTimeout, routeRefreshInterval, retriesWhenSendFailed, maxBodySize, asyncSendThreads,
                    asyncSendQueueCapacity, consumeFrom, consumeThreads, brokerIsolationThreshold);
        }

        private static boolean between(Duration d, Duration min, Duration max) {
            return d != null && d.compareTo(min) >= 0 && d.compareTo(max) <= 0;
        }

        @Override
        public String toString() {
            return settings().toString();
        }
    }
}

