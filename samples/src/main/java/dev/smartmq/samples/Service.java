package dev.smartmq.samples;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.rocketmq.ConsumeFrom;
import dev.smartmq.rocketmq.RocketMQTransport;
import dev.smartmq.zookeeper.ZkCoordination;
import java.time.Duration;

/**
 * One business service as a real deployment would run it: its own {@link SmartMQ} with its own RocketMQ
 * clients, Redis connections and ZooKeeper session, all in the shared {@code orders} namespace. Its metrics go
 * to the drill's registry under {@code smartmq.<service>.}.
 */
final class Service implements AutoCloseable {

    /** The namespace every service of the drill shares (switch znode, group registry, Redis keys). */
    static final String NAMESPACE = "orders";
    /** Shards per (topic, group): fewer than the default 128, so the idle NORMAL sweep costs little on a laptop. */
    static final int SHARDS = 16;
    static final Duration SEND_TIMEOUT = Duration.ofMillis(1500);

    private final String name;
    private final SmartMQ mq;
    private final RedisFallbackStore store;
    private final ZkCoordination coordination;
    private final MetricRegistry registry;
    private final String metricPrefix;

    private Service(String name, SmartMQ mq, RedisFallbackStore store, ZkCoordination coordination,
                    MetricRegistry registry, String metricPrefix) {
        this.name = name;
        this.mq = mq;
        this.store = store;
        this.coordination = coordination;
        this.registry = registry;
        this.metricPrefix = metricPrefix;
    }

    /** Drill-friendly engine settings: a fault is noticed, probed and drained within seconds. */
    static SmartMQConfig drillConfig(String probeTopic) {
        return SmartMQConfig.custom()
                .namespace(NAMESPACE)
                .failureThreshold(10)
                .probeInterval(Duration.ofSeconds(1))
                .probeTimeout(Duration.ofMillis(800))
                .probeSuccessThreshold(3)
                .probeTopic(probeTopic)
                .minDwellTime(Duration.ofSeconds(3))
                .sendTimeout(SEND_TIMEOUT)
                .consumerThreads(4)
                .pollBackoffMax(Duration.ofMillis(250))
                .normalSweepInterval(Duration.ofSeconds(2))
                .drainCheckInterval(Duration.ofMillis(500))
                .orphanReapInterval(Duration.ofSeconds(5))
                .shutdownTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** Builds and starts the service's SmartMQ (switch, store, transport, engine). */
    static Service start(String name, Infrastructure infra, SmartMQConfig config, MetricRegistry registry) {
        RocketMQTransport transport = RocketMQTransport.builder()
                .nameServer(infra.rocketMQ().nameServerAddress())
                .producerGroup(name)
                .sendTimeout(SEND_TIMEOUT)
                .routeRefreshInterval(Duration.ofSeconds(2))
                .consumeFrom(ConsumeFrom.FIRST_OFFSET)
                .consumeThreads(4)
                .build();
        RedisFallbackStore store = RedisFallbackStore.builder()
                .standalone(infra.redis().host(), infra.redis().port())
                .namespace(NAMESPACE)
                .shards(SHARDS)
                .poolSize(8)
                .build();
        ZkCoordination zk = ZkCoordination.builder()
                .connectString(infra.zooKeeper().connectString())
                .namespace(NAMESPACE)
                .build();
        String prefix = "smartmq." + name;
        SmartMQ mq = SmartMQ.builder()
                .config(config)
                .transport(transport)
                .fallbackStore(store)
                .coordination(zk)
                .metricRegistry(registry)
                .metricPrefix(prefix)
                .build();
        return new Service(name, mq, store, zk, registry, prefix);
    }

    String name() {
        return name;
    }

    SmartMQ mq() {
        return mq;
    }

    /** The service's Redis store (its idempotency guard: {@code store().idempotencyGuard()}). Owned by {@link #mq()}. */
    RedisFallbackStore store() {
        return store;
    }

    /** The service's ZooKeeper coordination (read-only use here: the group registry). Owned by {@link #mq()}. */
    ZkCoordination coordination() {
        return coordination;
    }

    /** A long gauge of this service's metrics, or {@code fallback} if it is not registered yet. */
    long gauge(String suffix, long fallback) {
        Gauge<?> g = registry.getGauges().get(metricPrefix + "." + suffix);
        if (g == null) {
            return fallback;
        }
        Object v = g.getValue();
        return v instanceof Number n ? n.longValue() : fallback;
    }

    @Override
    public void close() {
        mq.close();
    }
}
