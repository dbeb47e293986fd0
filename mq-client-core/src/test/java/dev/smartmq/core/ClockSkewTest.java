package dev.smartmq.core;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.testkit.fakes.FakeSwitch;
import dev.smartmq.testkit.fakes.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * changedAt and expiresAt are written on the writer's clock; dwell and drill length must not depend on how far
 * the writer's clock is from this instance's (issue 12).
 */
class ClockSkewTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration SKEW = Duration.ofHours(2);
    private final MutableClock local = MutableClock.startingNow();
    private final MutableClock writer = new MutableClock(local.instant().minus(SKEW)); // 2 h behind
    private final Rig rig = new Rig(8, local, new FakeSwitch(writer));

    @AfterEach
    void close() {
        rig.close();
    }

    private void advanceBoth(Duration d) {
        local.advance(d);
        writer.advance(d);
    }

    @Test
    void theDwellTimeIsNotShortenedByAWriterWhoseClockIsBehind() {
        rig.start(Rig.fastConfig().minDwellTime(Duration.ofHours(1)).build());
        rig.sw.force(SwitchState.DEGRADED, SwitchMode.AUTO, null, "other-instance");
        rig.transport.probeHealthy(true);
        int ticks = rig.sw.leaderCalls();
        await().atMost(WAIT).until(() -> rig.sw.leaderCalls() >= ticks + 30);
        assertEquals(SwitchState.DEGRADED, rig.sw.current().state(),
                "DEGRADED was written a moment ago: the dwell has not passed, whatever its changedAt says");
        advanceBoth(Duration.ofHours(1));
        await().atMost(WAIT).until(() -> rig.sw.current().state() != SwitchState.DEGRADED);
    }

    @Test
    void aDrillLastsItsTtlWhateverTheOperatorsClock() {
        rig.start(Rig.fastConfig().build());
        Instant expiresAt = writer.instant().plus(Duration.ofHours(1)); // a 1 h drill by the operator's clock
        rig.sw.force(SwitchState.DEGRADED, SwitchMode.MANUAL, expiresAt, "operator-alice");
        rig.transport.probeHealthy(true);
        int ticks = rig.sw.leaderCalls();
        await().atMost(WAIT).until(() -> rig.sw.leaderCalls() >= ticks + 30);
        assertEquals(SwitchMode.MANUAL, rig.sw.current().mode(), "the drill has just begun");
        advanceBoth(Duration.ofHours(1).plusSeconds(1));
        await().atMost(WAIT).until(() -> rig.sw.current().mode() == SwitchMode.AUTO);
    }
}
