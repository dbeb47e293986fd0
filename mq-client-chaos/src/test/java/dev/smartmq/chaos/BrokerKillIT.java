package dev.smartmq.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.Ordering;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.testkit.checker.CheckReport;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Row 1: the broker is killed under load. The switch degrades (the callers never see an exception: every send
 * that failed on the MQ was written to Redis before {@code send} returned), the broker comes back, the prober
 * moves the switch to RECOVERING and the drain decision to NORMAL. Zero acknowledged messages lost.
 */
class BrokerKillIT extends ChaosTestBase {

    @Test
    void brokerKilledThenRestarted_degradesRecoversAndLosesNothing() throws Exception {
        startCluster("broker-kill", 2, 2, Ordering.CONCURRENT);

        try (LoadGenerator load = load("kill").start()) {
            awaitAcked(load, 200);
            long ackedViaMqBefore = load.ackedMq();

            checker.mark("broker-killed");
            long faultStart = System.nanoTime();
            cluster.rocketMQ().stopBroker();
            long faultEnd = System.nanoTime();
            checker.mark("broker-stopped");
            awaitSwitch("switch DEGRADED after the broker was killed", SwitchState.DEGRADED, 1);
            checker.mark("degraded");
            long fallbackAtDegrade = load.ackedFallback();
            keepLoad(load, ChaosSettings.faultPhase(Duration.ofSeconds(4)));
            assertTrue(load.ackedFallback() > fallbackAtDegrade, "sends go to Redis while DEGRADED: " + load);

            checker.mark("broker-restarted");
            cluster.rocketMQ().startBroker();
            awaitSwitch("switch back to NORMAL after the broker returned", SwitchState.NORMAL, 3);
            checker.mark("normal");
            long mqAtNormal = load.ackedMq();
            keepLoad(load, ChaosSettings.phase(Duration.ofSeconds(2)));
            assertTrue(load.ackedMq() > mqAtNormal, "sends go to the MQ again in NORMAL: " + load);
            assertTrue(ackedViaMqBefore > 0, "sends went to the MQ before the fault");
            load.stop();

            CheckReport report = awaitDrainedAndReport(load);
            List<SwitchStatus> history = cluster.history();
            DuplicateBound bound = duplicateBound(load, faultStart, faultEnd);
            printSummary("1-broker-kill", report, history,
                    millisToSwitch(report, "broker-killed", SwitchState.DEGRADED, 1),
                    millisToSwitch(report, "broker-restarted", SwitchState.NORMAL, lastNormalEpoch(history)),
                    bound + " duplicates_by_route=[" + deliveries.duplicateSummary() + "]");

            assertEquals(0, report.totalLost(), "lost: " + report.lostIds());
            assertEquals(0, report.failed(), "the callers saw no exception: " + report.errorSamples());
            assertEquals(0, report.unknown(), "no send ended with an unexpected exception: " + load.unexpectedErrors());
            assertEquals(0, report.totalUnexpected(), "no phantom deliveries");
            assertDuplicatesBounded(report, bound);
            assertEpochsContiguous(history);
            assertEquals(SwitchState.DEGRADED, history.get(0).state(), ChaosTestBase.describe(history));
            assertEquals(SwitchState.NORMAL, history.get(history.size() - 1).state(), describe(history));
            assertTrue(history.stream().anyMatch(s -> s.state() == SwitchState.RECOVERING),
                    "recovery went through RECOVERING: " + describe(history));
        }
    }
}
