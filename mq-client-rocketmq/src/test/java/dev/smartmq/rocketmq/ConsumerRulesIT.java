package dev.smartmq.rocketmq;

import static dev.smartmq.rocketmq.Fixtures.BUDGET;
import static dev.smartmq.rocketmq.Fixtures.envelope;
import static dev.smartmq.rocketmq.Fixtures.uniqueTopic;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Message;
import dev.smartmq.api.Ordering;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Subscription;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.NotDeliveredException;
import dev.smartmq.spi.RedeliveryPolicy;
import dev.smartmq.spi.TransportListener;
import dev.smartmq.spi.TransportSubscription;
import dev.smartmq.testkit.rocketmq.RocketMQExtension;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The consumer side's promises against a real embedded broker, with raw RocketMQ producers where the rule is about
 * them (issue 20): bounded retries with SmartMQ's back-off, ordered queues never blocked by a poison message,
 * lenient mapping of raw messages, a trusted id only in SmartMQ's form, shutdown order, pause.
 */
class ConsumerRulesIT {

    @RegisterExtension
    static final RocketMQExtension mq = RocketMQExtension.create();

    private static RocketMQTransport transport;
    private static DefaultMQProducer raw;

    @BeforeAll
    static void start() throws Exception {
        transport = Fixtures.transport(mq.nameServerAddress()).build();
        transport.start();
        raw = new DefaultMQProducer("raw-producer-" + UUID.randomUUID().toString().substring(0, 8));
        raw.setNamesrvAddr(mq.nameServerAddress());
        raw.setInstanceName("raw-" + UUID.randomUUID().toString().substring(0, 8));
        raw.start();
    }

    @AfterAll
    static void stop() {
        if (raw != null) {
            raw.shutdown();
        }
        if (transport != null) {
            transport.close();
        }
    }

    static TransportListener withPolicy(RedeliveryPolicy policy, TransportListener inner) {
        return new TransportListener() {
            @Override
            public ConsumeResult onMessage(ReceivedMessage message) throws Exception {
                return inner.onMessage(message);
            }

            @Override
            public RedeliveryPolicy redelivery() {
                return policy;
            }
        };
    }

    private static org.apache.rocketmq.common.message.Message rawMessage(String topic, String tags, String keys,
                                                                         String body) {
        return new org.apache.rocketmq.common.message.Message(topic, tags, keys,
                body.getBytes(StandardCharsets.UTF_8));
    }

    /** Ids of the messages in RocketMQ's dead-letter topic of {@code group} (read with a raw pull consumer). */
    private static Set<String> deadLetterKeys(String group) throws Exception {
        Set<String> keys = ConcurrentHashMap.newKeySet();
        DefaultLitePullConsumer reader = new DefaultLitePullConsumer("dlq-reader-" + UUID.randomUUID().toString()
                .substring(0, 8));
        reader.setNamesrvAddr(mq.nameServerAddress());
        reader.setInstanceName("dlq-" + UUID.randomUUID().toString().substring(0, 8));
        reader.setAutoCommit(false);
        reader.start();
        try {
            Collection<MessageQueue> queues = reader.fetchMessageQueues("%DLQ%" + group);
            reader.assign(queues);
            for (MessageQueue q : queues) {
                reader.seekToBegin(q);
            }
            for (int i = 0; i < 5; i++) {
                for (MessageExt m : reader.poll(1000)) {
                    keys.add(m.getKeys() == null ? m.getMsgId() : m.getKeys());
                }
            }
        } finally {
            reader.shutdown();
        }
        return keys;
    }

    // ------------------------------------------------------------------ 1: a poison message on an ORDERED queue

    @Test
    void aPoisonMessageOnAnOrderedQueueIsGivenUpAfterMaxAttemptsAndTheQueueMovesOn() throws Exception {
        String topic = uniqueTopic("poison");
        mq.rocketMQ().createTopic(topic, 1);
        String group = "poison-group-" + UUID.randomUUID().toString().substring(0, 6);
        RedeliveryPolicy policy = new RedeliveryPolicy(3, Duration.ofMillis(200), Duration.ofMillis(400));
        AtomicInteger poisonAttempts = new AtomicInteger();
        List<String> good = new CopyOnWriteArrayList<>();
        try (TransportSubscription sub = transport.subscribe(
                Subscription.builder(topic, group).ordering(Ordering.ORDERED).build(), withPolicy(policy, m -> {
                    String body = new String(m.body(), StandardCharsets.UTF_8);
                    if (body.equals("poison")) {
                        poisonAttempts.incrementAndGet();
                        throw new IllegalStateException("poison");
                    }
                    good.add(body);
                    return ConsumeResult.SUCCESS;
                }))) {
            transport.send(envelope(Message.builder(topic).key("k").body("poison").build()), BUDGET);
            transport.send(envelope(Message.builder(topic).key("k").body("after-poison").build()), BUDGET);
            // Before: the queue is suspended every second for ever (maxReconsumeTimes unset = Integer.MAX_VALUE).
            await().atMost(Duration.ofSeconds(40)).until(() -> good.contains("after-poison"));
            assertEquals(3, poisonAttempts.get(), "the poison message gets exactly maxDeliveryAttempts deliveries");
            await().atMost(Duration.ofSeconds(30)).until(() -> deadLetterKeys(group).contains("k"));
        }
    }

    @Test
    void aDeliveryThatNeverReachedTheHandlerIsNotCountedOnAnOrderedQueue() throws Exception {
        String topic = uniqueTopic("gate");
        mq.rocketMQ().createTopic(topic, 1);
        RedeliveryPolicy policy = new RedeliveryPolicy(3, Duration.ofMillis(100), Duration.ofMillis(100));
        AtomicInteger gateClosed = new AtomicInteger(5);
        List<ReceivedMessage> handled = new CopyOnWriteArrayList<>();
        try (TransportSubscription sub = transport.subscribe(
                Subscription.builder(topic, "gate-group").ordering(Ordering.ORDERED).build(), withPolicy(policy, m -> {
                    if (gateClosed.getAndDecrement() > 0) {
                        throw new NotDeliveredException("gate closed (test)");
                    }
                    handled.add(m);
                    return ConsumeResult.SUCCESS;
                }))) {
            Envelope env = envelope(Message.builder(topic).key("g").body("waits-at-the-gate").build());
            transport.send(env, BUDGET);
            // Before: every gate wait counted (attempt 6, past maxDeliveryAttempts).
            await().atMost(Duration.ofSeconds(40)).until(() -> !handled.isEmpty());
            assertEquals(env.id(), handled.get(0).id());
            assertEquals(1, handled.get(0).deliveryAttempt());
        }
    }

    // ------------------------------------------------------------------ 2: CONCURRENT retries follow SmartMQ's rule

    @Test
    void concurrentRetriesFollowTheBackoffAndStopAtMaxAttempts() throws Exception {
        String topic = uniqueTopic("backoff");
        mq.rocketMQ().createTopic(topic, 1);
        String group = "backoff-group-" + UUID.randomUUID().toString().substring(0, 6);
        RedeliveryPolicy policy = new RedeliveryPolicy(3, Duration.ofSeconds(1), Duration.ofSeconds(2));
        List<Long> attemptsAt = new CopyOnWriteArrayList<>();
        List<Integer> attemptNumbers = new CopyOnWriteArrayList<>();
        try (TransportSubscription sub = transport.subscribe(Subscription.of(topic, group), withPolicy(policy, m -> {
            attemptsAt.add(System.nanoTime());
            attemptNumbers.add(m.deliveryAttempt());
            return ConsumeResult.RETRY_LATER;
        }))) {
            transport.send(envelope(Message.builder(topic).key("bk").body("always-fails").build()), BUDGET);
            // Before: RocketMQ's delay levels (10 s, then 30 s): the third attempt comes after ~40 s.
            await().atMost(Duration.ofSeconds(25)).until(() -> attemptsAt.size() >= 3);
            long firstGapMillis = (attemptsAt.get(1) - attemptsAt.get(0)) / 1_000_000;
            assertTrue(firstGapMillis < 8_000, "first redelivery after about the back-off, was " + firstGapMillis + " ms");
            await().atMost(Duration.ofSeconds(30)).until(() -> deadLetterKeys(group).contains("bk"));
            assertEquals(List.of(1, 2, 3), attemptNumbers, "three attempts, then RocketMQ's dead-letter queue");
        }
    }

    // ------------------------------------------------------------------ 3, 5: raw producers' messages are carried

    @Test
    void aRawMessageWithAnOverlongKeyReachesTheHandlerOnAnOrderedQueue() throws Exception {
        String topic = uniqueTopic("longkey");
        mq.rocketMQ().createTopic(topic, 1);
        String longKey = "K".repeat(600);
        List<ReceivedMessage> got = new CopyOnWriteArrayList<>();
        try (TransportSubscription sub = transport.subscribe(
                Subscription.builder(topic, "longkey-group").ordering(Ordering.ORDERED).build(), m -> {
                    got.add(m);
                    return ConsumeResult.SUCCESS;
                })) {
            raw.send(rawMessage(topic, "t", longKey, "long-key"));
            raw.send(rawMessage(topic, "t", "short", "after-long-key"));
            // Before: mapping throws inside the listener, RETRY_LATER for ever, the queue blocked.
            await().atMost(Duration.ofSeconds(40)).until(() -> got.size() >= 2);
            ReceivedMessage first = got.get(0);
            assertEquals("long-key", new String(first.body(), StandardCharsets.UTF_8));
            assertNull(first.key(), "a key SmartMQ cannot hold is not the key");
            assertEquals(longKey, first.properties().get("rocketmq.keys"), "but it is carried");
            assertEquals("short", got.get(1).key());
        }
    }

    @Test
    void rawPropertiesTagsAndKeysAreCarried() throws Exception {
        String topic = uniqueTopic("rawprops");
        mq.rocketMQ().createTopic(topic, 1);
        List<ReceivedMessage> got = new CopyOnWriteArrayList<>();
        try (TransportSubscription sub = transport.subscribe(Subscription.of(topic, "rawprops-group"), m -> {
            got.add(m);
            return ConsumeResult.SUCCESS;
        })) {
            org.apache.rocketmq.common.message.Message m = rawMessage(topic, "TagA || TagB", "k1 k2 k3", "raw-props");
            m.putUserProperty("x:colon", "v:1");
            m.putUserProperty("plain", "p");
            raw.send(m);
            await().atMost(Duration.ofSeconds(40)).until(() -> !got.isEmpty());
            ReceivedMessage r = got.get(0);
            assertEquals("k1", r.key());
            assertEquals("k1 k2 k3", r.properties().get("rocketmq.keys"));
            assertNull(r.tags(), "not one SmartMQ tag");
            assertEquals("TagA || TagB", r.properties().get("rocketmq.tags"));
            assertEquals("p", r.properties().get("plain"));
            Map<String, String> unmapped = decode(r.properties().get("rocketmq.properties"));
            assertEquals("v:1", unmapped.get("x:colon"));
        }
    }

    private static Map<String, String> decode(String encoded) {
        Map<String, String> out = new HashMap<>();
        if (encoded == null) {
            return out;
        }
        for (String pair : encoded.split("&")) {
            int eq = pair.indexOf('=');
            out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    // ------------------------------------------------------------------ 4: SMQ_ID only in SmartMQ's form

    @Test
    void smqIdIsTrustedOnlyInTheFormSmartMQWrites() throws Exception {
        String topic = uniqueTopic("spoof");
        mq.rocketMQ().createTopic(topic, 1);
        Map<String, ReceivedMessage> byBody = new ConcurrentHashMap<>();
        try (TransportSubscription sub = transport.subscribe(Subscription.of(topic, "spoof-group"), m -> {
            byBody.put(new String(m.body(), StandardCharsets.UTF_8), m);
            return ConsumeResult.SUCCESS;
        })) {
            org.apache.rocketmq.common.message.Message spoof = rawMessage(topic, null, null, "spoofed");
            spoof.putUserProperty("SMQ_ID", "victim-id");
            SendResult spoofResult = raw.send(spoof);
            String v7 = Fixtures.uuidV7();
            org.apache.rocketmq.common.message.Message wellFormed = rawMessage(topic, null, null, "well-formed");
            wellFormed.putUserProperty("SMQ_ID", v7);
            raw.send(wellFormed);
            await().atMost(Duration.ofSeconds(40)).until(() -> byBody.size() >= 2);
            assertNotEquals("victim-id", byBody.get("spoofed").id());
            assertEquals(spoofResult.getMsgId(), byBody.get("spoofed").id(), "RocketMQ's id instead");
            assertEquals(v7, byBody.get("well-formed").id());
        }
    }

    // ------------------------------------------------------------------ 6: shutdown order

    @Test
    void shutdownLetsRunningHandlersFinishThenPersistsTheirOffsets() throws Exception {
        String topic = uniqueTopic("shutdown");
        mq.rocketMQ().createTopic(topic, 1);
        String group = "shutdown-group-" + UUID.randomUUID().toString().substring(0, 6);
        int total = 12;
        Set<String> finished = ConcurrentHashMap.newKeySet();
        AtomicInteger running = new AtomicInteger();
        AtomicLong closedAt = new AtomicLong(Long.MAX_VALUE);
        List<String> startedAfterClose = new CopyOnWriteArrayList<>();
        for (int i = 0; i < total; i++) {
            transport.send(envelope(Message.builder(topic).body("slow-" + i).build()), BUDGET);
        }
        TransportSubscription sub = transport.subscribe(Subscription.of(topic, group), m -> {
            if (System.nanoTime() > closedAt.get()) {
                startedAfterClose.add(m.id());
            }
            running.incrementAndGet();
            try {
                // The scenario: a handler that takes 2 s and does not stop when interrupted.
                long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                while (System.nanoTime() < end) {
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        // keeps working, like a handler in the middle of a database write
                    }
                }
                finished.add(m.id());
                return ConsumeResult.SUCCESS;
            } finally {
                running.decrementAndGet();
            }
        });
        await().atMost(Duration.ofSeconds(40)).until(() -> running.get() > 0);
        sub.close(Duration.ofSeconds(10));
        closedAt.set(System.nanoTime());
        int runningAfterClose = running.get();
        Set<String> finishedAtClose = Set.copyOf(finished);
        assertEquals(0, runningAfterClose, "no handler still running once close returned");

        // Restart: a new transport (a new client) of the same group gets the rest, never what finished.
        RocketMQTransport second = Fixtures.transport(mq.nameServerAddress()).build();
        second.start();
        List<String> secondRun = new CopyOnWriteArrayList<>();
        try (TransportSubscription again = second.subscribe(Subscription.of(topic, group), m -> {
            secondRun.add(m.id());
            return ConsumeResult.SUCCESS;
        })) {
            await().atMost(Duration.ofSeconds(60)).until(() -> finished.size() + secondRun.size() >= total);
        } finally {
            second.close();
        }
        assertTrue(startedAfterClose.isEmpty(), "handlers started after close: " + startedAfterClose);
        assertEquals(finishedAtClose, Set.copyOf(finished), "nothing finished after close returned");
        List<String> duplicates = new ArrayList<>(secondRun);
        duplicates.retainAll(finished);
        assertEquals(List.of(), duplicates, "finished before shutdown, delivered again after restart");
        assertFalse(finished.isEmpty());
    }

    // ------------------------------------------------------------------ 7: a failed second-topic subscribe

    @Test
    void aFailedSecondTopicSubscribeLeavesNothingSubscribedInRocketMQ() throws Exception {
        String group = "second-topic-" + UUID.randomUUID().toString().substring(0, 6);
        String first = uniqueTopic("first");
        String second = uniqueTopic("second");
        mq.rocketMQ().createTopic(first, 1);
        mq.rocketMQ().createTopic(second, 1);
        List<ReceivedMessage> got = new CopyOnWriteArrayList<>();
        TransportListener listener = m -> {
            got.add(m);
            return ConsumeResult.SUCCESS;
        };
        try (TransportSubscription a = transport.subscribe(Subscription.of(first, group), listener)) {
            mq.rocketMQ().stopNameServer();
            try {
                // RocketMQ accepts the topic, then its route look-up fails: the subscribe fails.
                org.junit.jupiter.api.Assertions.assertThrows(dev.smartmq.spi.TransportException.class,
                        () -> transport.subscribe(Subscription.of(second, group), listener));
            } finally {
                mq.rocketMQ().startNameServer();
            }
            raw.send(rawMessage(second, null, "late", "sent-after-the-failed-subscribe"));
            // The scenario is a wait: longer than RocketMQ's 20-second rebalance, so a topic wrongly left subscribed
            // is pulled, finds no listener and is bounced (RETRY_LATER, an attempt counted).
            Thread.sleep(25_000);
            try (TransportSubscription b = transport.subscribe(Subscription.of(second, group), listener)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> got.stream().anyMatch(m -> "late".equals(m.key())));
                ReceivedMessage late = got.stream().filter(m -> "late".equals(m.key())).findFirst().orElseThrow();
                assertEquals(1, late.deliveryAttempt(), "bounced while nobody had subscribed it");
            }
        }
    }

    // ------------------------------------------------------------------ 7: pause holds what was prefetched

    @Test
    void aPausedSubscriptionDeliversNothingUntilResumed() throws Exception {
        String topic = uniqueTopic("pause");
        mq.rocketMQ().createTopic(topic, 1);
        List<String> got = new CopyOnWriteArrayList<>();
        try (TransportSubscription sub = transport.subscribe(
                Subscription.builder(topic, "pause-group").ordering(Ordering.ORDERED).build(), m -> {
                    got.add(m.id());
                    return ConsumeResult.SUCCESS;
                })) {
            transport.send(envelope(Message.builder(topic).key("p").body("before-pause").build()), BUDGET);
            await().atMost(Duration.ofSeconds(40)).until(() -> got.size() == 1);
            // The consumer's next pull is now waiting at the broker (long polling): pausing cannot recall it.
            sub.pause();
            for (int i = 0; i < 20; i++) {
                transport.send(envelope(Message.builder(topic).key("p").body("while-paused-" + i).build()), BUDGET);
            }
            // The scenario is a wait: nothing may arrive while paused.
            Thread.sleep(3000);
            assertEquals(1, got.size(), "delivered while paused");
            sub.resume();
            await().atMost(Duration.ofSeconds(40)).until(() -> got.size() == 21);
        }
    }
}
