package dev.smartmq.rocketmq;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.Route;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SwitchState;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.rocketmq.RocketMQExtension;
import dev.smartmq.testkit.zookeeper.ZooKeeperExtension;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 21: delayed messages through the drop-in producer while DEGRADED (an operator drill, so every send goes to
 * Redis): {@code setDelayTimeLevel} and {@code setDeliverTimeMs} messages are not delivered to an unchanged RocketMQ
 * listener before their time and are delivered after it, also when the consumer was shut down and started again
 * in between; after the drill ends the switch stays RECOVERING while a delayed message is held (it is counted by the
 * drain decision) and reaches NORMAL once it was delivered. Transactional sends while DEGRADED: a committed local
 * transaction's message is delivered, a rolled-back one's never. Embedded broker, ZooKeeper and Redis for the class.
 */
class DegradedDropInIT {

    @RegisterExtension
    static final RocketMQExtension mq = RocketMQExtension.create();

    @RegisterExtension
    static final ZooKeeperExtension zk = ZooKeeperExtension.server();

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static final String NS = "delayed-dropin";
    private static final String TOPIC = "delayed-orders";
    private static final String GROUP = "delayed-readers";
    private static final Duration WAIT = Duration.ofSeconds(90);
    /** Held messages due within this long hold RECOVERING (the 7 s and 10 s ones below do, a later one does not). */
    private static final Duration DRAIN_HORIZON = Duration.ofSeconds(15);
    /** Not created by the test: the engine creates it at start (the broker auto-creates topics). */
    private static final String PROBE_TOPIC = "delayed-dropin-probe";

    private static SmartMQ smartMQ;
    private static RedisFallbackStore store;
    /** SmartMQ id → when the listener first got it (epoch ms). */
    private static final Map<String, Long> received = new ConcurrentHashMap<>();
    /** Per key, the bodies the listener got (first deliveries). */
    private static final Map<String, java.util.List<String>> bodiesByKey = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() {
        mq.rocketMQ().createTopic(TOPIC, 2);
        store = RedisFallbackStore.builder().standalone(redis.server().host(), redis.server().port())
                .namespace(NS).shards(4).build();
        RocketMQTransport transport = RocketMQTransport.builder().nameServer(mq.nameServerAddress())
                .producerGroup("delayed-dropin-it").consumeFrom(ConsumeFrom.FIRST_OFFSET)
                .routeRefreshInterval(Duration.ofSeconds(1)).nameServerTimeout(Duration.ofSeconds(3)).build();
        ZkDegradationSwitch sw = ZkDegradationSwitch.builder().connectString(zk.connectString()).namespace(NS)
                .instanceId("delayed-dropin-it").build();
        smartMQ = SmartMQ.builder()
                .config(SmartMQConfig.custom().namespace(NS).failureThreshold(3).probeTopic(PROBE_TOPIC)
                        .probeInterval(Duration.ofSeconds(1)).probeTimeout(Duration.ofSeconds(1))
                        .probeSuccessThreshold(2).minDwellTime(Duration.ofSeconds(1))
                        .sendTimeout(Duration.ofSeconds(2)).drainCheckInterval(Duration.ofMillis(300))
                        .normalSweepInterval(Duration.ofSeconds(1)).pollBackoffMin(Duration.ofMillis(10))
                        .pollBackoffMax(Duration.ofMillis(200)).consumerThreads(2)
                        .delayedDrainHorizon(DRAIN_HORIZON)
                        .shutdownTimeout(Duration.ofSeconds(3)).build())
                .transport(transport).fallbackStore(store).degradationSwitch(sw).build();
    }

    @AfterAll
    static void stop() {
        if (smartMQ != null) {
            smartMQ.close();
        }
        if (store != null) {
            store.close();
        }
    }

    private static SmartRocketMQPushConsumer consumer() throws Exception {
        SmartRocketMQPushConsumer c = new SmartRocketMQPushConsumer(smartMQ.consumer(), GROUP);
        c.subscribe(TOPIC, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                if (received.putIfAbsent(m.getMsgId(), System.currentTimeMillis()) == null) {
                    bodiesByKey.computeIfAbsent(m.getKeys(), k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                            .add(new String(m.getBody(), StandardCharsets.UTF_8));
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        return c;
    }

    @Test
    void theEngineCreatedTheProbeTopicAtStart() {
        assertTrue(!mq.rocketMQ().topicRoute(PROBE_TOPIC).isEmpty(), "probe topic " + PROBE_TOPIC + " has a route");
    }

    @Test
    void delayedMessagesSentWhileDegradedWaitForTheirTimeAcrossAConsumerRestartAndHoldRecovery() throws Exception {
        SmartRocketMQPushConsumer first = consumer();
        SmartRocketMQProducer producer = new SmartRocketMQProducer(smartMQ.producer());
        smartMQ.operator().degrade("delayed-message drill", Duration.ofMinutes(10), "DegradedDropInIT");
        await().atMost(WAIT).until(() -> smartMQ.effectiveState() == SwitchState.DEGRADED);

        long t0 = System.currentTimeMillis();
        Message level = new Message(TOPIC, "TagA", "order-1", "level 3".getBytes(StandardCharsets.UTF_8));
        level.setDelayTimeLevel(3); // 10 s (RocketMQ's default levels)
        SmartSendResult levelSent = producer.send(level);
        long levelDue = t0 + 10_000;
        Message timed = new Message(TOPIC, "TagA", "order-2", "timed".getBytes(StandardCharsets.UTF_8));
        long timedDue = System.currentTimeMillis() + 7_000;
        timed.setDeliverTimeMs(timedDue);
        SmartSendResult timedSent = producer.send(timed);
        SmartSendResult plain = producer.send(new Message(TOPIC, "TagA", "order-3",
                "now".getBytes(StandardCharsets.UTF_8)));
        for (SmartSendResult r : new SmartSendResult[] {levelSent, timedSent, plain}) {
            assertEquals(Route.FALLBACK, r.route(), "degraded: to Redis");
        }

        await().atMost(WAIT).until(() -> received.containsKey(plain.getMsgId()));
        assertTrue(!received.containsKey(timedSent.getMsgId()) && !received.containsKey(levelSent.getMsgId())
                || System.currentTimeMillis() >= timedDue, "nothing delayed arrives before its time");

        // The consumer goes away and comes back while both are still held.
        first.shutdown();
        SmartRocketMQPushConsumer second = consumer();
        try {
            // The drill ends; the switch must not reach NORMAL while a delayed message is held.
            smartMQ.operator().restore("drill over", "DegradedDropInIT", false);
            await().atMost(WAIT).until(() -> smartMQ.effectiveState() != SwitchState.DEGRADED);
            if (System.currentTimeMillis() < timedDue - 1_500) {
                await().during(Duration.ofMillis(1_000)).atMost(Duration.ofSeconds(5))
                        .until(() -> smartMQ.switchStatus().state() == SwitchState.RECOVERING);
            }

            await().atMost(WAIT).until(() -> received.containsKey(timedSent.getMsgId())
                    && received.containsKey(levelSent.getMsgId()));
            long timedAt = received.get(timedSent.getMsgId());
            long levelAt = received.get(levelSent.getMsgId());
            System.out.printf("delayed drop-in: timed due +%d ms, delivered +%d ms; level 3 due +%d ms, delivered +%d ms%n",
                    timedDue - t0, timedAt - t0, levelDue - t0, levelAt - t0);
            assertTrue(timedAt >= timedDue, "setDeliverTimeMs message delivered " + (timedDue - timedAt) + " ms early");
            assertTrue(levelAt >= levelDue - 50, "level-3 message delivered " + (levelDue - levelAt) + " ms early");
            assertEquals(0, store.delayedBacklog(TOPIC, GROUP));
            await().atMost(WAIT).until(() -> smartMQ.switchStatus().state() == SwitchState.NORMAL);
        } finally {
            second.shutdown();
        }
    }

    @Test
    void whileDegradedACommittedTransactionsMessageIsDeliveredAndARolledBackOneNever() throws Exception {
        SmartRocketMQPushConsumer c = consumer();
        try {
            smartMQ.operator().degrade("transaction drill", Duration.ofMinutes(10), "DegradedDropInIT");
            await().atMost(WAIT).until(() -> smartMQ.effectiveState() == SwitchState.DEGRADED);
            SmartRocketMQTransactionProducer tx = new SmartRocketMQTransactionProducer(smartMQ.producer());
            tx.setTransactionListener(new org.apache.rocketmq.client.producer.TransactionListener() {
                @Override
                public org.apache.rocketmq.client.producer.LocalTransactionState executeLocalTransaction(Message m,
                        Object arg) {
                    return "commit".equals(arg) ? org.apache.rocketmq.client.producer.LocalTransactionState.COMMIT_MESSAGE
                            : org.apache.rocketmq.client.producer.LocalTransactionState.ROLLBACK_MESSAGE;
                }

                @Override
                public org.apache.rocketmq.client.producer.LocalTransactionState checkLocalTransaction(MessageExt m) {
                    return org.apache.rocketmq.client.producer.LocalTransactionState.UNKNOW;
                }
            });
            tx.start();
            var rolledBack = tx.sendMessageInTransaction(new Message(TOPIC, "TagA", "tx-rolled-back",
                    "no".getBytes(StandardCharsets.UTF_8)), "rollback");
            var committed = tx.sendMessageInTransaction(new Message(TOPIC, "TagA", "tx-committed",
                    "yes".getBytes(StandardCharsets.UTF_8)), "commit");
            assertEquals(org.apache.rocketmq.client.producer.LocalTransactionState.ROLLBACK_MESSAGE,
                    rolledBack.getLocalTransactionState());
            assertEquals(org.apache.rocketmq.client.producer.LocalTransactionState.COMMIT_MESSAGE,
                    committed.getLocalTransactionState());
            // Sent after both, on the same key's shard as neither: once it and the committed one are in, the
            // rolled-back one would have been too.
            SmartRocketMQProducer producer = new SmartRocketMQProducer(smartMQ.producer());
            SmartSendResult marker = producer.send(new Message(TOPIC, "TagA", "tx-rolled-back",
                    "marker".getBytes(StandardCharsets.UTF_8)));
            assertEquals(Route.FALLBACK, marker.route());
            await().atMost(WAIT).until(() -> received.containsKey(committed.getMsgId())
                    && received.containsKey(marker.getMsgId()));
            assertEquals(0, store.backlog(TOPIC, GROUP) + store.delayedBacklog(TOPIC, GROUP));
            assertEquals(java.util.List.of("yes"), bodiesByKey.get("tx-committed"));
            // The marker shares the rolled-back message's key (same shard, FIFO, sent after it): it is there, and
            // the rolled-back message never was.
            assertEquals(java.util.List.of("marker"), bodiesByKey.get("tx-rolled-back"));
        } finally {
            smartMQ.operator().restore("drill over", "DegradedDropInIT", false);
            c.shutdown();
        }
    }

    /** The MQ path of a delay level, against the broker (RocketMQ's schedule service): delivered once, never early. */
    @Test
    void onTheMqADelayLevelMessageIsDeliveredOnceAndNeverEarly() throws Exception {
        await().atMost(WAIT).until(() -> smartMQ.effectiveState() == SwitchState.NORMAL);
        SmartRocketMQPushConsumer c = consumer();
        try {
            SmartRocketMQProducer producer = new SmartRocketMQProducer(smartMQ.producer());
            Message level = new Message(TOPIC, "TagA", "mq-level-2", "level".getBytes(StandardCharsets.UTF_8));
            level.setDelayTimeLevel(2); // 5 s (RocketMQ's default levels)
            long due = System.currentTimeMillis() + 5_000;
            SmartSendResult sent = producer.send(level);
            assertEquals(Route.MQ, sent.route());
            await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> {
                Long at = received.get(sent.getMsgId());
                assertTrue(at == null || at >= due - 50, () -> "level-2 message delivered " + (due - at) + " ms early");
                return at != null;
            });
            System.out.printf("delay level 2 on the MQ: delivered %+d ms after its time%n",
                    received.get(sent.getMsgId()) - due);
            assertEquals(java.util.List.of("level"), bodiesByKey.get("mq-level-2"));
        } finally {
            c.shutdown();
        }
    }

    /**
     * A broker without the timer wheel ({@code timerWheelEnable=false}, as the test broker runs) refuses timer messages
     * with {@code SYSTEM_ERROR} ("accurate timer message is not enabled"): a refusal of one kind of message by a healthy
     * broker, not an outage. Sent while NORMAL, more of them than the failure threshold: each is stored in the fallback
     * store and delivered, none before its time, and the namespace stays NORMAL (before the fix the refusals counted
     * as cluster failures: three timed sends degraded the whole fleet).
     */
    @Test
    void timedMessagesABrokerWithoutTheTimerWheelRefusesDoNotDegradeTheFleet() throws Exception {
        await().atMost(WAIT).until(() -> smartMQ.switchStatus().state() == SwitchState.NORMAL
                && smartMQ.effectiveState() == SwitchState.NORMAL);
        SmartRocketMQPushConsumer c = consumer();
        try {
            SmartRocketMQProducer producer = new SmartRocketMQProducer(smartMQ.producer());
            var before = smartMQ.switchStatus();
            Map<String, Long> due = new java.util.HashMap<>();
            for (int i = 0; i < 5; i++) {
                Message timed = new Message(TOPIC, "TagA", "mq-timed", ("timed " + i).getBytes(StandardCharsets.UTF_8));
                long at = System.currentTimeMillis() + 2_000;
                timed.setDeliverTimeMs(at);
                SmartSendResult r = producer.send(timed);
                due.put(r.getMsgId(), at);
            }
            await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> {
                for (Map.Entry<String, Long> e : due.entrySet()) {
                    Long at = received.get(e.getKey());
                    assertTrue(at == null || at >= e.getValue(),
                            () -> "timed message delivered " + (e.getValue() - at) + " ms early");
                }
                return received.keySet().containsAll(due.keySet());
            });
            assertEquals(before, smartMQ.switchStatus(),
                    "timed messages a healthy broker refuses must not change the switch (no degrade, no recovery)");
            assertEquals(SwitchState.NORMAL, smartMQ.effectiveState());
            assertEquals(5, bodiesByKey.get("mq-timed").size());
        } finally {
            c.shutdown();
        }
    }

    /**
     * A message sent in fallback with a time a day ahead stays held in Redis (not lost, not delivered early) but does
     * not hold the fleet in RECOVERING for a day: only held messages due within the engine's
     * {@code delayedDrainHorizon} count for the drain decision; later ones are moved by the store's mover and swept
     * by the consumers in NORMAL when due — shown by a second one due 35 s after sending (beyond the class's 15 s
     * horizon when the drill ends), delivered while NORMAL, not early. Own topic and group, deleted at the end.
     */
    @Test
    void aMessageDelayedByADayDoesNotHoldTheFleetInRecovering() throws Exception {
        String topic = "delayed-far-orders";
        String group = "delayed-far-readers";
        mq.rocketMQ().createTopic(topic, 2);
        SmartRocketMQPushConsumer c = new SmartRocketMQPushConsumer(smartMQ.consumer(), group);
        java.util.Set<String> seen = ConcurrentHashMap.newKeySet();
        Map<String, SwitchState> stateAtDelivery = new ConcurrentHashMap<>();
        Map<String, Long> deliveredAt = new ConcurrentHashMap<>();
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                seen.add(m.getMsgId());
                stateAtDelivery.putIfAbsent(m.getMsgId(), smartMQ.switchStatus().state());
                deliveredAt.putIfAbsent(m.getMsgId(), System.currentTimeMillis());
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        try {
            smartMQ.operator().degrade("far-delay drill", Duration.ofMinutes(10), "DegradedDropInIT");
            await().atMost(WAIT).until(() -> smartMQ.effectiveState() == SwitchState.DEGRADED);
            SmartRocketMQProducer producer = new SmartRocketMQProducer(smartMQ.producer());
            Message far = new Message(topic, "TagA", "far-1", "tomorrow".getBytes(StandardCharsets.UTF_8));
            far.setDeliverTimeMs(System.currentTimeMillis() + Duration.ofDays(1).toMillis());
            SmartSendResult sent = producer.send(far);
            assertEquals(Route.FALLBACK, sent.route());
            Message later = new Message(topic, "TagA", "far-3", "in 35 s".getBytes(StandardCharsets.UTF_8));
            long laterDue = System.currentTimeMillis() + 35_000;
            later.setDeliverTimeMs(laterDue);
            SmartSendResult laterSent = producer.send(later);
            SmartSendResult now = producer.send(new Message(topic, "TagA", "far-2", "now".getBytes(StandardCharsets.UTF_8)));
            await().atMost(WAIT).until(() -> seen.contains(now.getMsgId()));

            smartMQ.operator().restore("drill over", "DegradedDropInIT", false);
            await().atMost(WAIT).until(() -> smartMQ.switchStatus().state() == SwitchState.NORMAL);
            assertTrue(!seen.contains(laterSent.getMsgId()), "the 35 s one is not delivered early");
            await().atMost(WAIT).until(() -> seen.contains(laterSent.getMsgId()));
            assertTrue(deliveredAt.get(laterSent.getMsgId()) >= laterDue, "not early");
            assertEquals(SwitchState.NORMAL, stateAtDelivery.get(laterSent.getMsgId()), "delivered while NORMAL");
            assertEquals(1, store.delayedBacklog(topic, group), "the day-ahead one still held, not lost");
            assertTrue(!seen.contains(sent.getMsgId()), "not delivered a day early");
        } finally {
            c.shutdown();
            store.deleteGroup(topic, group);
        }
    }
}
