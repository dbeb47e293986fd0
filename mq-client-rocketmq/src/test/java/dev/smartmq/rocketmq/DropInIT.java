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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.producer.MessageQueueSelector;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 21: RocketMQ listeners, unchanged, behind {@link SmartRocketMQPushConsumer}, fed by
 * {@link SmartRocketMQProducer}, across a broker kill (the switch degrades), its restart and the recovery:
 * every acknowledged message reaches both the concurrently- and the orderly-listener, as a {@code MessageExt} with
 * SmartMQ's id, keys, tags, user properties, born time and {@code reconsumeTimes}, on both paths; the tag
 * expression filters on both paths; {@code RECONSUME_LATER} / {@code SUSPEND_CURRENT_QUEUE_A_MOMENT} redeliver;
 * batches, oneway sends and several keys reach both groups on both paths; selector-ordered sends keep per-arg order
 * for the orderly listener across the whole cycle.
 * One broker, Redis and ZooKeeper for the class.
 */
class DropInIT {

    @RegisterExtension
    static final RocketMQExtension mq = RocketMQExtension.create();

    @RegisterExtension
    static final ZooKeeperExtension zk = ZooKeeperExtension.server();

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static final String NS = "dropin";
    private static final String TOPIC = "dropin-orders";
    private static final Duration WAIT = Duration.ofSeconds(90);

    private static SmartMQ smartMQ;
    private static RocketMQTransport transport;
    private static ZkDegradationSwitch sw;
    private static RedisFallbackStore store;

    /** What one RocketMQ listener saw, written as RocketMQ listeners are written. */
    static final class Seen {
        final Map<String, MessageExt> first = new ConcurrentHashMap<>();
        final List<String> calls = new CopyOnWriteArrayList<>();
        final Set<String> retriedOnce = ConcurrentHashMap.newKeySet();
        final Map<String, Integer> retriedReconsumeTimes = new ConcurrentHashMap<>();
        /** Per selector arg, the "oseq" values in the order first delivered. */
        final Map<String, List<Integer>> orderByArg = new ConcurrentHashMap<>();

        /** Returns whether to ask for a redelivery (the first time a message with {@code retry=yes} is seen). */
        boolean record(MessageExt m) {
            calls.add(m.getMsgId());
            if (first.putIfAbsent(m.getMsgId(), m) == null && m.getUserProperty("ord") != null) {
                orderByArg.computeIfAbsent(m.getUserProperty("ord"), a -> new CopyOnWriteArrayList<>())
                        .add(Integer.parseInt(m.getUserProperty("oseq")));
            }
            if ("yes".equals(m.getUserProperty("retry"))) {
                if (retriedOnce.add(m.getMsgId())) {
                    return true;
                }
                retriedReconsumeTimes.put(m.getMsgId(), m.getReconsumeTimes());
            }
            return false;
        }
    }

    private static final Seen concurrently = new Seen();
    private static final Seen orderly = new Seen();
    private static SmartRocketMQPushConsumer concurrentlyConsumer;
    private static SmartRocketMQPushConsumer orderlyConsumer;

    @BeforeAll
    static void start() throws Exception {
        mq.rocketMQ().createTopic(TOPIC, 2);
        store = RedisFallbackStore.builder().standalone(redis.server().host(), redis.server().port())
                .namespace(NS).shards(4).build();
        transport = RocketMQTransport.builder().nameServer(mq.nameServerAddress())
                .producerGroup("dropin-it").consumeFrom(ConsumeFrom.FIRST_OFFSET)
                .routeRefreshInterval(Duration.ofSeconds(1)).nameServerTimeout(Duration.ofSeconds(3)).build();
        sw = ZkDegradationSwitch.builder().connectString(zk.connectString()).namespace(NS)
                .instanceId("dropin-it").build();
        smartMQ = SmartMQ.builder()
                .config(SmartMQConfig.custom().namespace(NS).failureThreshold(3)
                        .probeInterval(Duration.ofSeconds(1)).probeTimeout(Duration.ofSeconds(1))
                        .probeSuccessThreshold(2).minDwellTime(Duration.ofSeconds(2))
                        .sendTimeout(Duration.ofSeconds(2)).drainCheckInterval(Duration.ofMillis(300))
                        .normalSweepInterval(Duration.ofSeconds(1)).pollBackoffMin(Duration.ofMillis(10))
                        .pollBackoffMax(Duration.ofMillis(200)).retryBackoffInitial(Duration.ofMillis(200))
                        .retryBackoffMax(Duration.ofSeconds(1)).consumerThreads(2)
                        .shutdownTimeout(Duration.ofSeconds(3)).build())
                .transport(transport).fallbackStore(store).degradationSwitch(sw).build();

        // Listeners exactly as a RocketMQ service has them.
        concurrentlyConsumer = new SmartRocketMQPushConsumer(smartMQ.consumer(), "dropin-concurrently");
        concurrentlyConsumer.subscribe(TOPIC, "TagA || TagB");
        concurrentlyConsumer.setConsumeMessageBatchMaxSize(1);
        concurrentlyConsumer.registerMessageListener((MessageListenerConcurrently) (msgs, context) -> {
            for (MessageExt m : msgs) {
                if (concurrently.record(m)) {
                    return ConsumeConcurrentlyStatus.RECONSUME_LATER;
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        concurrentlyConsumer.start();

        orderlyConsumer = new SmartRocketMQPushConsumer(smartMQ.consumer(), "dropin-orderly");
        orderlyConsumer.subscribe(TOPIC, "TagA || TagB");
        orderlyConsumer.registerMessageListener((MessageListenerOrderly) (msgs, context) -> {
            context.setAutoCommit(true);
            for (MessageExt m : msgs) {
                if (orderly.record(m)) {
                    return ConsumeOrderlyStatus.SUSPEND_CURRENT_QUEUE_A_MOMENT;
                }
            }
            return ConsumeOrderlyStatus.SUCCESS;
        });
        orderlyConsumer.start();
    }

    @AfterAll
    static void stop() {
        if (concurrentlyConsumer != null) {
            concurrentlyConsumer.shutdown();
        }
        if (orderlyConsumer != null) {
            orderlyConsumer.shutdown();
        }
        if (smartMQ != null) {
            smartMQ.close();
        }
        if (store != null) {
            store.close();
        }
    }

    /** What was sent and acknowledged. */
    record Sent(String id, Route route, String key, String tag, long before, long after, boolean retry) {
    }

    private static Sent send(SmartRocketMQProducer producer, int i, String tag, boolean retry) throws Exception {
        String key = "order-" + (i % 5);
        Message msg = new Message(TOPIC, tag, key, ("body " + i).getBytes(StandardCharsets.UTF_8));
        msg.putUserProperty("seq", Integer.toString(i));
        if (retry) {
            msg.putUserProperty("retry", "yes");
        }
        long before = System.currentTimeMillis();
        SmartSendResult r = producer.send(msg);
        return new Sent(r.getMsgId(), r.route(), key, tag, before, System.currentTimeMillis(), retry);
    }

    private static int oseq;

    /** A batch of 2, a oneway send and selector-ordered sends of three args: what the phase adds to {@code sent}. */
    private static void sendTheOtherKinds(SmartRocketMQProducer producer, List<Sent> sent, List<String> oneway)
            throws Exception {
        Message b1 = new Message(TOPIC, "TagA", "batch-1", "batch".getBytes(StandardCharsets.UTF_8));
        Message b2 = new Message(TOPIC, "TagB", "", "batch".getBytes(StandardCharsets.UTF_8));
        b2.setKeys(List.of("multi-1", "multi-2"));
        b1.putUserProperty("seq", "batch");
        b2.putUserProperty("seq", "batch");
        long before = System.currentTimeMillis();
        String[] ids = producer.send(List.of(b1, b2)).getMsgId().split(",");
        long after = System.currentTimeMillis();
        assertEquals(2, ids.length);
        sent.add(new Sent(ids[0], null, "batch-1", "TagA", before, after, false));
        sent.add(new Sent(ids[1], null, "multi-1 multi-2", "TagB", before, after, false));

        String marker = "oneway-" + oseq;
        Message ow = new Message(TOPIC, "TagA", marker, "oneway".getBytes(StandardCharsets.UTF_8));
        ow.putUserProperty("seq", "oneway");
        producer.sendOneway(ow);
        oneway.add(marker);

        MessageQueueSelector selector = (mqs, msg, arg) -> mqs.get(Math.floorMod(arg.hashCode(), mqs.size()));
        for (int i = 0; i < 9; i++) {
            String arg = "customer-" + (i % 3);
            Message om = new Message(TOPIC, "TagB", "order-line-" + oseq, "ordered".getBytes(StandardCharsets.UTF_8));
            om.putUserProperty("seq", "ordered");
            om.putUserProperty("ord", arg);
            om.putUserProperty("oseq", Integer.toString(oseq++));
            long t0 = System.currentTimeMillis();
            SmartSendResult r = producer.send(om, selector, arg);
            sent.add(new Sent(r.getMsgId(), r.route(), om.getKeys(), "TagB", t0, System.currentTimeMillis(), false));
        }
    }

    @Test
    void unchangedConcurrentlyAndOrderlyListenersGetEveryMessageAcrossABrokerKill() throws Exception {
        SmartRocketMQProducer producer = new SmartRocketMQProducer(smartMQ.producer());
        List<Sent> sent = new ArrayList<>();
        List<Sent> filtered = new ArrayList<>();
        int seq = 0;
        // NORMAL: over the MQ.
        for (int i = 0; i < 10; i++) {
            sent.add(send(producer, seq++, i % 2 == 0 ? "TagA" : "TagB", i == 3));
        }
        filtered.add(send(producer, seq++, "TagC", false));
        List<String> oneway = new ArrayList<>();
        sendTheOtherKinds(producer, sent, oneway);
        assertTrue(sent.stream().allMatch(s -> s.route() == null || s.route() == Route.MQ), sent.toString());
        awaitAll(sent);

        // Broker killed: sends fall back, the switch degrades, the listeners read Redis.
        mq.rocketMQ().stopBroker();
        try {
            for (int i = 0; i < 40 && smartMQ.effectiveState() != SwitchState.DEGRADED; i++) {
                sent.add(send(producer, seq++, "TagA", false));
            }
            await().atMost(WAIT).until(() -> smartMQ.effectiveState() == SwitchState.DEGRADED);
            for (int i = 0; i < 10; i++) {
                Sent s = send(producer, seq++, i % 2 == 0 ? "TagA" : "TagB", i == 5);
                assertEquals(Route.FALLBACK, s.route());
                sent.add(s);
            }
            filtered.add(send(producer, seq++, "TagC", false));
            int beforeOthers = sent.size();
            sendTheOtherKinds(producer, sent, oneway);
            assertTrue(sent.subList(beforeOthers, sent.size()).stream()
                    .allMatch(s -> s.route() == null || s.route() == Route.FALLBACK));
            awaitAll(sent);
        } finally {
            mq.rocketMQ().startBroker();
        }

        // Recovery: back to NORMAL, over the MQ again.
        await().atMost(WAIT).until(() -> smartMQ.effectiveState() == SwitchState.NORMAL);
        for (int i = 0; i < 10; i++) {
            Sent s = send(producer, seq++, i % 2 == 0 ? "TagA" : "TagB", false);
            sent.add(s);
        }
        sendTheOtherKinds(producer, sent, oneway);
        awaitAll(sent);
        for (Seen seen : List.of(concurrently, orderly)) {
            await().atMost(WAIT).until(() -> seen.first.values().stream().map(MessageExt::getKeys)
                    .collect(java.util.stream.Collectors.toSet()).containsAll(oneway));
        }

        for (Seen seen : List.of(concurrently, orderly)) {
            for (Sent s : sent) {
                MessageExt m = seen.first.get(s.id());
                assertEquals(s.id(), m.getMsgId());
                assertEquals(s.id(), m.getUserProperty("SMQ_ID"));
                assertEquals(TOPIC, m.getTopic());
                assertEquals(s.key(), m.getKeys());
                assertEquals(s.tag(), m.getTags());
                assertTrue(m.getUserProperty("seq") != null);
                assertTrue(m.getUserProperty("UNIQ_KEY") == null && m.getUserProperty("rocketmq.keys") == null);
                assertTrue(m.getBornTimestamp() >= s.before() - 5 && m.getBornTimestamp() <= s.after() + 5,
                        "born timestamp " + m.getBornTimestamp() + " within the send of " + s);
                if (s.retry()) {
                    assertEquals(1, seen.retriedReconsumeTimes.get(s.id()),
                            "the redelivery after RECONSUME_LATER/SUSPEND has reconsumeTimes 1: " + s);
                } else {
                    assertEquals(0, m.getReconsumeTimes());
                }
            }
            for (Map.Entry<String, List<Integer>> e : seen.orderByArg.entrySet()) {
                List<Integer> order = e.getValue();
                List<Integer> sorted = new ArrayList<>(order);
                java.util.Collections.sort(sorted);
                if (seen == orderly) {
                    assertEquals(sorted, order, "per-arg order across the cycle for " + e.getKey());
                }
                assertEquals(9, order.size(), "three phases x three sends of " + e.getKey());
            }
            for (Sent s : filtered) {
                assertTrue(!seen.first.containsKey(s.id()), "TagC is not in 'TagA || TagB': " + s);
            }
        }
        Map<Route, Integer> byRoute = new HashMap<>();
        sent.stream().filter(s -> s.route() != null).forEach(s -> byRoute.merge(s.route(), 1, Integer::sum));
        assertTrue(byRoute.getOrDefault(Route.FALLBACK, 0) >= 10 && byRoute.getOrDefault(Route.MQ, 0) >= 20,
                byRoute.toString());
    }

    @Test
    void aRawConsumerGroupOnTheTopicIsReportedAtWarnAndCounted() throws Exception {
        String topic = "dropin-migration";
        mq.rocketMQ().createTopic(topic, 2);
        DefaultMQPushConsumer raw = new DefaultMQPushConsumer("legacy-readers");
        raw.setNamesrvAddr(mq.nameServerAddress());
        raw.setInstanceName("legacy-" + java.util.UUID.randomUUID().toString().substring(0, 8));
        raw.subscribe(topic, "*");
        raw.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) ->
                ConsumeConcurrentlyStatus.CONSUME_SUCCESS);
        raw.start();
        SmartRocketMQPushConsumer migrated = new SmartRocketMQPushConsumer(smartMQ.consumer(), "migrated-readers");
        try (MigrationGuard guard = MigrationGuard.builder().transport(transport).registry(sw)
                .interval(Duration.ofSeconds(1)).build()) {
            migrated.setMigrationGuard(guard);
            migrated.subscribe(topic, "*");
            migrated.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) ->
                    ConsumeConcurrentlyStatus.CONSUME_SUCCESS);
            migrated.start();
            // The broker learns of a consumer by its heartbeat; the guard re-checks every second.
            await().atMost(WAIT).until(() -> guard.unregisteredGroups().getOrDefault(topic, Set.of())
                    .contains("legacy-readers"));
            assertEquals(Set.of("legacy-readers"), guard.check(topic), "the SmartMQ group is registered, not reported");
            assertTrue(guard.warnings() >= 2, "each finding is a WARN, counted: " + guard.warnings());
            assertEquals(1, guard.unregisteredGroupCount());
            assertEquals(1, smartMQ.metrics().getGauges().get("smartmq.migration.unregistered-groups").getValue(),
                    "the engine's gauge reads the guard built on its transport");
            assertTrue(guard.check(TOPIC).isEmpty(), "the drop-in consumers' topic has only registered groups");
        } finally {
            migrated.shutdown();
            raw.shutdown();
        }
        assertEquals(-1, smartMQ.metrics().getGauges().get("smartmq.migration.unregistered-groups").getValue(),
                "no guard runs on the transport any more");
    }

    @Test
    void aMissingTopicIsCreatedWhenTheBrokerAutoCreatesTopics() {
        assertTrue(transport.ensureTopic("dropin-probe-autocreated", Duration.ofSeconds(10)));
        assertTrue(!transport.ensureTopic("dropin-probe-autocreated", Duration.ofSeconds(10)), "exists afterwards");
    }

    private static void awaitAll(List<Sent> sent) {
        for (Seen seen : List.of(concurrently, orderly)) {
            await().atMost(WAIT).until(() -> sent.stream().allMatch(s -> seen.first.containsKey(s.id())
                    && (!s.retry() || seen.retriedReconsumeTimes.containsKey(s.id()))));
        }
    }
}
