package dev.smartmq.core;

import static dev.smartmq.core.Rig.msg;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Route;
import dev.smartmq.api.Subscription;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.testkit.fakes.FakeFallbackStore;
import dev.smartmq.testkit.fakes.FakeGuard;
import dev.smartmq.testkit.fakes.FakeSwitch;
import dev.smartmq.testkit.fakes.FakeTransport.FakeSubscription;
import dev.smartmq.testkit.fakes.MutableClock;
import dev.smartmq.spi.Envelope;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConsumerTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String TOPIC = "orders";
    private static final String GROUP = "billing";

    private final List<Rig> rigs = new ArrayList<>();

    private Rig rig(int shards) {
        Rig r = new Rig(shards);
        rigs.add(r);
        return r;
    }

    @AfterEach
    void close() {
        rigs.forEach(Rig::close);
    }

    private static String body(ReceivedMessage m) {
        return new String(m.body(), StandardCharsets.UTF_8);
    }

    private static void degrade(Rig rig) {
        rig.sw.force(SwitchState.DEGRADED, SwitchMode.AUTO, null, "test");
        await().until(() -> rig.mq.effectiveState() == SwitchState.DEGRADED);
    }

    @Test
    void orderedSubscriptionConsumesEveryFallbackMessageBeforeAnyMqMessageAfterRecovering() throws Exception {
        Rig rig = rig(8);
        rig.start(Rig.fastConfig().build());
        rig.sw.setLeader(false); // the switch stays RECOVERING: only this group's backlog can open the MQ side
        degrade(rig);
        CountDownLatch firstEntered = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        rig.mq.consumer().subscribe(Subscription.builder(TOPIC, GROUP).ordered().build(), m -> {
            if (m.route() == Route.FALLBACK && firstEntered.getCount() > 0) {
                firstEntered.countDown();
                proceed.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
            seen.add(m.route() + ":" + body(m));
            return ConsumeResult.SUCCESS;
        });
        FakeSubscription mqSide = rig.transport.subscriptions().get(0);
        await().atMost(WAIT).until(mqSide::isPaused);

        for (int i = 0; i < 20; i++) {
            rig.mq.producer().send(msg(TOPIC, "order-" + (i % 2), "fb-" + i));
        }
        for (int i = 0; i < 5; i++) {
            mqSide.offer("mq-id-" + i, msg(TOPIC, "order-" + (i % 2), "mq-" + i));
        }
        assertTrue(firstEntered.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        rig.sw.force(SwitchState.RECOVERING, SwitchMode.AUTO, null, "test");
        await().atMost(WAIT).until(() -> rig.mq.effectiveState() == SwitchState.RECOVERING);
        int checks = rig.store.backlogCalls();
        await().atMost(WAIT).until(() -> rig.store.backlogCalls() >= checks + 5);
        assertTrue(mqSide.isPaused(), "paused while the group's fallback backlog is not empty");
        assertTrue(seen.stream().noneMatch(s -> s.startsWith("MQ")));

        proceed.countDown();
        await().atMost(WAIT).until(() -> seen.size() == 25);
        List<String> snapshot = List.copyOf(seen);
        assertTrue(snapshot.subList(0, 20).stream().allMatch(s -> s.startsWith("FALLBACK")), snapshot.toString());
        assertTrue(snapshot.subList(20, 25).stream().allMatch(s -> s.startsWith("MQ")), snapshot.toString());
        for (String key : List.of("0", "1")) {
            List<Integer> order = snapshot.stream().filter(s -> s.startsWith("FALLBACK:fb-"))
                    .map(s -> Integer.parseInt(s.substring("FALLBACK:fb-".length())))
                    .filter(n -> String.valueOf(n % 2).equals(key)).toList();
            List<Integer> sorted = new ArrayList<>(order);
            Collections.sort(sorted);
            assertEquals(sorted, order, "same key in send order");
        }
        assertFalse(mqSide.isPaused());
    }

    @Test
    void concurrentSubscriptionConsumesBothPathsAtOnceWhileRecovering() throws Exception {
        Rig rig = rig(8);
        rig.start(Rig.fastConfig().build());
        rig.sw.setLeader(false);
        rig.sw.force(SwitchState.RECOVERING, SwitchMode.AUTO, null, "test");
        await().until(() -> rig.mq.effectiveState() == SwitchState.RECOVERING);
        CountDownLatch mqHandled = new CountDownLatch(1);
        Set<String> handled = ConcurrentHashMap.newKeySet();
        rig.mq.consumer().subscribe(Subscription.of(TOPIC, GROUP), m -> {
            if (m.route() == Route.FALLBACK) {
                // Only succeeds if an MQ message gets through while this fallback message is in progress.
                if (!mqHandled.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    return ConsumeResult.RETRY_LATER;
                }
            } else {
                mqHandled.countDown();
            }
            handled.add(body(m));
            return ConsumeResult.SUCCESS;
        });
        rig.store.append(new Envelope("fb-1", msg(TOPIC, "k", "fb"), 0, 0), List.of(GROUP));
        await().atMost(WAIT).until(() -> rig.store.inFlightCount() == 1);
        rig.transport.subscriptions().get(0).offer("mq-1", msg(TOPIC, "k", "mq"));
        await().atMost(WAIT).until(() -> handled.equals(Set.of("fb", "mq")));
        assertEquals(0, rig.transport.subscriptions().get(0).pauses());
    }

    @Test
    void aFailingMessageIsRetriedThenDeadLetteredWithoutStallingItsShard() {
        Rig rig = rig(8);
        rig.start(Rig.fastConfig().consumerThreads(1).maxDeliveryAttempts(3)
                .retryBackoffInitial(Duration.ofMillis(150)).retryBackoffMax(Duration.ofMillis(150)).build());
        rig.sw.setLeader(false);
        degrade(rig);
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        Map<String, List<Integer>> attempts = new ConcurrentHashMap<>();
        rig.mq.consumer().subscribe(Subscription.of(TOPIC, GROUP), m -> {
            seen.add(body(m));
            attempts.computeIfAbsent(body(m), b -> Collections.synchronizedList(new ArrayList<>()))
                    .add(m.deliveryAttempt());
            if (body(m).equals("poison")) {
                throw new IllegalStateException("boom");
            }
            return ConsumeResult.SUCCESS;
        });
        rig.mq.producer().send(msg(TOPIC, "same-key", "poison"));
        for (int i = 0; i < 10; i++) {
            rig.mq.producer().send(msg(TOPIC, "same-key", "good-" + i));
        }
        await().atMost(WAIT).until(() -> rig.store.deadLetters().size() == 1);
        assertEquals(List.of(1, 2, 3), attempts.get("poison"));
        FakeFallbackStore.DeadLetter dl = rig.store.deadLetters().get(0);
        assertEquals("poison", new String(dl.envelope().message().body(), StandardCharsets.UTF_8));
        assertTrue(dl.reason().contains("boom") && dl.reason().contains("3"), dl.reason());
        for (int i = 0; i < 10; i++) {
            assertEquals(List.of(1), attempts.get("good-" + i));
        }
        assertTrue(seen.indexOf("good-9") < seen.lastIndexOf("poison") && seen.indexOf("good-9") >= 0,
                "the shard went on while the poison message waited for its retries: " + seen);
        await().atMost(WAIT).until(() -> rig.store.backlog(TOPIC, GROUP) == 0);
        assertEquals(1, rig.count("smartmq.consumer.dead-lettered.fallback"));
        assertEquals(2, rig.count("smartmq.consumer.retried.fallback"));
        assertEquals(10, rig.count("smartmq.consumer.consumed.fallback"));
    }

    @Test
    void orderedFailureStopsTheBatchKeepsOrderAndDeadLetters() {
        Rig rig = rig(8);
        rig.start(Rig.fastConfig().maxDeliveryAttempts(3).build());
        rig.sw.setLeader(false);
        degrade(rig);
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch ready = new CountDownLatch(1);
        rig.mq.consumer().subscribe(Subscription.builder(TOPIC, GROUP).ordered().build(), m -> {
            ready.await();
            seen.add(body(m) + "#" + m.deliveryAttempt());
            return body(m).equals("m1") ? ConsumeResult.RETRY_LATER : ConsumeResult.SUCCESS;
        });
        for (String b : List.of("m1", "m2", "m3")) {
            rig.mq.producer().send(msg(TOPIC, "k", b));
        }
        ready.countDown();
        await().atMost(WAIT).until(() -> seen.size() == 5);
        assertEquals(List.of("m1#1", "m1#2", "m1#3", "m2#1", "m3#1"), List.copyOf(seen));
        assertEquals(1, rig.store.deadLetters().size());
        assertEquals(2, rig.store.deadLetters().get(0).envelope().attempts(), "attempts counted in the store");
        await().atMost(WAIT).until(() -> rig.store.backlog(TOPIC, GROUP) == 0);
    }

    @Test
    void closeLetsTheHandlerFinishReturnsTheUnhandledClaimsAndLeavesNoThread() throws Exception {
        Rig rig = rig(8);
        rig.start(Rig.fastConfig().claimBatchSize(10).build());
        rig.sw.setLeader(false);
        degrade(rig);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        List<String> handled = Collections.synchronizedList(new ArrayList<>());
        // Sent before any group registered: kept as unclaimed, adopted by the group when it subscribes.
        for (int i = 0; i < 10; i++) {
            rig.mq.producer().send(msg(TOPIC, "k", "m" + i));
        }
        rig.mq.consumer().subscribe(Subscription.of(TOPIC, GROUP), m -> {
            entered.countDown();
            proceed.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            handled.add(body(m));
            return ConsumeResult.SUCCESS;
        });
        assertTrue(entered.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        assertEquals(10, rig.store.inFlightCount(), "the whole batch is claimed");

        Thread closer = new Thread(rig.mq::close, "test-closer");
        closer.start();
        await().atMost(WAIT).until(() -> rig.events.contains("subscription.close"));
        proceed.countDown();
        closer.join(WAIT.toMillis());
        assertFalse(closer.isAlive());

        assertEquals(List.of("m0"), List.copyOf(handled), "the handler in progress finished, no new one started");
        assertEquals(0, rig.store.inFlightCount());
        List<Envelope> back = rig.store.queued(TOPIC, GROUP);
        assertEquals(IntStream.range(1, 10).mapToObj(i -> "m" + i).toList(),
                back.stream().map(e -> new String(e.message().body(), StandardCharsets.UTF_8)).toList(),
                "returned to the shard head in order");
        assertTrue(back.stream().allMatch(e -> e.attempts() == 0), "unhandled claims are not counted as attempts");
        assertFalse(Rig.anySmartMqThreadAlive(), "no smartmq- thread left");
        List<String> ev = rig.events;
        assertTrue(ev.indexOf("subscription.close") < ev.indexOf("registration.close")
                && ev.indexOf("registration.close") < ev.indexOf("transport.close")
                && ev.indexOf("transport.close") < ev.indexOf("store.close")
                && ev.indexOf("store.close") < ev.indexOf("switch.close"), ev.toString());
    }

    @Test
    void closeAfterTheShutdownTimeoutInterruptsTheHandlerAndReturnsEveryClaim() throws Exception {
        Rig rig = rig(8);
        rig.start(Rig.fastConfig().claimBatchSize(10).shutdownTimeout(Duration.ofMillis(200)).build());
        rig.sw.setLeader(false);
        degrade(rig);
        CountDownLatch entered = new CountDownLatch(1);
        for (int i = 0; i < 5; i++) {
            rig.mq.producer().send(msg(TOPIC, "k", "m" + i));
        }
        rig.mq.consumer().subscribe(Subscription.of(TOPIC, GROUP), m -> {
            entered.countDown();
            new CountDownLatch(1).await(WAIT.toMillis(), TimeUnit.MILLISECONDS); // a stuck handler
            return ConsumeResult.SUCCESS;
        });
        assertTrue(entered.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        rig.mq.close();
        assertEquals(0, rig.store.inFlightCount());
        List<Envelope> back = rig.store.queued(TOPIC, GROUP);
        assertEquals(5, back.size());
        assertEquals(1, back.get(0).attempts(), "the interrupted delivery counts as an attempt");
        assertFalse(Rig.anySmartMqThreadAlive());
    }

    @Test
    void anIdleConsumerOver128EmptyShardsSweepsThemSlowlyInNormal() throws Exception {
        Rig rig = rig(128);
        Duration sweep = Duration.ofMillis(500);
        rig.start(Rig.fastConfig().normalSweepInterval(sweep).consumerThreads(4).build());
        rig.mq.consumer().subscribe(Subscription.of(TOPIC, GROUP), m -> ConsumeResult.SUCCESS);
        await().atMost(WAIT).until(() -> rig.store.claimCalls() >= 128); // the first sweep
        long c0 = rig.store.claimCalls();
        long t0 = System.nanoTime();
        Thread.sleep(2000); // the observation window is the scenario
        long claims = rig.store.claimCalls() - c0;
        double seconds = (System.nanoTime() - t0) / 1e9;
        double rate = claims / seconds;
        double bound = 128 / (sweep.toMillis() / 1000.0);
        assertTrue(rate <= bound * 1.2 + 16, "idle claims/s " + rate + " over the bound " + bound);
        assertTrue(rate >= bound * 0.3, "the shards are still swept: " + rate + " claims/s");
    }

    @Test
    void orphansOfDeadConsumersAreRecoveredOnlyWhileTheRegistryIsKnown() {
        Rig rig = rig(8);
        rig.start(Rig.fastConfig().build());
        rig.sw.setLeader(false);
        degrade(rig);
        for (int i = 0; i < 5; i++) {
            rig.store.append(new Envelope("o-" + i, msg(TOPIC, "k" + i, "orphan-" + i), 0, 0), List.of(GROUP));
        }
        for (int s = 0; s < 8; s++) {
            rig.store.claim(TOPIC, GROUP, s, "dead-consumer", 10);
        }
        assertEquals(5, rig.store.inFlightCount());
        rig.sw.setReachable(false);
        Set<String> handled = ConcurrentHashMap.newKeySet();
        rig.mq.consumer().subscribe(Subscription.of(TOPIC, GROUP), m -> {
            handled.add(m.id());
            return ConsumeResult.SUCCESS;
        });
        int ticks = rig.store.backlogCalls();
        await().atMost(WAIT).until(() -> rig.store.backlogCalls() >= ticks + 25); // > 8 reaper periods
        assertEquals(0, rig.store.recoverCalls(), "nobody can tell who is dead while the registry is unknown");
        assertTrue(handled.isEmpty());

        rig.sw.setReachable(true);
        await().atMost(WAIT).until(() -> handled.size() == 5);
        assertEquals(5, rig.count("smartmq.fallback.orphans-recovered"));
    }

    @Test
    void theIdempotencyGuardSkipsDuplicatesAndForgetsFailedDeliveries() {
        Rig rig = rig(8);
        FakeGuard guard = new FakeGuard();
        rig.startWithGuard(Rig.fastConfig().build(), guard);
        rig.sw.setLeader(false);
        degrade(rig);
        Map<String, Integer> calls = new ConcurrentHashMap<>();
        rig.mq.consumer().subscribe(Subscription.of(TOPIC, GROUP), m -> {
            int n = calls.merge(m.id(), 1, Integer::sum);
            return m.id().equals("flaky") && n == 1 ? ConsumeResult.RETRY_LATER : ConsumeResult.SUCCESS;
        });
        Envelope dup = new Envelope("dup", msg(TOPIC, "k", "x"), 0, 0);
        rig.store.append(dup, List.of(GROUP));
        rig.store.append(dup, List.of(GROUP));
        rig.store.append(new Envelope("flaky", msg(TOPIC, "k", "y"), 0, 0), List.of(GROUP));
        await().atMost(WAIT).until(() -> rig.store.backlog(TOPIC, GROUP) == 0);
        assertEquals(1, calls.get("dup"), "duplicate skipped");
        assertEquals(2, calls.get("flaky"), "retried after the guard forgot it");
        assertEquals(1, guard.forgets());
        assertEquals(1, rig.count("smartmq.consumer.duplicates"));
    }

    @Test
    void orderedShardsAreSplitBetweenTheLiveInstancesOfAGroup() {
        MutableClock clock = MutableClock.startingNow();
        FakeSwitch sw = new FakeSwitch(clock);
        sw.setLeader(false);
        FakeFallbackStore store = new FakeFallbackStore(8);
        Rig a = new Rig(8, clock, sw, store);
        Rig b = new Rig(8, clock, sw, store);
        rigs.add(a);
        rigs.add(b);
        a.start(Rig.fastConfig().build());
        b.start(Rig.fastConfig().build());
        sw.force(SwitchState.DEGRADED, SwitchMode.AUTO, null, "test");
        Subscription ordered = Subscription.builder(TOPIC, GROUP).ordered().build();
        a.mq.consumer().subscribe(ordered, m -> ConsumeResult.SUCCESS);
        b.mq.consumer().subscribe(ordered, m -> ConsumeResult.SUCCESS);
        assertEquals(2, sw.live(TOPIC, GROUP).size());
        int ticks = store.backlogCalls();
        await().atMost(WAIT).until(() -> store.backlogCalls() >= ticks + 6); // both re-allocated
        store.recordClaims(true);
        await().atMost(WAIT).until(() -> store.claims().stream().map(FakeFallbackStore.Claim::shard)
                .collect(Collectors.toSet()).size() == 8);
        Set<Integer> ofA = shardsClaimedBy(store, a.mq.consumerId());
        Set<Integer> ofB = shardsClaimedBy(store, b.mq.consumerId());
        Set<Integer> both = new HashSet<>(ofA);
        both.retainAll(ofB);
        assertTrue(both.isEmpty(), "A " + ofA + " and B " + ofB + " overlap");
        assertEquals(4, ofA.size());
        assertEquals(4, ofB.size());
    }

    private static Set<Integer> shardsClaimedBy(FakeFallbackStore store, String consumerId) {
        return store.claims().stream().filter(c -> c.consumerId().equals(consumerId))
                .map(FakeFallbackStore.Claim::shard).collect(Collectors.toSet());
    }
}
