package dev.smartmq.core;

import static dev.smartmq.core.Rig.msg;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.Route;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.testkit.fakes.FakeTransport.Mode;
import dev.smartmq.testkit.fakes.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ProberTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final Rig rig = new Rig(8);

    @AfterEach
    void close() {
        rig.close();
    }

    @Test
    void kMinusOneSuccessesThenAFailureDoNotRecoverKDo() {
        rig.start(Rig.fastConfig().probeSuccessThreshold(3).build());
        rig.sw.force(SwitchState.DEGRADED, SwitchMode.AUTO, null, "test");
        // Never three in a row: S S F S S F, then failures.
        rig.transport.scriptProbes(true, true, false, true, true, false);
        await().atMost(WAIT).until(() -> rig.transport.probeCalls() >= 10);
        assertEquals(SwitchState.DEGRADED, rig.sw.current().state());
        assertEquals(0, rig.sw.transitionRequests());

        int before = rig.transport.probeCalls();
        rig.transport.probeHealthy(true);
        await().atMost(WAIT).until(() -> rig.sw.current().state() != SwitchState.DEGRADED);
        assertTrue(rig.transport.probeCalls() - before >= 3, "K probes before recovering");
        SwitchStatus recovering = rig.sw.history().get(1);
        assertEquals(SwitchState.RECOVERING, recovering.state());
        assertEquals(SwitchMode.AUTO, recovering.mode());
        assertEquals(rig.mq.instanceId(), recovering.changedBy());
    }

    @Test
    void onlyTheLeaderProbes() {
        rig.start(Rig.fastConfig().build());
        rig.sw.setLeader(false);
        rig.sw.force(SwitchState.DEGRADED, SwitchMode.AUTO, null, "test");
        rig.transport.probeHealthy(true);
        int leaderChecks = rig.sw.leaderCalls();
        await().atMost(WAIT).until(() -> rig.sw.leaderCalls() >= leaderChecks + 20);
        assertEquals(0, rig.transport.probeCalls());
        assertEquals(SwitchState.DEGRADED, rig.sw.current().state());
        rig.sw.setLeader(true);
        await().atMost(WAIT).until(() -> rig.sw.current().state() != SwitchState.DEGRADED);
    }

    @Test
    void manualStateIsNeverRevertedBeforeExpiryAndHandedBackAfter() {
        rig.start(Rig.fastConfig().failureThreshold(3).build());
        Instant expiry = rig.clock.instant().plus(Duration.ofHours(1));
        rig.sw.force(SwitchState.DEGRADED, SwitchMode.MANUAL, expiry, "operator-alice");
        rig.transport.probeHealthy(true);
        await().atMost(WAIT).until(() -> rig.transport.probeCalls() >= 10);
        assertEquals(SwitchMode.MANUAL, rig.sw.current().mode());
        assertEquals(SwitchState.DEGRADED, rig.sw.current().state());
        assertEquals(0, rig.sw.transitionRequests());

        rig.clock.advance(Duration.ofHours(1).plusSeconds(1));
        await().atMost(WAIT).until(() -> rig.sw.current().state() == SwitchState.NORMAL);
        List<SwitchStatus> h = rig.sw.history();
        assertEquals(SwitchState.RECOVERING, h.get(1).state(), "handed back to RECOVERING first");
        assertEquals(SwitchMode.AUTO, h.get(1).mode());
        assertTrue(h.get(1).reason().contains("expired"), h.get(1).reason());
        assertEquals(SwitchState.NORMAL, h.get(2).state(), "then the normal drain");
    }

    @Test
    void manualNormalAndManualRecoveringAreNotMovedByAutomationBeforeExpiry() {
        rig.start(Rig.fastConfig().failureThreshold(3).build());
        Instant expiry = rig.clock.instant().plus(Duration.ofHours(1));
        rig.sw.force(SwitchState.NORMAL, SwitchMode.MANUAL, expiry, "operator-bob");
        rig.transport.mode(Mode.FAIL_INFRA);
        for (int i = 0; i < 10; i++) {
            assertEquals(Route.FALLBACK, rig.mq.producer().send(msg("orders")).route());
        }
        assertEquals(SwitchState.NORMAL, rig.mq.effectiveState(), "the detector does not override an operator");

        rig.sw.force(SwitchState.RECOVERING, SwitchMode.MANUAL, expiry, "operator-bob");
        int leaderChecks = rig.sw.leaderCalls();
        await().atMost(WAIT).until(() -> rig.sw.leaderCalls() >= leaderChecks + 20);
        assertEquals(SwitchState.RECOVERING, rig.sw.current().state(), "drain does not end a manual RECOVERING");
        assertEquals(0, rig.sw.transitionRequests());
    }

    @Test
    void dwellTimeIsHonouredUnderAFlappingMq() {
        Duration dwell = Duration.ofHours(1);
        rig.start(Rig.fastConfig().failureThreshold(3).minDwellTime(dwell).build());
        rig.sw.force(SwitchState.NORMAL, SwitchMode.AUTO, null, "test"); // a young NORMAL
        rig.transport.mode(Mode.FAIL_INFRA);
        for (int i = 0; i < 10; i++) {
            assertEquals(Route.FALLBACK, rig.mq.producer().send(msg("orders")).route());
        }
        assertEquals(SwitchState.NORMAL, rig.mq.effectiveState(), "no degradation inside the dwell");
        assertEquals(0, rig.sw.transitionRequests());

        rig.clock.advance(dwell);
        rig.mq.producer().send(msg("orders"));
        await().atMost(WAIT).until(() -> rig.sw.current().state() == SwitchState.DEGRADED);

        // The MQ flaps: K successes in a row happen again and again, but DEGRADED is young.
        rig.transport.mode(Mode.OK);
        for (int i = 0; i < 4; i++) {
            rig.transport.scriptProbes(true, true, true, true, false);
        }
        await().atMost(WAIT).until(() -> rig.transport.probeCalls() >= 20);
        assertEquals(SwitchState.DEGRADED, rig.sw.current().state());

        rig.transport.probeHealthy(true);
        rig.clock.advance(dwell);
        await().atMost(WAIT).until(() -> rig.sw.current().state() == SwitchState.RECOVERING);

        // Down again right after recovering: sends go to the MQ, fail, fall back, but RECOVERING is young.
        rig.transport.mode(Mode.FAIL_INFRA);
        rig.transport.probeHealthy(false);
        int mqCalls = rig.transport.mqCalls();
        for (int i = 0; i < 10; i++) {
            assertEquals(Route.FALLBACK, rig.mq.producer().send(msg("orders")).route());
        }
        assertEquals(mqCalls + 10, rig.transport.mqCalls(), "RECOVERING sends try the MQ");
        int leaderChecks = rig.sw.leaderCalls();
        await().atMost(WAIT).until(() -> rig.sw.leaderCalls() >= leaderChecks + 10);
        assertEquals(SwitchState.RECOVERING, rig.sw.current().state());

        List<SwitchStatus> h = rig.sw.history();
        for (int i = 1; i < h.size(); i++) {
            Duration gap = Duration.between(h.get(i - 1).changedAt(), h.get(i).changedAt());
            assertTrue(gap.compareTo(dwell) >= 0, "transition " + i + " came " + gap + " after the previous one");
        }
        assertEquals(3, h.size());
    }

    @Test
    void anExpiredManualDegradedStaysDegradedInAutoWhileProbesFail() {
        rig.start(Rig.fastConfig().build());
        Instant expiry = rig.clock.instant().plus(Duration.ofHours(1));
        rig.sw.force(SwitchState.DEGRADED, SwitchMode.MANUAL, expiry, "operator-alice");
        rig.transport.probeHealthy(false);
        await().atMost(WAIT).until(() -> rig.transport.probeCalls() >= 5);

        rig.clock.advance(Duration.ofHours(1).plusSeconds(1));
        await().atMost(WAIT).until(() -> rig.sw.current().mode() == SwitchMode.AUTO);
        assertEquals(SwitchState.DEGRADED, rig.sw.current().state(), "every probe failed: the MQ is still down");
        int calls = rig.transport.probeCalls();
        await().atMost(WAIT).until(() -> rig.transport.probeCalls() >= calls + 10);
        assertEquals(SwitchState.DEGRADED, rig.sw.current().state());
        assertTrue(rig.sw.history().stream().noneMatch(h -> h.state() == SwitchState.RECOVERING),
                "never handed back as RECOVERING: " + rig.sw.history());

        rig.transport.probeHealthy(true);
        await().atMost(WAIT).until(() -> rig.sw.current().state() == SwitchState.NORMAL);
    }

    @Test
    void aManualDrillEndsAtItsExpiryNotAtTheNextProbeTick() {
        // Real time: a 1 s drill with the default 5 s probe interval (the prober's tick is far away).
        MutableClock clock = MutableClock.ticking();
        try (Rig timed = new Rig(8, clock, null)) {
            timed.start(Rig.fastConfig().probeInterval(Duration.ofSeconds(5)).probeTimeout(Duration.ofSeconds(1))
                    .build());
            timed.transport.probeHealthy(true);
            Instant expiry = clock.instant().plusSeconds(1);
            timed.sw.force(SwitchState.DEGRADED, SwitchMode.MANUAL, expiry, "operator-alice");
            await().atMost(WAIT).until(() -> timed.sw.current().mode() == SwitchMode.AUTO);
            SwitchStatus handedBack = timed.sw.current();
            Duration late = Duration.between(expiry, handedBack.changedAt());
            assertTrue(!late.isNegative() && late.compareTo(Duration.ofMillis(500)) <= 0,
                    "drill ended " + late + " after its expiry (bound 500 ms)");
            // No probe succeeded during the 1 s drill (the first tick is at 5 s): it stays DEGRADED.
            assertEquals(SwitchState.DEGRADED, handedBack.state());
        }
    }

    @Test
    void aNewLeaderEndsAnAlreadyExpiredDrillAtOnce() {
        MutableClock clock = MutableClock.ticking();
        try (Rig timed = new Rig(8, clock, null)) {
            timed.start(Rig.fastConfig().probeInterval(Duration.ofSeconds(30)).build());
            timed.sw.setLeader(false);
            Instant expiry = clock.instant().plusMillis(200);
            timed.sw.force(SwitchState.NORMAL, SwitchMode.MANUAL, expiry, "operator-bob");
            await().atMost(WAIT).until(() -> clock.instant().isAfter(expiry.plusMillis(300)));
            assertEquals(SwitchMode.MANUAL, timed.sw.current().mode(), "no leader, nobody ends it");
            Instant elected = clock.instant();
            timed.sw.setLeader(true);
            await().atMost(WAIT).until(() -> timed.sw.current().mode() == SwitchMode.AUTO);
            Duration late = Duration.between(elected, timed.sw.current().changedAt());
            assertTrue(late.compareTo(Duration.ofMillis(500)) <= 0, "ended " + late + " after the election");
            assertEquals(SwitchState.NORMAL, timed.sw.current().state());
        }
    }
}
