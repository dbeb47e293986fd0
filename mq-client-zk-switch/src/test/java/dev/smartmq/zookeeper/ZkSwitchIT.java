package dev.smartmq.zookeeper;

import static dev.smartmq.zookeeper.SwitchFixtures.nextState;
import static dev.smartmq.zookeeper.SwitchFixtures.to;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.ConsumerRegistration;
import dev.smartmq.spi.SwitchTransition;
import dev.smartmq.spi.TransitionResult;
import dev.smartmq.testkit.zookeeper.ZooKeeperExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Behaviour against one real ZooKeeper server shared by the class (no test here stops it). */
class ZkSwitchIT {

    @RegisterExtension
    static final ZooKeeperExtension zk = ZooKeeperExtension.server();

    private final SwitchFixtures fx = new SwitchFixtures();
    private final Duration wait = Duration.ofSeconds(20);

    @AfterEach
    void closeSwitches() throws Exception {
        fx.close();
    }

    private static String ns(TestInfo info) {
        String name = info.getTestMethod().orElseThrow().getName();
        return name.length() <= 64 ? name : name.substring(0, 64);
    }

    @Test
    void twoClientsRacingFromTheSameEpochMakeExactlyOneTransition(TestInfo info) throws Exception {
        ZkDegradationSwitch a = fx.start(zk.connectString(), ns(info));
        ZkDegradationSwitch b = fx.start(zk.connectString(), ns(info));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        int rounds = 20;
        try {
            for (int round = 0; round < rounds; round++) {
                long epoch = a.current().epoch();
                await().atMost(wait).until(() -> b.current().epoch() == epoch);
                SwitchStatus base = a.current();
                SwitchTransition ta = new SwitchTransition(epoch, nextState(base.state()), SwitchMode.AUTO,
                        "race " + round, "client-a", null);
                SwitchTransition tb = new SwitchTransition(epoch, nextState(base.state()), SwitchMode.AUTO,
                        "race " + round, "client-b", null);
                CountDownLatch gate = new CountDownLatch(1);
                Future<TransitionResult> fa = pool.submit(() -> {
                    gate.await();
                    return a.transition(ta);
                });
                Future<TransitionResult> fb = pool.submit(() -> {
                    gate.await();
                    return b.transition(tb);
                });
                gate.countDown();
                TransitionResult ra = fa.get(10, TimeUnit.SECONDS);
                TransitionResult rb = fb.get(10, TimeUnit.SECONDS);
                assertTrue(ra.applied() ^ rb.applied(), "exactly one winner in round " + round + ": " + ra + " / " + rb);
                TransitionResult win = ra.applied() ? ra : rb;
                TransitionResult lose = ra.applied() ? rb : ra;
                assertEquals(epoch + 1, win.current().epoch());
                assertEquals(win.current(), lose.current(), "the loser sees the winner's document");
                await().atMost(wait).until(() -> a.current().equals(win.current()) && b.current().equals(win.current()));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(rounds, a.current().epoch());
        List<SwitchStatus> history = a.history(100);
        assertEquals(rounds, history.size(), "one history entry per applied transition, none for the losers");
        assertEquals(rounds, history.get(0).epoch());
        System.out.printf("RACE: %d rounds, exactly one winner each, one history entry per round%n", rounds);
    }

    @Test
    void anotherClientSeesEveryChange_latencyIsMeasured(TestInfo info) {
        ZkDegradationSwitch writer = fx.start(zk.connectString(), ns(info));
        ZkDegradationSwitch reader = fx.start(zk.connectString(), ns(info));
        SwitchFixtures.Recorder rec = new SwitchFixtures.Recorder();
        reader.addListener(rec, Runnable::run);
        int n = 50;
        long[] micros = new long[n];
        for (int i = 0; i < n; i++) {
            SwitchStatus cur = writer.current();
            long t0 = System.nanoTime();
            TransitionResult r = writer.transition(to(cur, nextState(cur.state()), "writer"));
            assertTrue(r.applied());
            long epoch = r.current().epoch();
            await().atMost(wait).pollInterval(Duration.ofMillis(1)).until(() -> rec.seenAtNanos.containsKey(epoch));
            micros[i] = (rec.seenAtNanos.get(epoch) - t0) / 1000;
            assertEquals(r.current(), reader.current());
        }
        List<Long> sorted = new ArrayList<>();
        for (long m : micros) {
            sorted.add(m);
        }
        Collections.sort(sorted);
        System.out.printf("LATENCY (transition() call on writer -> onStatusChanged on reader), %d changes: "
                + "median %.2f ms, p90 %.2f ms, max %.2f ms%n", n, sorted.get(n / 2) / 1000.0,
                sorted.get(n * 9 / 10) / 1000.0, sorted.get(n - 1) / 1000.0);
        assertEquals(n, rec.statuses.size(), "reader saw every change once: " + rec.events);
    }

    @Test
    void staleExpectedEpochChangesNothing(TestInfo info) throws Exception {
        ZkDegradationSwitch a = fx.start(zk.connectString(), ns(info));
        assertTrue(a.transition(to(a.current(), SwitchState.DEGRADED, "a")).applied());
        SwitchStatus now = a.current();
        TransitionResult stale = a.transition(new SwitchTransition(0, SwitchState.NORMAL, SwitchMode.AUTO, "late",
                "a", null));
        assertFalse(stale.applied());
        assertEquals(now, stale.current());
        assertEquals(now, a.current());
        assertEquals(1, a.history(10).size());
    }

    @Test
    void manualModeCarriesExpiresAtToOtherClients(TestInfo info) {
        ZkDegradationSwitch op = fx.start(zk.connectString(), ns(info));
        ZkDegradationSwitch svc = fx.start(zk.connectString(), ns(info));
        Instant expires = Instant.now().plus(Duration.ofMinutes(30)).truncatedTo(ChronoUnit.MILLIS);
        TransitionResult r = op.transition(new SwitchTransition(0, SwitchState.DEGRADED, SwitchMode.MANUAL,
                "drill", "operator alice", expires));
        assertTrue(r.applied());
        await().atMost(wait).until(() -> svc.current().epoch() == 1);
        SwitchStatus seen = svc.current();
        assertEquals(SwitchMode.MANUAL, seen.mode());
        assertEquals(expires, seen.expiresAt());
        assertEquals("operator alice", seen.changedBy());
        assertTrue(seen.isManualAt(Instant.now()));
    }

    @Test
    void malformedDocumentsAreIgnoredLoudlyAndAnOperatorCanReplaceThem(TestInfo info) throws Exception {
        String ns = ns(info);
        ZkDegradationSwitch a = fx.start(zk.connectString(), ns);
        ZkDegradationSwitch b = fx.start(zk.connectString(), ns);
        SwitchFixtures.Recorder rec = new SwitchFixtures.Recorder();
        a.addListener(rec, Runnable::run);
        assertTrue(b.transition(to(b.current(), SwitchState.DEGRADED, "b")).applied());
        await().atMost(wait).until(() -> a.current().epoch() == 1);
        SwitchStatus good = a.current();
        int statusEventsBefore = rec.statuses.size();

        CuratorFramework raw = zk.newClient();
        String path = "/smartmq/" + ns + "/switch";
        ListAppender<ILoggingEvent> logs = SwitchFixtures.captureLogs();
        String[] bad = {
            "{not json",
            "{\"v\":1,\"state\":\"HALF_OPEN\",\"mode\":\"AUTO\",\"changedAt\":\"2026-01-01T00:00:00Z\",\"epoch\":9}",
            "{\"v\":2,\"state\":\"NORMAL\",\"mode\":\"AUTO\",\"changedAt\":\"2026-01-01T00:00:00Z\",\"epoch\":50}",
        };
        for (String doc : bad) {
            long before = SwitchFixtures.errorsContaining(logs, "IGNORING unreadable switch document");
            raw.setData().forPath(path, doc.getBytes(StandardCharsets.UTF_8));
            await().atMost(wait).until(() ->
                    SwitchFixtures.errorsContaining(logs, "IGNORING unreadable switch document") >= before + 2);
            assertEquals(good, a.current(), "last good state kept after " + doc);
            assertEquals(good, b.current());
        }
        // An older, well-formed document is also refused: epochs never go backwards.
        raw.setData().forPath(path, ("{\"v\":1,\"state\":\"NORMAL\",\"mode\":\"AUTO\","
                + "\"changedAt\":\"2026-01-01T00:00:00Z\",\"epoch\":0}").getBytes(StandardCharsets.UTF_8));
        await().atMost(wait).until(() -> SwitchFixtures.errorsContaining(logs, "epochs never go backwards") >= 2);
        assertEquals(good, a.current());
        assertEquals(statusEventsBefore, rec.statuses.size(), "no status change for bad documents: " + rec.events);

        // Put the future-version document back, then let an operator replace it from the last good epoch.
        raw.setData().forPath(path, bad[2].getBytes(StandardCharsets.UTF_8));
        await().atMost(wait).until(() ->
                SwitchFixtures.errorsContaining(logs, "IGNORING unreadable switch document") >= 8);
        TransitionResult fix = b.transition(new SwitchTransition(good.epoch(), SwitchState.RECOVERING,
                SwitchMode.MANUAL, "replace unreadable document", "operator bob", null));
        assertTrue(fix.applied(), fix.toString());
        assertEquals(51, fix.current().epoch(), "above the epoch salvaged from the unreadable document");
        await().atMost(wait).until(() -> a.current().equals(fix.current()));
        assertEquals(SwitchState.RECOVERING, rec.statuses.get(rec.statuses.size() - 1).state());
    }

    @Test
    void historyIsNewestFirstAndBounded(TestInfo info) throws Exception {
        ZkDegradationSwitch a = fx.start(zk.connectString(), ns(info), b -> b.historySize(5));
        for (int i = 0; i < 8; i++) {
            SwitchStatus cur = a.current();
            assertTrue(a.transition(to(cur, nextState(cur.state()), "a")).applied());
        }
        CuratorFramework raw = zk.newClient();
        await().atMost(wait).until(() -> raw.getChildren().forPath("/smartmq/" + ns(info) + "/history").size() == 5);
        List<SwitchStatus> h = a.history(100);
        assertEquals(List.of(8L, 7L, 6L, 5L, 4L), h.stream().map(SwitchStatus::epoch).toList());
        assertEquals(a.current(), h.get(0));
        assertEquals(2, a.history(2).size());
    }

    @Test
    void registryKeepsGroupsAndTracksLiveConsumers(TestInfo info) throws Exception {
        ZkDegradationSwitch a = fx.start(zk.connectString(), ns(info));
        ZkDegradationSwitch b = fx.start(zk.connectString(), ns(info));
        ConsumerRegistration c1 = a.registerConsumer("orders", "billing", "c1");
        ConsumerRegistration c2 = b.registerConsumer("orders", "billing", "c2");
        b.registerConsumer("orders", "audit", "c3");
        b.registerConsumer("payments", "billing", "c4");
        await().atMost(wait).until(() -> a.groups("orders").equals(Set.of("billing", "audit")));
        await().atMost(wait).until(() -> a.liveConsumers("orders", "billing").equals(Optional.of(Set.of("c1", "c2"))));
        assertEquals(Set.of("orders", "payments"), b.registeredGroups().keySet());
        assertEquals(Set.of("billing"), b.registeredGroups().get("payments"));
        assertEquals(Optional.of(Set.of()), a.liveConsumers("orders", "nobody"));

        c1.close();
        c2.close();
        assertEquals(Optional.of(Set.of()), b.liveConsumers("orders", "billing"), "unregistered at once");
        // The group record is durable (a PERSISTENT node, not a container that disappears when empty).
        CuratorFramework raw = zk.newClient();
        Stat group = raw.checkExists().forPath("/smartmq/" + ns(info) + "/groups/orders/billing");
        assertNotNull(group);
        assertEquals(0, group.getEphemeralOwner());
        assertTrue(a.groups("orders").contains("billing"));
    }

    @Test
    void leadershipMovesWhenTheLeaderCloses(TestInfo info) {
        ZkDegradationSwitch first = fx.start(zk.connectString(), ns(info));
        await().atMost(wait).until(first::isLeader);
        ZkDegradationSwitch second = fx.start(zk.connectString(), ns(info));
        SwitchFixtures.Recorder rec = new SwitchFixtures.Recorder();
        second.addListener(rec, Runnable::run);
        assertFalse(second.isLeader());

        first.close();

        await().atMost(wait).until(second::isLeader);
        assertFalse(first.isLeader());
        assertTrue(rec.events.contains("leader:true"), rec.events::toString);
        assertNotEquals(first.instanceId(), second.instanceId());
    }

    @Test
    void anOperatorClientThatSkipsTheElectionNeverHoldsLeadership(TestInfo info) throws Exception {
        // Started first, a joining operator would win the election and no engine would probe or drain.
        ZkDegradationSwitch operator = fx.start(zk.connectString(), ns(info), b -> b.joinElection(false));
        ZkDegradationSwitch engine = fx.start(zk.connectString(), ns(info));
        await().atMost(wait).until(engine::isLeader);
        assertFalse(operator.isLeader());
        CuratorFramework raw = zk.newClient();
        assertEquals(1, raw.getChildren().forPath("/smartmq/" + ns(info) + "/leader").size(),
                "only the engine takes part in the election");
        // The operator can still flip the switch.
        assertTrue(operator.transition(new dev.smartmq.spi.SwitchTransition(operator.current().epoch(),
                dev.smartmq.api.SwitchState.DEGRADED, dev.smartmq.api.SwitchMode.MANUAL, "drill", "ops",
                java.time.Instant.now().plusSeconds(60))).applied());
    }
}
