package dev.smartmq.rocketmq;

import static dev.smartmq.rocketmq.Fixtures.envelope;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.Message;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.spi.Envelope;
import dev.smartmq.api.Subscription;
import dev.smartmq.spi.TransportSubscription;
import dev.smartmq.spi.FailureKind;
import dev.smartmq.spi.TransportException;
import dev.smartmq.spi.TransportReceipt;
import dev.smartmq.testkit.proxy.FaultProxy;
import dev.smartmq.testkit.rocketmq.EmbeddedRocketMQ;
import dev.smartmq.testkit.rocketmq.RocketMQExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The transport while the cluster is broken for real: broker stopped, broker black-holed behind a proxy,
 * name server stopped. Every failure must be INFRASTRUCTURE, within the budget, with no caller stuck.
 * Bounds on elapsed time are loose (budget + generous margin on a busy 2-core machine).
 */
class RocketMQTransportFaultIT {

    @RegisterExtension
    static final RocketMQExtension mq = RocketMQExtension.create(EmbeddedRocketMQ.Builder::withBrokerProxy);

    private static final Duration BUDGET = Duration.ofSeconds(2);
    private static final Duration MARGIN = Duration.ofSeconds(4);
    private static final String TOPIC = "fault-topic";
    private static final String PROBE = "fault-probe";

    private static RocketMQTransport transport;

    @BeforeAll
    static void startTransport() {
        mq.rocketMQ().createTopic(TOPIC, 4);
        mq.rocketMQ().createTopic(PROBE, 1);
        transport = Fixtures.transport(mq.nameServerAddress()).sendTimeout(BUDGET).build();
        transport.start();
        // Route both topics now, as a running service would have.
        transport.send(envelope(TOPIC, "warm-up"), BUDGET);
        transport.probe(PROBE, BUDGET);
    }

    @AfterAll
    static void closeTransport() {
        if (transport != null) {
            transport.close();
        }
    }

    @AfterEach
    void healEverything() {
        EmbeddedRocketMQ rocketMQ = mq.rocketMQ();
        rocketMQ.brokerProxy().heal();
        if (!rocketMQ.isNameServerRunning()) {
            rocketMQ.startNameServer();
        }
        if (!rocketMQ.isBrokerRunning(0)) {
            rocketMQ.startBroker();
        }
        awaitSendsAgain();
    }

    private static void awaitSendsAgain() {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> transport.send(envelope(TOPIC, "heal-check"), BUDGET) != null);
    }

    private static TransportException timedFailure(Runnable call, Duration bound) {
        long start = System.nanoTime();
        TransportException e = assertThrows(TransportException.class, call::run);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(elapsed.compareTo(bound) < 0, "took " + elapsed + ", bound " + bound + ": " + e.getMessage());
        return e;
    }

    private static TransportException assertInfrastructureWithinBudget(Runnable call) {
        TransportException e = timedFailure(call, BUDGET.plus(MARGIN));
        assertEquals(FailureKind.INFRASTRUCTURE, e.kind(), e.getMessage());
        return e;
    }

    /** sendAsync returns at once and its future fails INFRASTRUCTURE within the budget (+ grace + margin). */
    private static void assertAsyncFailsWithoutBlocking(Message message) {
        long start = System.nanoTime();
        CompletableFuture<TransportReceipt> future = transport.sendAsync(envelope(message), BUDGET);
        Duration callTime = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(callTime.compareTo(Duration.ofMillis(500)) < 0, "sendAsync blocked its caller for " + callTime);
        Throwable failure = Fixtures.causeOf(future.completeOnTimeout(null, 30, TimeUnit.SECONDS));
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        TransportException e = assertInstanceOf(TransportException.class, failure, "future outcome: " + failure);
        assertEquals(FailureKind.INFRASTRUCTURE, e.kind(), e.getMessage());
        assertTrue(elapsed.compareTo(BUDGET.plus(MARGIN)) < 0, "async failure took " + elapsed);
    }

    @Test
    void blackHoledBrokerTimesOutWithinTheBudgetAndNoCallerIsStuck() throws Exception {
        FaultProxy proxy = mq.rocketMQ().brokerProxy();
        // The transport reaches the broker only through the proxy (the broker advertises the proxy's port).
        assertTrue(proxy.activeConnections() >= 1, "connections through the proxy: " + proxy.activeConnections());
        proxy.blackHole();

        TransportException timedOut = assertInfrastructureWithinBudget(() -> transport.send(envelope(TOPIC, "keyless"),
                BUDGET));
        // A request that went out and got no answer: the broker may have stored it.
        assertFalse(timedOut.notStored(), "a timeout must not claim 'not stored': " + timedOut.getMessage());
        assertInfrastructureWithinBudget(() -> transport.send(
                envelope(Message.builder(TOPIC).key("order-1").body("keyed").build()), BUDGET));
        assertAsyncFailsWithoutBlocking(Message.builder(TOPIC).body("async").build());
        assertInfrastructureWithinBudget(() -> transport.probe(PROBE, BUDGET));

        // Several callers at once: every one returns, none is stuck past the budget.
        ExecutorService callers = Executors.newFixedThreadPool(6);
        try {
            List<Future<FailureKind>> outcomes = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int n = i;
                outcomes.add(callers.submit(() -> {
                    try {
                        transport.send(envelope(Message.builder(TOPIC).key("k" + n).body("c" + n).build()), BUDGET);
                        return null;
                    } catch (TransportException e) {
                        return e.kind();
                    }
                }));
            }
            for (Future<FailureKind> f : outcomes) {
                assertEquals(FailureKind.INFRASTRUCTURE, f.get(BUDGET.plus(MARGIN).toMillis(), TimeUnit.MILLISECONDS));
            }
        } finally {
            callers.shutdownNow();
        }

        proxy.heal();
        awaitSendsAgain();
        transport.probe(PROBE, BUDGET);
    }

    @Test
    void stoppedBrokerFailsFastAndTheSameTransportSendsAfterRestart() {
        EmbeddedRocketMQ rocketMQ = mq.rocketMQ();
        rocketMQ.stop();

        assertInfrastructureWithinBudget(() -> transport.send(envelope(TOPIC, "down"), BUDGET));
        assertInfrastructureWithinBudget(() -> transport.send(
                envelope(Message.builder(TOPIC).key("order-2").body("down-keyed").build()), BUDGET));
        assertAsyncFailsWithoutBlocking(Message.builder(TOPIC).body("down-async").build());
        assertInfrastructureWithinBudget(() -> transport.probe(PROBE, BUDGET));

        rocketMQ.startBroker();
        awaitSendsAgain();
        assertNotNull(transport.send(envelope(Message.builder(TOPIC).key("order-2").body("up").build()), BUDGET));
        transport.probe(PROBE, BUDGET);
    }

    @Test
    void nameServerDownKnownTopicStillSendsUnknownTopicIsInfrastructure() {
        EmbeddedRocketMQ rocketMQ = mq.rocketMQ();
        rocketMQ.stopNameServer();

        // Routes already known live on in the client: the broker itself is fine.
        assertNotNull(transport.send(envelope(TOPIC, "known-topic"), BUDGET));
        assertNotNull(transport.send(envelope(Message.builder(TOPIC).key("k").body("known-keyed").build()), BUDGET));
        transport.probe(PROBE, BUDGET);
        // A topic never routed needs the name server.
        assertInfrastructureWithinBudget(() -> transport.send(envelope(Fixtures.uniqueTopic("unknown"), "x"), BUDGET));
        assertAsyncFailsWithoutBlocking(Message.builder(Fixtures.uniqueTopic("unknown")).body("x").build());

        rocketMQ.startNameServer();
        String fresh = Fixtures.uniqueTopic("fresh");
        rocketMQ.createTopic(fresh, 1);
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> transport.send(envelope(fresh, "after-ns-restart"), BUDGET) != null);
    }

    /**
     * A send that failed on a hung broker must not have been written to it more than once: when the broker comes
     * back it stores whatever was held, and every extra copy is a duplicate the engine cannot see (it has already
     * stored the message in the fallback). RocketMQ's async path retries a timed-out request on another queue,
     * which also breaks per-key order, so the transport turns those retries off; this test counts the copies.
     */
    @Test
    void aSendThatFailedOnAHungBrokerReachesItAtMostOnce() throws Exception {
        String topic = Fixtures.uniqueTopic("at-most-once");
        mq.rocketMQ().createTopic(topic, 4);
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> transport.send(envelope(topic, "route-warm-up"), BUDGET) != null);
        FaultProxy proxy = mq.rocketMQ().brokerProxy();
        proxy.blackHole();

        List<Envelope> failed = new ArrayList<>();
        List<CompletableFuture<TransportReceipt>> asyncSends = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Envelope keyed = envelope(Message.builder(topic).key("order-" + i).body("async-keyed-" + i).build());
            Envelope keyless = envelope(Message.builder(topic).body("async-keyless-" + i).build());
            failed.add(keyed);
            failed.add(keyless);
            asyncSends.add(transport.sendAsync(keyed, BUDGET));
            asyncSends.add(transport.sendAsync(keyless, BUDGET));
        }
        Envelope syncKeyed = envelope(Message.builder(topic).key("order-9").body("sync-keyed").build());
        Envelope syncKeyless = envelope(topic, "sync-keyless");
        failed.add(syncKeyed);
        failed.add(syncKeyless);
        List<String> syncFailures = new ArrayList<>();
        for (Envelope e : List.of(syncKeyed, syncKeyless)) {
            TransportException failure = timedFailure(() -> transport.send(e, BUDGET), BUDGET.plus(MARGIN));
            assertEquals(FailureKind.INFRASTRUCTURE, failure.kind(), failure.getMessage());
            syncFailures.add(failure.getMessage());
        }
        for (CompletableFuture<TransportReceipt> f : asyncSends) {
            Throwable failure = Fixtures.causeOf(f.completeOnTimeout(null, 30, TimeUnit.SECONDS));
            TransportException e = assertInstanceOf(TransportException.class, failure, "outcome: " + failure);
            assertEquals(FailureKind.INFRASTRUCTURE, e.kind(), e.getMessage());
        }

        proxy.heal();
        // Whatever the hung broker held arrives ahead of this marker on the same connection.
        Envelope marker = envelope(topic, "marker");
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> transport.send(marker, BUDGET) != null);
        long stored = storedMessages(topic);

        Fixtures.Inbox inbox = new Fixtures.Inbox();
        try (TransportSubscription sub = transport.subscribe(Subscription.of(topic, "at-most-once-reader"),
                inbox.listener())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> inbox.size() >= stored);
        }
        Map<String, Long> copies = inbox.messages.stream()
                .collect(Collectors.groupingBy(ReceivedMessage::id, Collectors.counting()));
        for (Envelope e : failed) {
            long n = copies.getOrDefault(e.id(), 0L);
            assertTrue(n <= 1, "the broker stored " + n + " copies of the failed send '"
                    + new String(e.message().body(), java.nio.charset.StandardCharsets.UTF_8) + "' (key "
                    + e.message().key() + "); all copies: " + copies.values() + "; sync failures: " + syncFailures);
        }
        assertEquals(1L, copies.get(marker.id()), "the marker was stored once");
    }

    /** Messages the broker holds for {@code topic}, over all its queues. */
    private static long storedMessages(String topic) throws Exception {
        DefaultMQProducer reader = new DefaultMQProducer("offset-reader-" + System.nanoTime());
        reader.setNamesrvAddr(mq.nameServerAddress());
        reader.setInstanceName("offset-reader-" + System.nanoTime());
        reader.start();
        try {
            long total = 0;
            for (MessageQueue q : reader.fetchPublishMessageQueues(topic)) {
                total += reader.maxOffset(q);
            }
            return total;
        } finally {
            reader.shutdown();
        }
    }
}
