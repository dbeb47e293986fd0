package dev.smartmq.api;

import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Immutable configuration of a SmartMQ instance (engine settings; connection settings belong to the
 * adapters' own builders).
 *
 * <p>Over 400 lines because it is the engine's whole settings surface: one validated, documented builder setter,
 * accessor and {@code DEFAULT_*} constant per setting, plus the cross-field checks of {@code build()}. Each setting
 * is a few lines; there is no second job to split off.
 *
 * <pre>{@code
 * SmartMQConfig config = SmartMQConfig.custom()
 *         .namespace("orders")
 *         .failureThreshold(10)
 *         .probeInterval(Duration.ofSeconds(5))
 *         .build();
 * }</pre>
 *
 * Every setter validates its own value and names the field and the bad value; {@link Builder#build()}
 * validates combinations. Defaults are the {@code DEFAULT_*} constants.
 */
public final class SmartMQConfig {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    /**
     * The namespace rule, shared by the engine and every adapter so a namespace valid for one is valid for all:
     * 1-64 characters of {@code [A-Za-z0-9_-]} (safe in ZooKeeper paths and Redis hash tags).
     */
    public static final String NAMESPACE_RULE = "must be 1-64 characters of [A-Za-z0-9_-]";

    /** Default of {@link #namespace()}. */
    public static final String DEFAULT_NAMESPACE = "default";

    /** Default of {@link #failureThreshold()}. */
    public static final int DEFAULT_FAILURE_THRESHOLD = 10;

    /** Default of {@link #probeInterval()}. */
    public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofSeconds(5);

    /** Default of {@link #probeSuccessThreshold()}. */
    public static final int DEFAULT_PROBE_SUCCESS_THRESHOLD = 3;

    /** Default of {@link #probeTimeout()}. */
    public static final Duration DEFAULT_PROBE_TIMEOUT = Duration.ofSeconds(3);

    /** Default of {@link #probeTopic()}. */
    public static final String DEFAULT_PROBE_TOPIC = "SMARTMQ_PROBE";

    /** Default of {@link #minDwellTime()}. */
    public static final Duration DEFAULT_MIN_DWELL_TIME = Duration.ofSeconds(10);

    /** Default of {@link #sendTimeout()}. */
    public static final Duration DEFAULT_SEND_TIMEOUT = Duration.ofSeconds(3);

    /** Default of {@link #maxBodySize()}. */
    public static final int DEFAULT_MAX_BODY_SIZE = 4 * 1024 * 1024;

    /** Default of {@link #consumerThreads()}. */
    public static final int DEFAULT_CONSUMER_THREADS = 4;

    /** Default of {@link #claimBatchSize()}. */
    public static final int DEFAULT_CLAIM_BATCH_SIZE = 16;

    /** Default of {@link #pollBackoffMin()}. */
    public static final Duration DEFAULT_POLL_BACKOFF_MIN = Duration.ofMillis(10);

    /** Default of {@link #pollBackoffMax()}. */
    public static final Duration DEFAULT_POLL_BACKOFF_MAX = Duration.ofSeconds(1);

    /** Default of {@link #normalSweepInterval()}. */
    public static final Duration DEFAULT_NORMAL_SWEEP_INTERVAL = Duration.ofSeconds(10);

    /** Default of {@link #maxDeliveryAttempts()}. */
    public static final int DEFAULT_MAX_DELIVERY_ATTEMPTS = 16;

    /** Default of {@link #retryBackoffInitial()}. */
    public static final Duration DEFAULT_RETRY_BACKOFF_INITIAL = Duration.ofSeconds(1);

    /** Default of {@link #retryBackoffMax()}. */
    public static final Duration DEFAULT_RETRY_BACKOFF_MAX = Duration.ofSeconds(60);

    /** Default of {@link #orderedShardLease()}. */
    public static final Duration DEFAULT_ORDERED_SHARD_LEASE = Duration.ofSeconds(30);

    /** Default of {@link #orphanReapInterval()}. */
    public static final Duration DEFAULT_ORPHAN_REAP_INTERVAL = Duration.ofSeconds(15);

    /** Default of {@link #drainCheckInterval()}. */
    public static final Duration DEFAULT_DRAIN_CHECK_INTERVAL = Duration.ofSeconds(1);

    /** Default of {@link #shutdownTimeout()}. */
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

    /** Default of {@link #abandonedGroupTimeout()}. */
    public static final Duration DEFAULT_ABANDONED_GROUP_TIMEOUT = Duration.ofMinutes(10);

    /** Default of {@link #delayedDrainHorizon()}. */
    public static final Duration DEFAULT_DELAYED_DRAIN_HORIZON = Duration.ofMinutes(5);

    /** Default of {@link #brownoutWindowSize()}: the last 100 MQ sends (0 turns the brownout rule off). */
    public static final int DEFAULT_BROWNOUT_WINDOW_SIZE = 100;

    /** Default of {@link #brownoutMinimumCalls()}. */
    public static final int DEFAULT_BROWNOUT_MINIMUM_CALLS = 50;

    /** Default of {@link #brownoutFailureRateThreshold()}, in percent. */
    public static final int DEFAULT_BROWNOUT_FAILURE_RATE_THRESHOLD = 50;

    /** Default of {@link #brownoutSlowCallRateThreshold()}, in percent. */
    public static final int DEFAULT_BROWNOUT_SLOW_CALL_RATE_THRESHOLD = 80;

    /** Default of {@link #brownoutSlowCallDuration()} as a share of {@link #sendTimeout()}, in percent. */
    public static final int DEFAULT_BROWNOUT_SLOW_CALL_PERCENT_OF_SEND_TIMEOUT = 80;


    private final String namespace;
    private final int failureThreshold;
    private final Duration probeInterval;
    private final int probeSuccessThreshold;
    private final Duration probeTimeout;
    private final String probeTopic;
    private final Duration minDwellTime;
    private final Duration sendTimeout;
    private final int maxBodySize;
    private final int consumerThreads;
    private final int claimBatchSize;
    private final Duration pollBackoffMin;
    private final Duration pollBackoffMax;
    private final Duration normalSweepInterval;
    private final int maxDeliveryAttempts;
    private final Duration retryBackoffInitial;
    private final Duration retryBackoffMax;
    private final Duration orphanReapInterval;
    private final Duration orderedShardLease;
    private final Duration drainCheckInterval;
    private final Duration shutdownTimeout;
    private final Duration abandonedGroupTimeout;
    private final Duration delayedDrainHorizon;
    private final int brownoutWindowSize;
    private final int brownoutMinimumCalls;
    private final int brownoutFailureRateThreshold;
    private final int brownoutSlowCallRateThreshold;
    private final Duration brownoutSlowCallDurationSet;
    private final java.util.Set<String> republishTopics;

    private SmartMQConfig(Builder b) {
        this.namespace = b.namespace;
        this.failureThreshold = b.failureThreshold;
        this.probeInterval = b.probeInterval;
        this.probeSuccessThreshold = b.probeSuccessThreshold;
        this.probeTimeout = b.probeTimeout;
        this.probeTopic = b.probeTopic;
        this.minDwellTime = b.minDwellTime;
        this.sendTimeout = b.sendTimeout;
        this.maxBodySize = b.maxBodySize;
        this.consumerThreads = b.consumerThreads;
        this.claimBatchSize = b.claimBatchSize;
        this.pollBackoffMin = b.pollBackoffMin;
        this.pollBackoffMax = b.pollBackoffMax;
        this.normalSweepInterval = b.normalSweepInterval;
        this.maxDeliveryAttempts = b.maxDeliveryAttempts;
        this.retryBackoffInitial = b.retryBackoffInitial;
        this.retryBackoffMax = b.retryBackoffMax;
        this.orphanReapInterval = b.orphanReapInterval;
        this.orderedShardLease = b.orderedShardLease;
        this.drainCheckInterval = b.drainCheckInterval;
        this.shutdownTimeout = b.shutdownTimeout;
        this.abandonedGroupTimeout = b.abandonedGroupTimeout;
        this.delayedDrainHorizon = b.delayedDrainHorizon;
        this.brownoutWindowSize = b.brownoutWindowSize;
        this.brownoutMinimumCalls = b.brownoutMinimumCalls;
        this.brownoutFailureRateThreshold = b.brownoutFailureRateThreshold;
        this.brownoutSlowCallRateThreshold = b.brownoutSlowCallRateThreshold;
        this.brownoutSlowCallDurationSet = b.brownoutSlowCallDuration;
        this.republishTopics = java.util.Set.copyOf(b.republishTopics);
    }

    /** Whether {@code namespace} obeys {@link #NAMESPACE_RULE}. */
    public static boolean isValidNamespace(String namespace) {
        return namespace != null && NAME.matcher(namespace).matches();
    }

    /** The defaults. */
    public static SmartMQConfig ofDefaults() {
        return custom().build();
    }

    /** A builder starting from the defaults. */
    public static Builder custom() {
        return new Builder();
    }

    /** A builder starting from {@code base}. */
    public static Builder from(SmartMQConfig base) {
        return new Builder(base);
    }

    /** Namespace of the switch, registry and fallback keys; services that share a switch share a namespace. Default {@link #DEFAULT_NAMESPACE}. */
    public String namespace() {
        return namespace;
    }

    /** Consecutive infrastructure failures of MQ sends that degrade the namespace (N). Default {@link #DEFAULT_FAILURE_THRESHOLD}. */
    public int failureThreshold() {
        return failureThreshold;
    }

    /** How often the leader probes the MQ while degraded. Default {@link #DEFAULT_PROBE_INTERVAL}. */
    public Duration probeInterval() {
        return probeInterval;
    }

    /** Consecutive successful probes that move DEGRADED to RECOVERING (K). Default {@link #DEFAULT_PROBE_SUCCESS_THRESHOLD}. */
    public int probeSuccessThreshold() {
        return probeSuccessThreshold;
    }

    /** Budget of one probe send. Default {@link #DEFAULT_PROBE_TIMEOUT}. */
    public Duration probeTimeout() {
        return probeTimeout;
    }

    /** Dedicated topic the prober sends its probe messages to. Default {@link #DEFAULT_PROBE_TOPIC}. */
    public String probeTopic() {
        return probeTopic;
    }

    /** Minimum time the switch stays in a state before automation moves it again (anti-flapping). Default {@link #DEFAULT_MIN_DWELL_TIME}. */
    public Duration minDwellTime() {
        return minDwellTime;
    }

    /** Total budget of one MQ send, retries included, before it falls back. Default {@link #DEFAULT_SEND_TIMEOUT}. */
    public Duration sendTimeout() {
        return sendTimeout;
    }

    /** Largest message body accepted, in bytes (RocketMQ's default limit). Default {@link #DEFAULT_MAX_BODY_SIZE}. */
    public int maxBodySize() {
        return maxBodySize;
    }

    /** Worker threads that drain the fallback shards for one SmartMQ instance. Default {@link #DEFAULT_CONSUMER_THREADS}. */
    public int consumerThreads() {
        return consumerThreads;
    }

    /** Messages claimed from a shard in one round trip. Default {@link #DEFAULT_CLAIM_BATCH_SIZE}. */
    public int claimBatchSize() {
        return claimBatchSize;
    }

    /** First back-off after an empty shard while degraded or recovering. Default {@link #DEFAULT_POLL_BACKOFF_MIN}. */
    public Duration pollBackoffMin() {
        return pollBackoffMin;
    }

    /** Longest back-off of an empty shard while degraded or recovering. Default {@link #DEFAULT_POLL_BACKOFF_MAX}. */
    public Duration pollBackoffMax() {
        return pollBackoffMax;
    }

    /** How often each shard is swept in NORMAL, so messages written in a detection window are never stranded. Default {@link #DEFAULT_NORMAL_SWEEP_INTERVAL}. */
    public Duration normalSweepInterval() {
        return normalSweepInterval;
    }

    /** Deliveries of one message before it goes to the group's dead-letter list. Default {@link #DEFAULT_MAX_DELIVERY_ATTEMPTS}. */
    public int maxDeliveryAttempts() {
        return maxDeliveryAttempts;
    }

    /** Delay before the first redelivery of a message its handler failed; doubles per attempt. Default {@link #DEFAULT_RETRY_BACKOFF_INITIAL}. */
    public Duration retryBackoffInitial() {
        return retryBackoffInitial;
    }

    /** Longest delay between redeliveries. Default {@link #DEFAULT_RETRY_BACKOFF_MAX}. */
    public Duration retryBackoffMax() {
        return retryBackoffMax;
    }

    /** How often claimed messages of dead consumers are returned to their shards. Default {@link #DEFAULT_ORPHAN_REAP_INTERVAL}. */
    public Duration orphanReapInterval() {
        return orphanReapInterval;
    }

    /**
     * Lease of an ORDERED fallback shard: the instance that delivers a shard holds it in the store, renews it every
     * third of this while it owns the shard, and stops delivering when it could not renew for two thirds of it.
     * Another instance takes the shard only once the lease is free. Default {@link #DEFAULT_ORDERED_SHARD_LEASE}.
     */
    public Duration orderedShardLease() {
        return orderedShardLease;
    }

    /** How often the leader checks the fallback backlog while RECOVERING. Default {@link #DEFAULT_DRAIN_CHECK_INTERVAL}. */
    public Duration drainCheckInterval() {
        return drainCheckInterval;
    }

    /** How long close() waits for sends and handlers in progress. Default {@link #DEFAULT_SHUTDOWN_TIMEOUT}. */
    public Duration shutdownTimeout() {
        return shutdownTimeout;
    }

    /**
     * How long a registered group may have no live consumer before it stops holding the switch in RECOVERING
     * (its fallback messages are kept); also how long a topic's unclaimed messages hold it when the topic has
     * no registered group. Default {@link #DEFAULT_ABANDONED_GROUP_TIMEOUT}.
     */
    public Duration abandonedGroupTimeout() {
        return abandonedGroupTimeout;
    }

    /**
     * Which delayed messages held in the fallback store ({@link Message#deliverAtMillis()}) hold the switch in
     * RECOVERING: those due within this long from the leader's drain check. Later ones stay held (kept, never early)
     * and are delivered when due in any state, NORMAL included (the store moves them to their shard; consumers sweep
     * the shards in NORMAL too), so a message delayed by a day does not keep the fleet in RECOVERING for a day.
     * {@link Duration#ZERO}: only messages already due count. Default {@link #DEFAULT_DELAYED_DRAIN_HORIZON}.
     */
    public Duration delayedDrainHorizon() {
        return delayedDrainHorizon;
    }

    /**
     * Brownout rule: how many of the latest MQ sends the failure-rate / slow-call-rate window holds; 0 turns the
     * rule off (only {@link #failureThreshold()} consecutive failures degrade). Only sends that count against the
     * cluster enter the window (successes, and failures not attributed to one broker or one topic). Default
     * {@link #DEFAULT_BROWNOUT_WINDOW_SIZE}.
     */
    public int brownoutWindowSize() {
        return brownoutWindowSize;
    }

    /** Brownout rule: sends the window must hold before it may trip. Default {@link #DEFAULT_BROWNOUT_MINIMUM_CALLS}. */
    public int brownoutMinimumCalls() {
        return brownoutMinimumCalls;
    }

    /**
     * Brownout rule: the share of failed sends in the window, in percent, at or above which the namespace degrades.
     * Default {@link #DEFAULT_BROWNOUT_FAILURE_RATE_THRESHOLD}.
     */
    public int brownoutFailureRateThreshold() {
        return brownoutFailureRateThreshold;
    }

    /**
     * Brownout rule: the share of successful sends slower than {@link #brownoutSlowCallDuration()} in the window, in
     * percent, at or above which the namespace degrades. Default {@link #DEFAULT_BROWNOUT_SLOW_CALL_RATE_THRESHOLD}.
     */
    public int brownoutSlowCallRateThreshold() {
        return brownoutSlowCallRateThreshold;
    }

    /**
     * Brownout rule: a successful send slower than this is a slow call. Default
     * {@value #DEFAULT_BROWNOUT_SLOW_CALL_PERCENT_OF_SEND_TIMEOUT}% of {@link #sendTimeout()} (2.4 s of the default 3 s).
     */
    public Duration brownoutSlowCallDuration() {
        return brownoutSlowCallDurationSet != null ? brownoutSlowCallDurationSet
                : sendTimeout.multipliedBy(DEFAULT_BROWNOUT_SLOW_CALL_PERCENT_OF_SEND_TIMEOUT).dividedBy(100);
    }

    /**
     * Topics whose fallback backlog is also re-published to the MQ once it is healthy again (RECOVERING and after),
     * for consumers that read the MQ only (raw RocketMQ consumers in a mixed fleet). Empty by default. See the core
     * README ("Mixed fleets") for the ordering and duplicate consequences.
     */
    public java.util.Set<String> republishTopics() {
        return republishTopics;
    }

    @Override
    public String toString() {
        return "SmartMQConfig{"
                + "namespace=" + namespace
                + ", failureThreshold=" + failureThreshold
                + ", probeInterval=" + probeInterval
                + ", probeSuccessThreshold=" + probeSuccessThreshold
                + ", probeTimeout=" + probeTimeout
                + ", probeTopic=" + probeTopic
                + ", minDwellTime=" + minDwellTime
                + ", sendTimeout=" + sendTimeout
                + ", maxBodySize=" + maxBodySize
                + ", consumerThreads=" + consumerThreads
                + ", claimBatchSize=" + claimBatchSize
                + ", pollBackoffMin=" + pollBackoffMin
                + ", pollBackoffMax=" + pollBackoffMax
                + ", normalSweepInterval=" + normalSweepInterval
                + ", maxDeliveryAttempts=" + maxDeliveryAttempts
                + ", retryBackoffInitial=" + retryBackoffInitial
                + ", retryBackoffMax=" + retryBackoffMax
                + ", orphanReapInterval=" + orphanReapInterval
                + ", orderedShardLease=" + orderedShardLease
                + ", drainCheckInterval=" + drainCheckInterval
                + ", shutdownTimeout=" + shutdownTimeout
                + ", abandonedGroupTimeout=" + abandonedGroupTimeout
                + ", delayedDrainHorizon=" + delayedDrainHorizon
                + ", brownoutWindowSize=" + brownoutWindowSize
                + ", brownoutMinimumCalls=" + brownoutMinimumCalls
                + ", brownoutFailureRateThreshold=" + brownoutFailureRateThreshold
                + ", brownoutSlowCallRateThreshold=" + brownoutSlowCallRateThreshold
                + ", brownoutSlowCallDuration=" + brownoutSlowCallDuration()
                + ", republishTopics=" + republishTopics
                + "}";
    }

    /** Builds a {@link SmartMQConfig}. */
    public static final class Builder {
        private String namespace = DEFAULT_NAMESPACE;
        private int failureThreshold = DEFAULT_FAILURE_THRESHOLD;
        private Duration probeInterval = DEFAULT_PROBE_INTERVAL;
        private int probeSuccessThreshold = DEFAULT_PROBE_SUCCESS_THRESHOLD;
        private Duration probeTimeout = DEFAULT_PROBE_TIMEOUT;
        private String probeTopic = DEFAULT_PROBE_TOPIC;
        private Duration minDwellTime = DEFAULT_MIN_DWELL_TIME;
        private Duration sendTimeout = DEFAULT_SEND_TIMEOUT;
        private int maxBodySize = DEFAULT_MAX_BODY_SIZE;
        private int consumerThreads = DEFAULT_CONSUMER_THREADS;
        private int claimBatchSize = DEFAULT_CLAIM_BATCH_SIZE;
        private Duration pollBackoffMin = DEFAULT_POLL_BACKOFF_MIN;
        private Duration pollBackoffMax = DEFAULT_POLL_BACKOFF_MAX;
        private Duration normalSweepInterval = DEFAULT_NORMAL_SWEEP_INTERVAL;
        private int maxDeliveryAttempts = DEFAULT_MAX_DELIVERY_ATTEMPTS;
        private Duration retryBackoffInitial = DEFAULT_RETRY_BACKOFF_INITIAL;
        private Duration retryBackoffMax = DEFAULT_RETRY_BACKOFF_MAX;
        private Duration orphanReapInterval = DEFAULT_ORPHAN_REAP_INTERVAL;
        private Duration orderedShardLease = DEFAULT_ORDERED_SHARD_LEASE;
        private Duration drainCheckInterval = DEFAULT_DRAIN_CHECK_INTERVAL;
        private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
        private Duration abandonedGroupTimeout = DEFAULT_ABANDONED_GROUP_TIMEOUT;
        private Duration delayedDrainHorizon = DEFAULT_DELAYED_DRAIN_HORIZON;
        private int brownoutWindowSize = DEFAULT_BROWNOUT_WINDOW_SIZE;
        private int brownoutMinimumCalls = DEFAULT_BROWNOUT_MINIMUM_CALLS;
        private int brownoutFailureRateThreshold = DEFAULT_BROWNOUT_FAILURE_RATE_THRESHOLD;
        private int brownoutSlowCallRateThreshold = DEFAULT_BROWNOUT_SLOW_CALL_RATE_THRESHOLD;
        private Duration brownoutSlowCallDuration;
        private java.util.Set<String> republishTopics = new java.util.LinkedHashSet<>();

        private Builder() {
        }

        private Builder(SmartMQConfig base) {
            this.namespace = base.namespace;
            this.failureThreshold = base.failureThreshold;
            this.probeInterval = base.probeInterval;
            this.probeSuccessThreshold = base.probeSuccessThreshold;
            this.probeTimeout = base.probeTimeout;
            this.probeTopic = base.probeTopic;
            this.minDwellTime = base.minDwellTime;
            this.sendTimeout = base.sendTimeout;
            this.maxBodySize = base.maxBodySize;
            this.consumerThreads = base.consumerThreads;
            this.claimBatchSize = base.claimBatchSize;
            this.pollBackoffMin = base.pollBackoffMin;
            this.pollBackoffMax = base.pollBackoffMax;
            this.normalSweepInterval = base.normalSweepInterval;
            this.maxDeliveryAttempts = base.maxDeliveryAttempts;
            this.retryBackoffInitial = base.retryBackoffInitial;
            this.retryBackoffMax = base.retryBackoffMax;
            this.orphanReapInterval = base.orphanReapInterval;
            this.orderedShardLease = base.orderedShardLease;
            this.drainCheckInterval = base.drainCheckInterval;
            this.shutdownTimeout = base.shutdownTimeout;
            this.abandonedGroupTimeout = base.abandonedGroupTimeout;
            this.delayedDrainHorizon = base.delayedDrainHorizon;
            this.brownoutWindowSize = base.brownoutWindowSize;
            this.brownoutMinimumCalls = base.brownoutMinimumCalls;
            this.brownoutFailureRateThreshold = base.brownoutFailureRateThreshold;
            this.brownoutSlowCallRateThreshold = base.brownoutSlowCallRateThreshold;
            this.brownoutSlowCallDuration = base.brownoutSlowCallDurationSet;
            this.republishTopics = new java.util.LinkedHashSet<>(base.republishTopics);
        }

        /** Namespace of the switch, registry and fallback keys; services that share a switch share a namespace. */
        public Builder namespace(String v) {
            ConfigurationException.check(isValidNamespace(v), "namespace", "'" + v + "'", NAMESPACE_RULE);
            this.namespace = v;
            return this;
        }

        /** Consecutive infrastructure failures of MQ sends that degrade the namespace (N). */
        public Builder failureThreshold(int v) {
            ConfigurationException.check(v >= 1, "failureThreshold", v, "must be at least 1");
            this.failureThreshold = v;
            return this;
        }

        /** How often the leader probes the MQ while degraded. */
        public Builder probeInterval(Duration v) {
            ConfigurationException.check(positive(v), "probeInterval", v, "must be positive");
            this.probeInterval = v;
            return this;
        }

        /** Consecutive successful probes that move DEGRADED to RECOVERING (K). */
        public Builder probeSuccessThreshold(int v) {
            ConfigurationException.check(v >= 1, "probeSuccessThreshold", v, "must be at least 1");
            this.probeSuccessThreshold = v;
            return this;
        }

        /** Budget of one probe send. */
        public Builder probeTimeout(Duration v) {
            ConfigurationException.check(positive(v), "probeTimeout", v, "must be positive");
            this.probeTimeout = v;
            return this;
        }

        /** Dedicated topic the prober sends its probe messages to. */
        public Builder probeTopic(String v) {
            ConfigurationException.check(v != null && !v.isEmpty(), "probeTopic", "'" + v + "'", "must not be empty");
            this.probeTopic = v;
            return this;
        }

        /** Minimum time the switch stays in a state before automation moves it again (anti-flapping). */
        public Builder minDwellTime(Duration v) {
            ConfigurationException.check(nonNegative(v), "minDwellTime", v, "must not be negative");
            this.minDwellTime = v;
            return this;
        }

        /** Total budget of one MQ send, retries included, before it falls back. */
        public Builder sendTimeout(Duration v) {
            ConfigurationException.check(positive(v), "sendTimeout", v, "must be positive");
            this.sendTimeout = v;
            return this;
        }

        /** Largest message body accepted, in bytes (RocketMQ's default limit). */
        public Builder maxBodySize(int v) {
            ConfigurationException.check(v >= 1, "maxBodySize", v, "must be at least 1");
            this.maxBodySize = v;
            return this;
        }

        /** Worker threads that drain the fallback shards for one SmartMQ instance. */
        public Builder consumerThreads(int v) {
            ConfigurationException.check(v >= 1 && v <= 256, "consumerThreads", v, "must be between 1 and 256");
            this.consumerThreads = v;
            return this;
        }

        /** Messages claimed from a shard in one round trip. */
        public Builder claimBatchSize(int v) {
            ConfigurationException.check(v >= 1 && v <= 1000, "claimBatchSize", v, "must be between 1 and 1000");
            this.claimBatchSize = v;
            return this;
        }

        /** First back-off after an empty shard while degraded or recovering. */
        public Builder pollBackoffMin(Duration v) {
            ConfigurationException.check(positive(v), "pollBackoffMin", v, "must be positive");
            this.pollBackoffMin = v;
            return this;
        }

        /** Longest back-off of an empty shard while degraded or recovering. */
        public Builder pollBackoffMax(Duration v) {
            ConfigurationException.check(positive(v), "pollBackoffMax", v, "must be positive");
            this.pollBackoffMax = v;
            return this;
        }

        /** How often each shard is swept in NORMAL, so messages written in a detection window are never stranded. */
        public Builder normalSweepInterval(Duration v) {
            ConfigurationException.check(positive(v), "normalSweepInterval", v, "must be positive");
            this.normalSweepInterval = v;
            return this;
        }

        /** Deliveries of one message before it goes to the group's dead-letter list. */
        public Builder maxDeliveryAttempts(int v) {
            ConfigurationException.check(v >= 1, "maxDeliveryAttempts", v, "must be at least 1");
            this.maxDeliveryAttempts = v;
            return this;
        }

        /** Delay before the first redelivery of a message its handler failed; doubles per attempt. */
        public Builder retryBackoffInitial(Duration v) {
            ConfigurationException.check(positive(v), "retryBackoffInitial", v, "must be positive");
            this.retryBackoffInitial = v;
            return this;
        }

        /** Longest delay between redeliveries. */
        public Builder retryBackoffMax(Duration v) {
            ConfigurationException.check(positive(v), "retryBackoffMax", v, "must be positive");
            this.retryBackoffMax = v;
            return this;
        }

        /** How often claimed messages of dead consumers are returned to their shards. */
        public Builder orphanReapInterval(Duration v) {
            ConfigurationException.check(positive(v), "orphanReapInterval", v, "must be positive");
            this.orphanReapInterval = v;
            return this;
        }

        /** Lease of an ORDERED fallback shard (see {@link SmartMQConfig#orderedShardLease()}); at least 30 ms. */
        public Builder orderedShardLease(Duration v) {
            ConfigurationException.check(v != null && v.toMillis() >= 30, "orderedShardLease", v,
                    "must be at least 30 ms");
            this.orderedShardLease = v;
            return this;
        }

        /** How often the leader checks the fallback backlog while RECOVERING. */
        public Builder drainCheckInterval(Duration v) {
            ConfigurationException.check(positive(v), "drainCheckInterval", v, "must be positive");
            this.drainCheckInterval = v;
            return this;
        }

        /** How long close() waits for sends and handlers in progress. */
        public Builder shutdownTimeout(Duration v) {
            ConfigurationException.check(nonNegative(v), "shutdownTimeout", v, "must not be negative");
            this.shutdownTimeout = v;
            return this;
        }

        /**
         * How long a registered group may have no live consumer before it stops holding the switch in
         * RECOVERING (its messages are kept). See {@link SmartMQConfig#abandonedGroupTimeout()}.
         */
        public Builder abandonedGroupTimeout(Duration v) {
            ConfigurationException.check(positive(v), "abandonedGroupTimeout", v, "must be positive");
            this.abandonedGroupTimeout = v;
            return this;
        }

        /**
         * Which held delayed messages hold the switch in RECOVERING: those due within this long. See
         * {@link SmartMQConfig#delayedDrainHorizon()}.
         */
        public Builder delayedDrainHorizon(Duration v) {
            ConfigurationException.check(nonNegative(v), "delayedDrainHorizon", v, "must not be negative");
            this.delayedDrainHorizon = v;
            return this;
        }

        /** Brownout rule: latest MQ sends the window holds, 0 (rule off) or 10-10000. */
        public Builder brownoutWindowSize(int v) {
            ConfigurationException.check(v == 0 || (v >= 10 && v <= 10_000), "brownoutWindowSize", v,
                    "must be 0 (off) or between 10 and 10000");
            this.brownoutWindowSize = v;
            return this;
        }

        /** Brownout rule: sends the window must hold before it may trip, at least 1 (and at most the window). */
        public Builder brownoutMinimumCalls(int v) {
            ConfigurationException.check(v >= 1, "brownoutMinimumCalls", v, "must be at least 1");
            this.brownoutMinimumCalls = v;
            return this;
        }

        /** Brownout rule: failure rate in percent that degrades, 1-100. */
        public Builder brownoutFailureRateThreshold(int percent) {
            ConfigurationException.check(percent >= 1 && percent <= 100, "brownoutFailureRateThreshold", percent,
                    "must be between 1 and 100");
            this.brownoutFailureRateThreshold = percent;
            return this;
        }

        /** Brownout rule: slow-call rate in percent that degrades, 1-100. */
        public Builder brownoutSlowCallRateThreshold(int percent) {
            ConfigurationException.check(percent >= 1 && percent <= 100, "brownoutSlowCallRateThreshold", percent,
                    "must be between 1 and 100");
            this.brownoutSlowCallRateThreshold = percent;
            return this;
        }

        /** Brownout rule: a successful send slower than this is slow; positive, at most {@code sendTimeout}. */
        public Builder brownoutSlowCallDuration(Duration v) {
            ConfigurationException.check(positive(v), "brownoutSlowCallDuration", v, "must be positive");
            this.brownoutSlowCallDuration = v;
            return this;
        }

        /** Topics whose fallback backlog is re-published to the MQ on recovery (see {@link SmartMQConfig#republishTopics()}). */
        public Builder republishTopics(java.util.Collection<String> topics) {
            ConfigurationException.check(topics != null && topics.stream().allMatch(t -> t != null && !t.isBlank()),
                    "republishTopics", topics, "must be a collection of non-blank topic names");
            this.republishTopics = new java.util.LinkedHashSet<>(topics);
            return this;
        }

        /** Validates combinations and builds the configuration. */
        public SmartMQConfig build() {
            ConfigurationException.check(brownoutWindowSize == 0 || brownoutMinimumCalls <= brownoutWindowSize,
                    "brownoutMinimumCalls", brownoutMinimumCalls,
                    "must not exceed brownoutWindowSize (" + brownoutWindowSize + ")");
            ConfigurationException.check(brownoutSlowCallDuration == null
                            || brownoutSlowCallDuration.compareTo(sendTimeout) <= 0, "brownoutSlowCallDuration",
                    brownoutSlowCallDuration, "must not exceed sendTimeout (" + sendTimeout + ")");
            ConfigurationException.check(pollBackoffMin.compareTo(pollBackoffMax) <= 0, "pollBackoffMin",
                    pollBackoffMin, "must not exceed pollBackoffMax (" + pollBackoffMax + ")");
            ConfigurationException.check(retryBackoffInitial.compareTo(retryBackoffMax) <= 0,
                    "retryBackoffInitial", retryBackoffInitial,
                    "must not exceed retryBackoffMax (" + retryBackoffMax + ")");
            ConfigurationException.check(probeTimeout.compareTo(probeInterval) <= 0, "probeTimeout", probeTimeout,
                    "must not exceed probeInterval (" + probeInterval + ")");
            return new SmartMQConfig(this);
        }

        private static boolean positive(Duration d) {
            return d != null && !d.isNegative() && !d.isZero();
        }

        private static boolean nonNegative(Duration d) {
            return d != null && !d.isNegative();
        }
    }
}
