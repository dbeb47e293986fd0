package dev.smartmq.chaos;

import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.Subscription;
import dev.smartmq.api.SwitchState;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.testkit.checker.DeliveryChecker;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The SmartMQ side of one {@link RedisHaFaultsIT} row: a producer instance and a consumer instance, each built as
 * a separate service would build it (its own {@link RedisFallbackStore} from {@code stores}, its own ZooKeeper
 * switch client), with the MQ down for the whole row ({@link MqDownTransport}), so the first failed sends degrade
 * the switch and the row runs DEGRADED: every send goes to Redis, and every send Redis cannot store throws
 * {@code DeliveryException}. The consumer subscribes one group with a {@link DeliveryLog} handler. Thread rules:
 * built, used and closed by the test thread.
 */
final class RedisHaRig implements AutoCloseable {

    static final String TOPIC = "paid";
    static final String GROUP = "billing";

    final DeliveryChecker checker = DeliveryChecker.create();
    final DeliveryLog deliveries = new DeliveryLog(checker);
    private final List<SmartMQ> nodes = new ArrayList<>();
    private final List<RedisFallbackStore> stores = new ArrayList<>();
    private final SmartMQ producer;
    private final RedisFallbackStore admin;

    RedisHaRig(String zkConnect, String namespace, Supplier<RedisFallbackStore.Builder> stores) {
        checker.expectGroups(GROUP);
        this.producer = node(zkConnect, namespace, stores.get());
        SmartMQ consumer = node(zkConnect, namespace, stores.get());
        consumer.consumer().subscribe(Subscription.of(TOPIC, GROUP), deliveries.handler(GROUP, "c0"));
        this.admin = stores.get().namespace(namespace).shards(ChaosSettings.SHARDS).build();
        this.stores.add(admin);
        admin.start();
    }

    private SmartMQ node(String zkConnect, String namespace, RedisFallbackStore.Builder store) {
        ZkDegradationSwitch sw = ZkDegradationSwitch.builder()
                .connectString(zkConnect)
                .namespace(namespace)
                .sessionTimeout(ChaosSettings.ZK_SESSION_TIMEOUT)
                .connectionTimeout(Duration.ofSeconds(3))
                .operationTimeout(ChaosSettings.ZK_OPERATION_TIMEOUT)
                .build();
        SmartMQConfig config = ChaosSettings.config(namespace);
        SmartMQ mq = SmartMQ.builder().config(config).transport(new MqDownTransport())
                .fallbackStore(store.namespace(namespace).shards(ChaosSettings.SHARDS).build())
                .degradationSwitch(sw).build();
        nodes.add(mq);
        return mq;
    }

    SmartMQ producer() {
        return producer;
    }

    /** The state the producer routes by. */
    SwitchState producerState() {
        return producer.effectiveState();
    }

    /** Queued + in flight in Redis for the row's group (read by a store of its own), or -1 if Redis does not answer. */
    long backlog() {
        try {
            return admin.backlog(TOPIC, GROUP);
        } catch (RuntimeException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (AutoCloseable c : closeables()) {
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = new IllegalStateException("closing the row's instances failed", e);
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private List<AutoCloseable> closeables() {
        List<AutoCloseable> all = new ArrayList<>(nodes);
        all.addAll(stores);
        return all;
    }
}
