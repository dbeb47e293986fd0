package dev.smartmq.admin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.Message;
import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SwitchState;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.rocketmq.ConsumeFrom;
import dev.smartmq.rocketmq.RocketMQTransport;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.rocketmq.RocketMQExtension;
import dev.smartmq.testkit.zookeeper.ZooKeeperExtension;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Mixed fleets (issue 20): a consumer group still on a raw {@code DefaultMQPushConsumer} gets every acknowledged
 * message across a full degrade / recover cycle when its topic is in {@code republishTopics}: what was sent while
 * DEGRADED lives in Redis and is re-published to RocketMQ on recovery, with its SmartMQ id.
 */
class RepublishIT {

    @RegisterExtension
    static final RocketMQExtension mq = RocketMQExtension.create();

    @RegisterExtension
    static final ZooKeeperExtension zk = ZooKeeperExtension.server();

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static final int SHARDS = 4;

    private final AdminRunner admin = new AdminRunner();

    private AdminRunner.Result run(String ns, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--zk", zk.connectString(), "--redis", redis.server().host() + ":" + redis.server().port(),
                "--namespace", ns, "--shard-count", Integer.toString(SHARDS), "--timeout", "10s"));
        return admin.run(all.toArray(String[]::new));
    }

    @Test
    void aRawConsumerGetsEveryAcknowledgedMessageAcrossADegradeRecoverCycle() throws Exception {
        String ns = "republish";
        String topic = "shipments";
        mq.rocketMQ().createTopic(topic, 2);
        Set<String> rawSeen = ConcurrentHashMap.newKeySet();
        DefaultMQPushConsumer rawConsumer = new DefaultMQPushConsumer("legacy-readers");
        rawConsumer.setNamesrvAddr(mq.nameServerAddress());
        rawConsumer.setInstanceName("legacy-" + UUID.randomUUID().toString().substring(0, 8));
        rawConsumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        rawConsumer.subscribe(topic, "*");
        rawConsumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                rawSeen.add(m.getUserProperty("SMQ_ID"));
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        rawConsumer.start();

        RedisFallbackStore store = RedisFallbackStore.builder().standalone(redis.server().host(), redis.server().port())
                .namespace(ns).shards(SHARDS).build();
        RocketMQTransport transport = RocketMQTransport.builder().nameServer(mq.nameServerAddress())
                .producerGroup("republish-it").consumeFrom(ConsumeFrom.FIRST_OFFSET)
                .routeRefreshInterval(Duration.ofSeconds(1)).nameServerTimeout(Duration.ofSeconds(3)).build();
        ZkDegradationSwitch sw = ZkDegradationSwitch.builder().connectString(zk.connectString()).namespace(ns)
                .instanceId("republish-it").build();
        Set<String> acknowledged = new HashSet<>();
        Set<String> viaFallback = new HashSet<>();
        try (SmartMQ smartMQ = SmartMQ.builder()
                .config(SmartMQConfig.custom().namespace(ns).republishTopics(List.of(topic))
                        .drainCheckInterval(Duration.ofMillis(500)).build())
                .transport(transport).fallbackStore(store).degradationSwitch(sw).build()) {
            for (int i = 0; i < 5; i++) {
                acknowledged.add(smartMQ.producer().send(Message.builder(topic).key("s" + i).body("before " + i).build())
                        .messageId());
            }
            AdminRunner.Result degrade = run(ns, "switch", "degrade", "--reason", "mixed fleet drill", "--ttl", "5m");
            assertEquals(0, degrade.exitCode(), degrade.toString());
            await().atMost(Duration.ofSeconds(30)).until(() -> smartMQ.effectiveState() == SwitchState.DEGRADED);
            for (int i = 0; i < 10; i++) {
                SendReceipt r = smartMQ.producer().send(Message.builder(topic).key("s" + i).body("during " + i).build());
                assertEquals(Route.FALLBACK, r.route());
                acknowledged.add(r.messageId());
                viaFallback.add(r.messageId());
            }
            // DEGRADED: the raw group cannot see these, they are in Redis only.
            await().atMost(Duration.ofSeconds(60)).until(() -> rawSeen.size() >= 5);
            assertTrue(viaFallback.stream().noneMatch(rawSeen::contains));

            AdminRunner.Result restore = run(ns, "switch", "restore", "--reason", "drill over");
            assertEquals(0, restore.exitCode(), restore.toString());
            await().atMost(Duration.ofSeconds(60)).until(() -> rawSeen.containsAll(acknowledged));
            await().atMost(Duration.ofSeconds(60)).until(() -> smartMQ.effectiveState() == SwitchState.NORMAL);
            assertEquals(0, store.backlog(topic, "smartmq-republish"));
        } finally {
            rawConsumer.shutdown();
        }
        assertEquals(acknowledged, rawSeen, "every acknowledged message reached the raw consumer, by its SmartMQ id");
    }
}
