package dev.smartmq.core;

import static dev.smartmq.core.Rig.msg;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.smartmq.api.Route;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.testkit.fakes.FakeTransport.Mode;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SwitchUnavailableTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final Rig rig = new Rig(8);

    @AfterEach
    void close() {
        rig.close();
    }

    @Test
    void producerDegradesLocallyAndPublishesWhenTheSwitchIsBack() {
        rig.start(Rig.fastConfig().failureThreshold(10).build());
        rig.sw.setReachable(false);
        await().until(() -> !rig.sw.isReachable());
        rig.transport.mode(Mode.FAIL_INFRA);
        for (int i = 0; i < 10; i++) {
            assertEquals(Route.FALLBACK, rig.mq.producer().send(msg("orders")).route());
        }
        assertEquals(SwitchState.DEGRADED, rig.mq.effectiveState());
        assertEquals(SwitchState.NORMAL, rig.mq.switchStatus().state());
        for (int i = 0; i < 20; i++) {
            assertEquals(Route.FALLBACK, rig.mq.producer().send(msg("orders")).route());
        }
        assertEquals(10, rig.transport.mqCalls(), "locally degraded sends skip the MQ");
        assertEquals(0, rig.sw.appliedTransitions());

        rig.sw.setReachable(true);
        await().atMost(WAIT).until(() -> rig.sw.current().state() == SwitchState.DEGRADED);
        assertEquals(1, rig.sw.appliedTransitions());
        assertEquals(rig.mq.instanceId(), rig.sw.current().changedBy());
        assertEquals(SwitchState.DEGRADED, rig.mq.switchStatus().state());
    }

    @Test
    void aTransitionFailingWithSwitchUnavailableKeepsTheLocalDegradationUntilReachableAgain() {
        rig.start(Rig.fastConfig().failureThreshold(5).build());
        rig.sw.failTransitions(true);
        rig.transport.mode(Mode.FAIL_INFRA);
        for (int i = 0; i < 5; i++) {
            rig.mq.producer().send(msg("orders"));
        }
        await().atMost(WAIT).until(() -> rig.sw.transitionRequests() >= 1);
        assertEquals(SwitchState.DEGRADED, rig.mq.effectiveState());
        assertEquals(SwitchState.NORMAL, rig.sw.current().state());

        rig.sw.failTransitions(false);
        rig.sw.setReachable(false);
        rig.sw.setReachable(true);
        await().atMost(WAIT).until(() -> rig.sw.current().state() == SwitchState.DEGRADED);
        assertEquals(1, rig.sw.appliedTransitions());
    }

    @Test
    void whenSomeoneElseMovedTheSwitchMeanwhileTheirStateIsAdopted() {
        rig.start(Rig.fastConfig().failureThreshold(5).build());
        rig.sw.setLeader(false);
        rig.sw.setReachable(false);
        await().until(() -> !rig.sw.isReachable());
        rig.transport.mode(Mode.FAIL_INFRA);
        for (int i = 0; i < 5; i++) {
            rig.mq.producer().send(msg("orders"));
        }
        assertEquals(SwitchState.DEGRADED, rig.mq.effectiveState());
        // An operator starts a drill while this instance is cut off.
        rig.sw.force(SwitchState.RECOVERING, SwitchMode.MANUAL, rig.clock.instant().plusSeconds(3600), "operator");

        rig.sw.setReachable(true);
        await().atMost(WAIT).until(() -> rig.mq.effectiveState() == SwitchState.RECOVERING);
        assertEquals("operator", rig.mq.switchStatus().changedBy());
        assertEquals(0, rig.sw.appliedTransitions(), "nothing published over the operator's document");
    }

    @Test
    void aLocallyDegradedInstanceProbesOnItsOwnAndEndsTheLocalDegradation() {
        rig.start(Rig.fastConfig().failureThreshold(5).probeSuccessThreshold(3).build());
        rig.sw.setLeader(false);
        rig.sw.setReachable(false);
        rig.transport.mode(Mode.FAIL_INFRA);
        for (int i = 0; i < 5; i++) {
            rig.mq.producer().send(msg("orders"));
        }
        assertEquals(SwitchState.DEGRADED, rig.mq.effectiveState());

        rig.transport.mode(Mode.OK);
        rig.transport.probeHealthy(true);
        await().atMost(WAIT).until(() -> rig.mq.effectiveState() == SwitchState.NORMAL);
        assertEquals(Route.MQ, rig.mq.producer().send(msg("orders")).route());
        assertEquals(0, rig.sw.appliedTransitions());
        rig.sw.setReachable(true);
        // The outage is not published afterwards (several maintenance and reachability rounds).
        await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> rig.sw.transitionRequests() == 0);
        assertEquals(SwitchState.NORMAL, rig.sw.current().state());
    }
}
