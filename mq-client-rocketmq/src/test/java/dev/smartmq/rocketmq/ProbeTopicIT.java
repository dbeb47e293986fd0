package dev.smartmq.rocketmq;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.rocketmq.RocketMQExtension;
import dev.smartmq.testkit.zookeeper.ZooKeeperExtension;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 21: the probe topic at start-up, on a broker that does not create topics: a clear error naming the topic
 * and the {@code mqadmin updateTopic} command; once created, nothing to do. The engine checks its probe topic at
 * start: {@code SmartMQ.build()} fails with that error (and closes what it started), and succeeds once the topic
 * exists.
 */
class ProbeTopicIT {

    @RegisterExtension
    static final RocketMQExtension mq = RocketMQExtension.create(b -> b.autoCreateTopics(false));

    @RegisterExtension
    static final ZooKeeperExtension zk = ZooKeeperExtension.server();

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static SmartMQ.Builder engine(String probeTopic) {
        RocketMQTransport transport = RocketMQTransport.builder().nameServer(mq.nameServerAddress())
                .producerGroup("probe-topic-engine").nameServerTimeout(Duration.ofSeconds(3)).build();
        RedisFallbackStore store = RedisFallbackStore.builder().standalone(redis.server().host(), redis.server().port())
                .namespace("probetopic").shards(4).build();
        ZkDegradationSwitch sw = ZkDegradationSwitch.builder().connectString(zk.connectString())
                .namespace("probetopic").instanceId("probe-topic-it").build();
        return SmartMQ.builder().config(SmartMQConfig.custom().namespace("probetopic").probeTopic(probeTopic)
                        .probeTimeout(Duration.ofSeconds(5)).build())
                .transport(transport).fallbackStore(store).degradationSwitch(sw);
    }

    @Test
    void theEngineRefusesToStartWithoutItsProbeTopicAndStartsOnceItExists() {
        String probe = "engine-probe";
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> engine(probe).build());
        assertTrue(e.getMessage().contains(probe) && e.getMessage().contains("mqadmin updateTopic"), e.getMessage());
        mq.rocketMQ().createTopic(probe, 1);
        try (SmartMQ started = engine(probe).build()) {
            assertTrue(started.effectiveState() != null);
        }
    }

    @Test
    void aMissingProbeTopicWithoutAutoCreationIsAClearStartUpError() {
        try (RocketMQTransport transport = RocketMQTransport.builder().nameServer(mq.nameServerAddress())
                .producerGroup("probe-topic-it").nameServerTimeout(Duration.ofSeconds(3)).build()) {
            transport.start();
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> transport.ensureTopic("SMARTMQ_PROBE", Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("SMARTMQ_PROBE") && e.getMessage().contains("mqadmin updateTopic"),
                    e.getMessage());

            mq.rocketMQ().createTopic("SMARTMQ_PROBE", 1);
            assertFalse(transport.ensureTopic("SMARTMQ_PROBE", Duration.ofSeconds(5)), "it exists now");
        }
    }
}
