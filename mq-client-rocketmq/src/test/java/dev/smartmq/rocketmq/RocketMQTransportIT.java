package dev.smartmq.rocketmq;

import static dev.smartmq.rocketmq.Fixtures.BUDGET;
import static dev.smartmq.rocketmq.Fixtures.envelope;
import static dev.smartmq.rocketmq.Fixtures.uniqueTopic;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Message;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Route;
import dev.smartmq.api.Subscription;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FailureKind;
import dev.smartmq.spi.FailureScope;
import dev.smartmq.spi.TransportException;
import dev.smartmq.spi.TransportReceipt;
import dev.smartmq.spi.TransportSubscription;
import dev.smartmq.testkit.rocketmq.RocketMQExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.rocketmq.client.producer.SendResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The transport against a healthy embedded broker: mapping, ordering, input rejection, pause, isolation. */
class RocketMQTransportIT {

    @RegisterExtension
    static final RocketMQExtension mq = RocketMQExtension.create();

    private static RocketMQTransport transport;

    @BeforeAll
    static void startTransport() {
        transport = Fixtures.transport(mq.nameServerAddress()).build();
        transport.start();
    }

    @AfterAll
    static void closeTransport() {
        if (transport != null) {
            transport.close();
        }
    }

    @Test
    void roundTripKeepsIdKeyTagsPropertiesAndBodyAndFiltersByTag() {
        String topic = uniqueTopic("rt");
        mq.rocketMQ().createTopic(topic, 4);
        Fixtures.Inbox inbox = new Fixtures.Inbox();
        try (TransportSubscription sub = transport.subscribe(
                Subscription.builder(topic, "rt-group").tagExpression("paid || shipped").build(), inbox.listener())) {
            Message paid = Message.builder(topic).key("order-1").tags("paid").property("tenant", "t1")
                    .property("trace.id", "abc-123").body("paid-body").build();
            Envelope env = envelope(paid);
            TransportReceipt receipt = transport.send(env, BUDGET);
            assertNotNull(receipt.transportMessageId());
            transport.send(envelope(Message.builder(topic).tags("cancelled").body("filtered-out").build()), BUDGET);
            Envelope async = envelope(Message.builder(topic).tags("shipped").body("async-body").build());
            transport.sendAsync(async, BUDGET).join();

            await().atMost(Duration.ofSeconds(60)).until(() -> inbox.size() >= 2);
            ReceivedMessage got = inbox.messages.stream().filter(m -> m.id().equals(env.id())).findFirst().orElseThrow();
            assertEquals(topic, got.topic());
            assertEquals("order-1", got.key());
            assertEquals("paid", got.tags());
            assertEquals(Map.of("tenant", "t1", "trace.id", "abc-123"), got.properties());
            assertEquals("paid-body", new String(got.body(), StandardCharsets.UTF_8));
            assertEquals(env.bornTimestamp(), got.bornTimestamp());
            assertEquals(1, got.deliveryAttempt());
            assertEquals(Route.MQ, got.route());
            assertTrue(inbox.messages.stream().anyMatch(m -> m.id().equals(async.id())));
            // Give the filtered message every chance to (wrongly) arrive: it went before the async one.
            assertTrue(inbox.messages.stream().noneMatch(m -> "cancelled".equals(m.tags())));
        }
    }

    @Test
    void retryLaterIsRedeliveredWithTheSameIdAndAHigherAttempt() {
        String topic = uniqueTopic("retry");
        mq.rocketMQ().createTopic(topic, 1);
        List<ReceivedMessage> seen = new CopyOnWriteArrayList<>();
        try (TransportSubscription sub = transport.subscribe(Subscription.of(topic, "retry-group"), m -> {
            seen.add(m);
            if (m.deliveryAttempt() == 1) {
                throw new IllegalStateException("first delivery fails on purpose");
            }
            return ConsumeResult.SUCCESS;
        })) {
            Envelope env = envelope(topic, "retry-me");
            transport.send(env, BUDGET);
            // RocketMQ's first retry comes after delay level 3 (10 s).
            await().atMost(Duration.ofSeconds(90)).until(() -> seen.size() >= 2);
            assertEquals(env.id(), seen.get(0).id());
            assertEquals(env.id(), seen.get(1).id());
            assertEquals(2, seen.get(1).deliveryAttempt());
        }
    }

    @Test
    void orderedSubscriptionKeepsPerKeyOrder() {
        String topic = uniqueTopic("ordered");
        mq.rocketMQ().createTopic(topic, 4);
        int keys = 20;
        int perKey = 50;
        Map<String, List<Integer>> received = new ConcurrentHashMap<>();
        AtomicInteger total = new AtomicInteger();
        try (TransportSubscription sub = transport.subscribe(Subscription.builder(topic, "ordered-group").ordered().build(),
                m -> {
                    received.computeIfAbsent(m.key(), k -> new CopyOnWriteArrayList<>())
                            .add(Integer.parseInt(m.properties().get("seq")));
                    total.incrementAndGet();
                    return ConsumeResult.SUCCESS;
                })) {
            // Interleave keys, as concurrent business traffic would.
            for (int seq = 0; seq < perKey; seq++) {
                for (int k = 0; k < keys; k++) {
                    transport.send(envelope(Message.builder(topic).key("key-" + k).property("seq", Integer.toString(seq))
                            .body("k" + k + "-" + seq).build()), BUDGET);
                }
            }
            await().atMost(Duration.ofSeconds(120)).until(() -> total.get() >= keys * perKey);
            List<Integer> expected = IntStream.range(0, perKey).boxed().toList();
            for (int k = 0; k < keys; k++) {
                assertEquals(expected, received.get("key-" + k), "order of key-" + k);
            }
        }
    }

    @Test
    void orderingOfAGroupIsFixedByItsFirstSubscription() {
        String a = uniqueTopic("ord-a");
        String b = uniqueTopic("ord-b");
        mq.rocketMQ().createTopic(a, 1);
        mq.rocketMQ().createTopic(b, 1);
        try (TransportSubscription sub = transport.subscribe(Subscription.builder(a, "mixed-group").ordered().build(),
                m -> ConsumeResult.SUCCESS)) {
            assertThrows(ConfigurationException.class,
                    () -> transport.subscribe(Subscription.of(b, "mixed-group"), m -> ConsumeResult.SUCCESS));
            assertThrows(IllegalStateException.class, () -> transport.subscribe(
                    Subscription.builder(a, "mixed-group").ordered().build(), m -> ConsumeResult.SUCCESS));
        }
    }

    @Test
    void twoTopicsOfOneGroupShareOneConsumerAndBothDeliver() {
        String a = uniqueTopic("grp-a");
        String b = uniqueTopic("grp-b");
        mq.rocketMQ().createTopic(a, 2);
        mq.rocketMQ().createTopic(b, 2);
        Fixtures.Inbox inboxA = new Fixtures.Inbox();
        Fixtures.Inbox inboxB = new Fixtures.Inbox();
        try (TransportSubscription subA = transport.subscribe(Subscription.of(a, "two-topics"), inboxA.listener());
             TransportSubscription subB = transport.subscribe(Subscription.of(b, "two-topics"), inboxB.listener())) {
            transport.send(envelope(a, "to-a"), BUDGET);
            transport.send(envelope(b, "to-b"), BUDGET);
            await().atMost(Duration.ofSeconds(60)).until(() -> inboxA.size() == 1 && inboxB.size() == 1);
            assertEquals(a, inboxA.messages.get(0).topic());
            assertEquals(b, inboxB.messages.get(0).topic());
        }
    }

    @Test
    void inputFailuresAreInputAndNeverInfrastructure() {
        String topic = uniqueTopic("input");
        mq.rocketMQ().createTopic(topic, 1);
        Message oversized = Message.builder(topic).body(new byte[RocketMQTransport.DEFAULT_MAX_BODY_SIZE + 1]).build();
        Message reserved = Message.builder(topic).property("DELAY", "3").body("x").build();
        Message blank = Message.builder(topic).property("note", " ").body("x").build();
        for (Message bad : List.of(oversized, reserved, blank)) {
            assertThrows(dev.smartmq.api.InvalidMessageException.class, () -> transport.validate(bad));
            TransportException e = assertThrows(TransportException.class, () -> transport.send(envelope(bad), BUDGET));
            assertEquals(FailureKind.INPUT, e.kind(), e.getMessage());
            TransportException async = (TransportException) Fixtures.causeOf(transport.sendAsync(envelope(bad), BUDGET));
            assertEquals(FailureKind.INPUT, async.kind());
        }
        // RocketMQ's own topic rules: a topic Message accepts but RocketMQ refuses once namespaced.
        try (RocketMQTransport namespaced = Fixtures.transport(mq.nameServerAddress()).namespace("ns").build()) {
            namespaced.start();
            Message longTopic = Message.builder("t".repeat(125)).body("x").build();
            TransportException e = assertThrows(TransportException.class,
                    () -> namespaced.send(envelope(longTopic), BUDGET));
            assertEquals(FailureKind.INPUT, e.kind());
            TransportException probe = assertThrows(TransportException.class,
                    () -> namespaced.probe("illegal topic!", Duration.ofSeconds(1)));
            assertEquals(FailureKind.INPUT, probe.kind());
        }
    }

    @Test
    void inputIsRejectedBeforeAnyIOEvenWithTheClusterUnreachable() {
        // A name server address where nothing listens: any I/O would fail as INFRASTRUCTURE.
        try (RocketMQTransport dead = Fixtures.transport("127.0.0.1:" + dev.smartmq.testkit.FreePorts.find()).build()) {
            dead.start();
            Message reserved = Message.builder("anything").property("KEYS", "k").body("x").build();
            TransportException e = assertThrows(TransportException.class, () -> dead.send(envelope(reserved), BUDGET));
            assertEquals(FailureKind.INPUT, e.kind());
            TransportException infra = assertThrows(TransportException.class,
                    () -> dead.send(envelope("anything", "x"), BUDGET));
            assertEquals(FailureKind.INFRASTRUCTURE, infra.kind());
        }
    }

    @Test
    void pauseStopsDeliveryAndResumeRestartsIt() throws Exception {
        String topic = uniqueTopic("pause");
        mq.rocketMQ().createTopic(topic, 1);
        Fixtures.Inbox inbox = new Fixtures.Inbox();
        try (TransportSubscription sub = transport.subscribe(Subscription.of(topic, "pause-group"), inbox.listener())) {
            transport.send(envelope(topic, "before"), BUDGET);
            await().atMost(Duration.ofSeconds(60)).until(() -> inbox.size() == 1);

            sub.pause();
            assertTrue(sub.isPaused());
            // A pull already waiting at the broker may still return one batch: let it, with a first message.
            transport.send(envelope(topic, "wake"), BUDGET);
            TimeUnit.SECONDS.sleep(3);
            int afterWake = inbox.size();
            for (int i = 0; i < 10; i++) {
                transport.send(envelope(topic, "paused-" + i), BUDGET);
            }
            // The scenario: nothing may arrive while paused.
            TimeUnit.SECONDS.sleep(4);
            assertEquals(afterWake, inbox.size(), "delivered while paused");

            sub.resume();
            assertTrue(!sub.isPaused());
            await().atMost(Duration.ofSeconds(60)).until(() -> inbox.size() == 12);
        }
    }

    /**
     * A topic an operator made read-only ({@code updateTopicPerm -p 4}) after this transport had sent to it: its sends
     * fail ("No route info": RocketMQ routes only writable queues) while the brokers serve every other topic. That is
     * this topic's state ({@code TOPIC}: falls back per message, does not degrade the fleet), not the cluster's —
     * before the fix it was {@code CLUSTER} (the topic "lost every broker that served it"), so three such sends
     * degraded every service of the namespace. Writable again, it sends again. (The evidence that the brokers still
     * take writes is another topic of the same producer; a transport whose only topic goes read-only still says
     * CLUSTER.)
     */
    @Test
    void aTopicMadeReadOnlyAfterUseFailsAsATopicNotAsTheCluster() {
        String topic = uniqueTopic("readonly");
        String healthy = uniqueTopic("still-writable");
        mq.rocketMQ().createTopic(topic, 2);
        mq.rocketMQ().createTopic(healthy, 2);
        transport.send(envelope(topic, "before"), BUDGET);
        transport.send(envelope(healthy, "before"), BUDGET);
        mq.rocketMQ().setTopicWritable(topic, false);
        try {
            TransportException failure = await().atMost(Duration.ofSeconds(60)).until(() -> {
                try {
                    transport.send(envelope(topic, "while read-only"), BUDGET);
                    return null;
                } catch (TransportException e) {
                    return e;
                }
            }, java.util.Objects::nonNull);
            assertTrue(failure.isInfrastructure(), failure::toString);
            assertEquals(FailureScope.TOPIC, failure.scope(), failure::toString);
            assertNotNull(transport.send(envelope(healthy, "other topics are fine"), BUDGET));
        } finally {
            mq.rocketMQ().setTopicWritable(topic, true);
        }
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> transport.send(envelope(topic, "writable again"), BUDGET) != null);
    }

    @Test
    void probeSucceedsOnAHealthyCluster() {
        String topic = uniqueTopic("probe");
        mq.rocketMQ().createTopic(topic, 1);
        transport.probe(topic, Duration.ofSeconds(2));
    }

    @Test
    void twoTransportsInOneJvmAreIndependent() {
        String topic = uniqueTopic("two");
        mq.rocketMQ().createTopic(topic, 2);
        RocketMQTransport other = Fixtures.transport(mq.nameServerAddress()).build();
        other.start();
        assertNotEquals(transport.instanceName(), other.instanceName());
        other.send(envelope(topic, "from-other"), BUDGET);
        other.close();
        // Closing one transport must not have shut down the other's client instance.
        transport.send(envelope(topic, "still-works"), BUDGET);
        transport.probe(topic, Duration.ofSeconds(2));
        assertThrows(IllegalStateException.class, () -> other.send(envelope(topic, "closed"), BUDGET));
    }

    @Test
    void smartRocketMQProducerFacadeSendsThroughTheTransportAndKeepsTheId() throws Exception {
        String topic = uniqueTopic("facade");
        mq.rocketMQ().createTopic(topic, 2);
        Fixtures.Inbox inbox = new Fixtures.Inbox();
        try (TransportSubscription sub = transport.subscribe(Subscription.of(topic, "facade-group"), inbox.listener());
             RocketMQTransport own = Fixtures.transport(mq.nameServerAddress()).build()) {
            own.start();
            SmartRocketMQProducer producer = new SmartRocketMQProducer(new Fixtures.DirectSmartProducer(own));
            org.apache.rocketmq.common.message.Message msg = new org.apache.rocketmq.common.message.Message(
                    topic, "paid", "order-9", "facade-body".getBytes(StandardCharsets.UTF_8));
            msg.putUserProperty("tenant", "t9");
            SendResult result = producer.send(msg);
            await().atMost(Duration.ofSeconds(60)).until(() -> inbox.size() == 1);
            ReceivedMessage got = inbox.messages.get(0);
            assertEquals(result.getMsgId(), got.id());
            assertEquals("order-9", got.key());
            assertEquals("paid", got.tags());
            assertEquals(Map.of("tenant", "t9"), got.properties());
            assertEquals(Route.MQ, ((SmartSendResult) result).route());
            assertNotNull(result.getOffsetMsgId());
        }
    }

    /**
     * A broker that is down refuses the connection: the send fails as infrastructure and says the MQ did not store
     * it ({@link TransportException#notStored()}, from RocketMQ's {@code RemotingConnectException}), so a caller
     * whose fallback fails too is told "stored nowhere". Not behind a fault proxy: the proxy would accept the
     * connection, and only a real refusal is known not stored.
     */
    @Test
    void aSendToAStoppedBrokerIsRefusedAndSaysItWasNotStored() {
        String topic = uniqueTopic("refused");
        mq.rocketMQ().createTopic(topic, 2);
        await().atMost(java.time.Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> transport.send(envelope(topic, "routed"), BUDGET) != null);
        mq.rocketMQ().stopBroker();
        try {
            TransportException e = assertThrows(TransportException.class,
                    () -> transport.send(envelope(topic, "refused"), BUDGET));
            assertEquals(FailureKind.INFRASTRUCTURE, e.kind(), e.getMessage());
            assertTrue(e.notStored(), "a refused connection stored nothing: " + e.getMessage());
        } finally {
            mq.rocketMQ().startBroker();
        }
        await().atMost(java.time.Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> transport.send(envelope(topic, "back"), BUDGET) != null);
    }
}
