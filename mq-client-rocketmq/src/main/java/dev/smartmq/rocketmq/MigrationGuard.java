package dev.smartmq.rocketmq;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.spi.DegradationSwitch;
import dev.smartmq.spi.TransportException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Migration safety: finds consumer groups that read a topic on the broker but are not registered in SmartMQ's
 * registry, i.e. raw RocketMQ consumers that will never see what is sent while the MQ is degraded (it goes to Redis,
 * to registered groups only). For every watched topic it compares {@link RocketMQTransport#brokerConsumerGroups}
 * with {@link DegradationSwitch#groups}, when a topic is first watched (for example on subscribe) and then every
 * {@code interval}; each unregistered group found is logged at WARN with the topic and the fix, and counted.
 *
 * <p>Metrics: {@link #unregisteredGroupCount()} (groups unregistered at the last checks) is the engine's gauge
 * {@code smartmq.migration.unregistered-groups} (through {@link RocketMQTransport#unregisteredConsumerGroups()}: -1
 * while no guard runs on the transport); {@link #warnings()} (WARNs so far) is for your own registry. Reads are lock-free; checks run on
 * one daemon thread {@code smartmq-migration-guard-1} (and in the caller of {@link #check}). Immutable settings
 * from {@link Builder}; thread-safe.
 */
public final class MigrationGuard implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MigrationGuard.class);
    /** Groups RocketMQ's own tools use; never a business consumer. */
    private static final Set<String> TOOL_GROUP_PREFIXES = Set.of("CID_RMQ_SYS_", "TOOLS_CONSUMER",
            "FILTERSRV_CONSUMER", "__MONITOR_CONSUMER", "CID_ONS-HTTP-PROXY", "CID_ONSAPI_");

    private final RocketMQTransport transport;
    private final DegradationSwitch registry;
    private final Duration interval;
    private final Duration timeout;
    private final Set<String> topics = ConcurrentHashMap.newKeySet();
    private final Map<String, Set<String>> unregistered = new ConcurrentHashMap<>();
    private final AtomicLong warnings = new AtomicLong();
    private final ScheduledExecutorService executor;

    private MigrationGuard(Builder b) {
        this.transport = b.transport;
        this.registry = b.registry;
        this.interval = b.interval;
        this.timeout = b.timeout;
        this.executor = Executors.newSingleThreadScheduledExecutor(
                new dev.smartmq.api.internal.NamedThreadFactory("migration-guard"));
        executor.scheduleWithFixedDelay(this::checkAll, interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
        transport.migrationGuard(this); // the engine's gauge migration.unregistered-groups reads it
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Watches {@code topic} from now on and checks it at once (in the background). */
    public void watch(String topic) {
        Objects.requireNonNull(topic, "topic");
        if (topics.add(topic)) {
            executor.execute(() -> checkQuietly(topic));
        }
    }

    /**
     * Checks {@code topic} now, in the calling thread: the broker-side groups SmartMQ's registry does not know,
     * each logged at WARN and counted.
     *
     * @throws TransportException if the brokers cannot be asked, or the registry is not reachable (its cached view
     *                            could make every group look unregistered)
     */
    public Set<String> check(String topic) {
        if (!registry.isReachable()) {
            // The registry's cache may be stale or empty: every group would look unregistered. Next time.
            throw TransportException.infrastructure("SmartMQ's registry (ZooKeeper) is not reachable", null);
        }
        Set<String> missing = unregisteredOf(transport.brokerConsumerGroups(topic, timeout), registry.groups(topic));
        for (String group : missing) {
            warnings.incrementAndGet();
            LOG.warn("consumer group {} reads topic {} on the broker but is not registered with SmartMQ: it will"
                    + " NOT get what is sent while the MQ is degraded (that goes to Redis). Move the group to"
                    + " SmartRocketMQPushConsumer / SmartConsumer before the topic's producers, or list the topic in"
                    + " SmartMQConfig.republishTopics", group, topic);
        }
        if (missing.isEmpty()) {
            unregistered.remove(topic);
        } else {
            unregistered.put(topic, Set.copyOf(missing));
        }
        return missing;
    }

    /**
     * The groups of {@code brokerGroups} (what the brokers know for a topic) that are not in {@code registered} (what
     * SmartMQ's registry knows), without RocketMQ's tool groups; sorted. What {@link #check} and
     * {@code smartmq-admin groups list --namesrv} report.
     */
    public static Set<String> unregisteredOf(Set<String> brokerGroups, Set<String> registered) {
        Set<String> missing = new TreeSet<>();
        for (String group : brokerGroups) {
            if (!registered.contains(group) && !isToolGroup(group)) {
                missing.add(group);
            }
        }
        return missing;
    }

    /** Unregistered groups per topic found by the last checks. */
    public Map<String, Set<String>> unregisteredGroups() {
        return Map.copyOf(unregistered);
    }

    /** How many groups were unregistered at the last check of each topic (a gauge). */
    public int unregisteredGroupCount() {
        return unregistered.values().stream().mapToInt(Set::size).sum();
    }

    /** How many WARNs were logged so far (a counter). */
    public long warnings() {
        return warnings.get();
    }

    /** Stops the periodic checks; the transport's gauge reads -1 again. */
    @Override
    public void close() {
        executor.shutdownNow();
        transport.migrationGuard(null);
    }

    private void checkAll() {
        for (String topic : topics) {
            checkQuietly(topic);
        }
    }

    private void checkQuietly(String topic) {
        try {
            check(topic);
        } catch (TransportException e) {
            LOG.info("migration check of topic {} skipped: {}; next in {}", topic,
                    e.getMessage(), interval);
        } catch (RuntimeException e) {
            LOG.warn("migration check of topic {} failed: {}", topic, e.toString());
        }
    }

    private static boolean isToolGroup(String group) {
        return TOOL_GROUP_PREFIXES.stream().anyMatch(group::startsWith);
    }

    /** Settings of a {@link MigrationGuard}; {@link #build()} validates and starts it. Not thread-safe. */
    public static final class Builder {
        private RocketMQTransport transport;
        private DegradationSwitch registry;
        private Duration interval = Duration.ofMinutes(1);
        private Duration timeout = Duration.ofSeconds(3);

        private Builder() {
        }

        /** The started transport whose brokers are asked. */
        public Builder transport(RocketMQTransport v) {
            this.transport = v;
            return this;
        }

        /** SmartMQ's registry of groups: the degradation switch given to {@code SmartMQ}. */
        public Builder registry(DegradationSwitch v) {
            this.registry = v;
            return this;
        }

        /** Period of the checks of every watched topic; default 1 min. */
        public Builder interval(Duration v) {
            ConfigurationException.check(v != null && !v.isNegative() && !v.isZero(), "interval", v,
                    "must be positive");
            this.interval = v;
            return this;
        }

        /** Bound of each broker call; default 3 s. */
        public Builder timeout(Duration v) {
            ConfigurationException.check(v != null && !v.isNegative() && !v.isZero(), "timeout", v,
                    "must be positive");
            this.timeout = v;
            return this;
        }

        public MigrationGuard build() {
            ConfigurationException.check(transport != null, "transport", null, "is required");
            ConfigurationException.check(registry != null, "registry", null, "is required");
            return new MigrationGuard(this);
        }
    }
}
