package dev.smartmq.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.testkit.fakes.FakeSwitch;
import dev.smartmq.testkit.fakes.MutableClock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;

/** The operator API's decisions (issue 22), on the in-memory switch: no epoch ever passes through the caller. */
class SwitchOperatorTest {

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeSwitch sw = new FakeSwitch(clock);
    private final SwitchOperator op = SwitchOperator.of(sw, clock);

    @Test
    void degradeStartsAManualDrillWithItsExpiryAndRestoreHandsItBackAsRecovering() {
        SwitchOperator.Outcome d = op.degrade("drill", Duration.ofMinutes(5), "alice");
        assertTrue(d.applied());
        assertEquals(SwitchState.DEGRADED, op.status().state());
        assertEquals(SwitchMode.MANUAL, op.status().mode());
        assertEquals(clock.instant().plus(Duration.ofMinutes(5)).truncatedTo(ChronoUnit.SECONDS),
                op.status().expiresAt());
        assertEquals("alice", op.status().changedBy());

        SwitchOperator.Outcome r = op.restore("drill over", "alice", false);
        assertTrue(r.applied());
        assertEquals(SwitchState.RECOVERING, r.current().state());
        assertEquals(SwitchMode.AUTO, r.current().mode());
        assertEquals(d.current().epoch() + 1, r.current().epoch());

        SwitchOperator.Outcome again = op.restore("again", "alice", false);
        assertFalse(again.applied(), "RECOVERING in AUTO: nothing to restore");
        assertEquals(2, sw.appliedTransitions());
    }

    @Test
    void anAutomaticOutageIsRestoredOnlyWithForceAndBadInputIsRefusedBeforeAnyWrite() {
        sw.force(SwitchState.DEGRADED, SwitchMode.AUTO, null, "host/1/a");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> op.restore("ops", "bob", false));
        assertTrue(e.getMessage().contains("DEGRADED in AUTO mode"), e.getMessage());
        assertEquals(SwitchState.DEGRADED, op.status().state());
        assertEquals(SwitchState.RECOVERING, op.restore("ops", "bob", true).current().state());

        int before = sw.transitionRequests();
        assertThrows(IllegalArgumentException.class, () -> op.degrade(" ", Duration.ofMinutes(1), "bob"));
        assertThrows(IllegalArgumentException.class, () -> op.degrade("x", Duration.ZERO, "bob"));
        assertThrows(IllegalArgumentException.class, () -> op.degrade("x", Duration.ofDays(8), "bob"));
        assertThrows(IllegalArgumentException.class, () -> op.degrade("x", Duration.ofMinutes(1), ""));
        assertEquals(before, sw.transitionRequests());
    }
}
