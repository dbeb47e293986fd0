package dev.smartmq.core;

import com.codahale.metrics.MetricRegistry;
import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.SmartConsumer;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.core.event.SmartMQEventPublisher;
import dev.smartmq.core.internal.Engine;
import dev.smartmq.spi.Coordination;
import dev.smartmq.spi.FallbackStore;
import dev.smartmq.spi.IdempotencyGuard;
import dev.smartmq.spi.PrimaryTransport;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One SmartMQ client: a producer and a consumer that use the MQ while it is healthy, degrade to the fallback
 * store when it fails, and come back when it recovers, without losing an acknowledged message
 * (DESIGN.md §3–§8).
 *
 * <h2>Creating</h2>
 * <pre>{@code
 * SmartMQ mq = SmartMQ.builder()
 *         .config(SmartMQConfig.custom().namespace("orders").build())
 *         .transport(rocketMqTransport)          // PrimaryTransport
 *         .fallbackStore(redisFallbackStore)     // FallbackStore
 *         .coordination(zkCoordination)          // Coordination: switch, registry, leadership
 *         .metricRegistry(registry)              // optional
 *         .build();                              // starts the ports and the engine
 * mq.producer().send(Message.builder("order-paid").key(orderId).body(json).build());
 * mq.consumer().subscribe(Subscription.of("order-paid", "billing"), handler);
 * }</pre>
 *
 * <h2>Sharing</h2>
 * Create one {@code SmartMQ} per namespace and application and share it: {@link #producer()} and
 * {@link #consumer()} are thread-safe and each is a single instance. Every {@code SmartMQ} owns a few threads
 * ({@code smartmq-switch-1}, {@code smartmq-prober-1}, {@code smartmq-maintenance-1}, {@code smartmq-timer-1}
 * and, once something is subscribed, {@code smartmq-consumer-1..consumerThreads}, and once an event has a
 * subscriber, {@code smartmq-events-1}); they are daemon threads.
 *
 * <h2>Async sends and callbacks</h2>
 * A {@link SmartProducer#sendAsync} future never completes on an internal I/O thread (the Redis group-commit
 * writer, RocketMQ's callback threads): it is completed on the completion executor, where the caller's
 * dependent stages ({@code thenApply}, {@code whenComplete}, ...) run. A callback that blocks, or sends
 * synchronously, delays only its own caller. By default the executor is this instance's own
 * {@code smartmq-callback-<n>} threads (one per callback running at that moment; idle ones end after 60 s),
 * shut down by {@link #close()}. {@link Builder#completionExecutor(Executor)} supplies yours instead (to bound
 * the threads, or to reuse a pool): it stays yours, {@code close()} never shuts it down, and if it refuses a
 * completion the future is completed on the internal thread rather than never.
 *
 * <h2>Ownership</h2>
 * The ports passed to the builder belong to the {@code SmartMQ} built from them: {@link Builder#build()} starts
 * them (switch, fallback store, transport) and {@link #close()} closes them. Build new port instances for each
 * {@code SmartMQ}; a client the ports themselves were given (a Jedis or Curator client) stays the caller's, as
 * the adapters document. A {@link MetricRegistry} passed in is never cleared: only the metrics this instance
 * registered (under {@code smartmq.}, or the prefix set with {@link Builder#metricPrefix(String)}) are
 * removed on close. Two instances sharing one registry need different prefixes.
 *
 * <h2>Shutting down</h2>
 * {@link #close()} stops consuming (handlers in progress finish, up to {@code shutdownTimeout}; messages claimed
 * from the fallback store but not handled go back to their shards), closes the producer (sends in progress
 * finish, up to {@code shutdownTimeout}), stops the engine's threads and closes the transport, the fallback
 * store and the switch, in that order. It is idempotent and leaves no SmartMQ thread running.
 */
public final class SmartMQ implements AutoCloseable {

    /** Default of {@link Builder#idempotencyGuard(IdempotencyGuard, Duration)}'s ttl. */
    public static final Duration DEFAULT_IDEMPOTENCY_TTL = Duration.ofDays(1);
    /** Default of {@link Builder#idempotencyLease(Duration)}. */
    public static final Duration DEFAULT_IDEMPOTENCY_LEASE = Duration.ofSeconds(30);
    /** Default of {@link Builder#metricPrefix(String)}. */
    public static final String DEFAULT_METRIC_PREFIX = "smartmq";

    private final Engine engine;
    private final SmartMQConfig config;
    private final SwitchOperator operator;

    private SmartMQ(Engine engine, SmartMQConfig config, SwitchOperator operator) {
        this.engine = engine;
        this.config = config;
        this.operator = operator;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The shared, thread-safe producer. */
    public SmartProducer producer() {
        return engine.producer();
    }

    /** The shared, thread-safe consumer. */
    public SmartConsumer consumer() {
        return engine.consumer();
    }

    /** The switch document this instance last saw (never blocks). */
    public SwitchStatus switchStatus() {
        return engine.switchStatus();
    }

    /**
     * The state this instance routes by: the switch's, or DEGRADED while this instance degraded locally and
     * could not publish it yet (switch unreachable).
     */
    public SwitchState effectiveState() {
        return engine.effectiveState();
    }

    /**
     * Subscribe here to this instance's events: state transitions, local degradation, switch documents,
     * its own published transitions and the end of a drain. Delivered one at a time on {@code smartmq-events-1}.
     */
    public SmartMQEventPublisher events() {
        return engine.events();
    }

    /** The registry holding this instance's metrics (the one passed in, or a private one). */
    public MetricRegistry metrics() {
        return engine.metricRegistry();
    }

    public SmartMQConfig config() {
        return config;
    }

    /** {@code host/pid/id}: how this instance signs the switch transitions it makes. */
    public String instanceId() {
        return engine.instanceId();
    }

    /** The id this instance's consumers register and claim fallback messages with. */
    public String consumerId() {
        return engine.consumerId();
    }

    /**
     * An operator's calls on this namespace's switch (drill degrade/restore with reason and TTL, status, history),
     * made through this instance's switch and signed with the operator name given to each call. Epochs are handled
     * inside: see {@link SwitchOperator}.
     */
    public SwitchOperator operator() {
        return operator;
    }

    /** Closes consumers, producer, engine threads, transport, fallback store and switch. Idempotent. */
    @Override
    public void close() {
        engine.close();
    }

    /** Builds and starts a {@link SmartMQ}. One builder builds one instance. */
    public static final class Builder {
        private SmartMQConfig config = SmartMQConfig.ofDefaults();
        private PrimaryTransport transport;
        private FallbackStore fallbackStore;
        private Coordination coordination;
        private MetricRegistry metricRegistry;
        private String metricPrefix = DEFAULT_METRIC_PREFIX;
        private Clock clock = Clock.systemUTC();
        private IdempotencyGuard idempotencyGuard;
        private Duration idempotencyTtl = DEFAULT_IDEMPOTENCY_TTL;
        private Duration idempotencyLease = DEFAULT_IDEMPOTENCY_LEASE;
        private Executor completionExecutor;
        private final AtomicBoolean built = new AtomicBoolean();

        private Builder() {
        }

        public Builder config(SmartMQConfig v) {
            ConfigurationException.check(v != null, "config", null, "must not be null");
            this.config = v;
            return this;
        }

        /** The MQ (required); owned by the built instance. */
        public Builder transport(PrimaryTransport v) {
            ConfigurationException.check(v != null, "transport", null, "must not be null");
            this.transport = v;
            return this;
        }

        /** The fallback store (required); owned by the built instance. */
        public Builder fallbackStore(FallbackStore v) {
            ConfigurationException.check(v != null, "fallbackStore", null, "must not be null");
            this.fallbackStore = v;
            return this;
        }

        /**
         * The coordination (required): the degradation switch, the consumer registry and the leader election of
         * the namespace, e.g. {@code ZkCoordination}; owned by the built instance (started and closed by it).
         */
        public Builder coordination(Coordination v) {
            ConfigurationException.check(v != null, "coordination", null, "must not be null");
            this.coordination = v;
            return this;
        }

        /**
         * The 1.x name of {@link #coordination}: a {@code DegradationSwitch} (such as {@code ZkDegradationSwitch})
         * is a {@link Coordination}.
         *
         * @deprecated use {@link #coordination(Coordination)}
         */
        @Deprecated(since = "1.1")
        public Builder degradationSwitch(Coordination v) {
            ConfigurationException.check(v != null, "degradationSwitch", null, "must not be null");
            this.coordination = v;
            return this;
        }

        /** Where to register metrics; a private registry otherwise. Never cleared by SmartMQ. */
        public Builder metricRegistry(MetricRegistry v) {
            ConfigurationException.check(v != null, "metricRegistry", null, "must not be null");
            this.metricRegistry = v;
            return this;
        }

        /** Prefix of every metric name; default {@value SmartMQ#DEFAULT_METRIC_PREFIX}. */
        public Builder metricPrefix(String v) {
            ConfigurationException.check(v != null && !v.isBlank() && !v.endsWith("."), "metricPrefix",
                    v == null ? null : "'" + v + "'", "must be non-blank and not end with '.'");
            this.metricPrefix = v;
            return this;
        }

        /** Time source of dwell times, manual expiry and born timestamps; for tests. */
        public Builder clock(Clock v) {
            ConfigurationException.check(v != null, "clock", null, "must not be null");
            this.clock = v;
            return this;
        }

        /** Skip messages a group has already handled, remembering ids for {@link SmartMQ#DEFAULT_IDEMPOTENCY_TTL}. */
        public Builder idempotencyGuard(IdempotencyGuard v) {
            return idempotencyGuard(v, DEFAULT_IDEMPOTENCY_TTL);
        }

        /** Skip messages a group has already handled, remembering ids for {@code ttl}. */
        public Builder idempotencyGuard(IdempotencyGuard v, Duration ttl) {
            ConfigurationException.check(v != null, "idempotencyGuard", null, "must not be null");
            ConfigurationException.check(ttl != null && !ttl.isNegative() && !ttl.isZero(), "idempotencyTtl", ttl,
                    "must be positive");
            this.idempotencyGuard = v;
            this.idempotencyTtl = ttl;
            return this;
        }

        /**
         * How long the guard's in-progress mark of a message lives while its handler runs (default
         * {@link SmartMQ#DEFAULT_IDEMPOTENCY_LEASE}). A message is recorded as handled only after its handler
         * succeeded; while a handler runs, other deliveries of the same id wait (fallback: retried after
         * {@code retryBackoffInitial}, not counted as an attempt; MQ: RETRY_LATER). A consumer that dies inside a
         * handler leaves only this mark, so the message is handled again at most this long after the crash. A
         * handler that runs longer than the lease is not renewed: a duplicate delivery may then run at the same time.
         */
        public Builder idempotencyLease(Duration v) {
            ConfigurationException.check(v != null && v.toMillis() >= 1, "idempotencyLease", v,
                    "must be at least 1 ms");
            this.idempotencyLease = v;
            return this;
        }

        /**
         * Where callers' {@code sendAsync} futures complete and their callbacks run; default: this instance's own
         * {@code smartmq-callback-<n>} threads. Owned by the caller: never shut down by SmartMQ. Use one with as
         * many threads as callbacks may block at once; a bounded queue that refuses work makes SmartMQ
         * complete the future on its internal thread (callbacks then delay other sends again).
         */
        public Builder completionExecutor(Executor v) {
            ConfigurationException.check(v != null, "completionExecutor", null, "must not be null");
            this.completionExecutor = v;
            return this;
        }

        /**
         * Validates, then starts the ports and the engine.
         *
         * @throws ConfigurationException if a required port is missing or the registry already holds the metrics
         * @throws IllegalStateException  if this builder already built an instance
         */
        public SmartMQ build() {
            ConfigurationException.check(transport != null, "transport", null, "must be set");
            ConfigurationException.check(fallbackStore != null, "fallbackStore", null, "must be set");
            ConfigurationException.check(coordination != null, "coordination", null, "must be set");
            checkNamespace("fallbackStore", fallbackStore.namespace());
            checkNamespace("coordination", coordination.namespace());
            if (!built.compareAndSet(false, true)) {
                throw new IllegalStateException("this builder already built a SmartMQ; ports belong to one instance");
            }
            MetricRegistry registry = metricRegistry != null ? metricRegistry : new MetricRegistry();
            Engine engine = new Engine(config, transport, fallbackStore, coordination, idempotencyGuard,
                    idempotencyTtl, idempotencyLease, registry, metricPrefix, clock, completionExecutor);
            engine.start();
            return new SmartMQ(engine, config, SwitchOperator.of(coordination.switchStore(), coordination.leadership(), clock));
        }

        private void checkNamespace(String port, String portNamespace) {
            ConfigurationException.check(portNamespace == null || portNamespace.equals(config.namespace()),
                    port + ".namespace", "'" + portNamespace + "'",
                    "must equal config.namespace ('" + config.namespace() + "')");
        }
    }
}
