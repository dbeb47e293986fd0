package dev.smartmq.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.Ordering;
import dev.smartmq.api.Route;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.testkit.checker.CheckReport;
import dev.smartmq.testkit.proxy.FaultProxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Rows 1, 2, 3 and 8: the broker fails — killed, black-holed, flapping — under load, and an ordered topic goes
 * through a whole degrade/recover cycle. Two producer instances, two consumer instances, two consumer groups;
 * every acknowledged message must reach both groups.
 */
class BrokerFaultsIT extends ChaosTestBase {

    /** How much longer than {@code sendTimeout} a sync send may take to return (fallback write, a busy box). */
    static final Duration SEND_MARGIN = Duration.ofMillis(1500);

    /**
     * Row 1: the broker is killed. The switch degrades, the callers never see an exception (every send that
     * failed on the MQ was written to Redis before {@code send} returned), the broker comes back, the prober moves
     * the switch to RECOVERING and the drain decision to NORMAL.
     */
    @Test
    void row1_brokerKilled_degradesRecoversAndLosesNothing() throws Exception {
        startCluster("1-broker-kill", 2, 2, Ordering.CONCURRENT);

        try (LoadGenerator load = load("kill").start()) {
            awaitAcked(load, 200);

            checker.mark("broker-killed");
            long faultStart = System.nanoTime();
            servers.rocketMQ().stopBroker();
            long faultEnd = System.nanoTime();
            checker.mark("broker-stopped");
            awaitSwitch("switch DEGRADED after the broker was killed", SwitchState.DEGRADED, 1);
            long fallbackAtDegrade = load.ackedFallback();
            keepLoad(load, ChaosSettings.faultPhase(Duration.ofSeconds(3)));
            assertTrue(load.ackedFallback() > fallbackAtDegrade, "sends go to Redis while DEGRADED: " + load);

            checker.mark("broker-restarted");
            servers.rocketMQ().startBroker();
            awaitSwitch("switch back to NORMAL after the broker returned", SwitchState.NORMAL, 3);
            long mqAtNormal = load.ackedMq();
            keepLoad(load, ChaosSettings.phase(Duration.ofSeconds(1)));
            assertTrue(load.ackedMq() > mqAtNormal, "sends go to the MQ again in NORMAL: " + load);
            load.stop();

            CheckReport report = awaitDrainedAndReport(load);
            List<SwitchStatus> history = cluster.history();
            DuplicateBound bound = duplicateBound(faultStart, faultEnd, load);
            printSummary("1-broker-kill", report, history,
                    millisToSwitch(report, "broker-killed", SwitchState.DEGRADED, 1),
                    millisToSwitch(report, "broker-restarted", SwitchState.NORMAL, lastNormalEpoch(history)),
                    bound + " duplicates=[" + deliveries.duplicateSummary() + "]");

            assertNothingLost(report, load);
            assertEquals(0, report.failed(), "the callers saw no exception: " + report.errorSamples());
            assertDuplicatesBounded(report, bound, load);
            assertEpochsContiguous(history);
            assertEquals(SwitchState.DEGRADED, history.get(0).state(), describe(history));
            assertTrue(history.stream().anyMatch(s -> s.state() == SwitchState.RECOVERING),
                    "recovery went through RECOVERING: " + describe(history));
            assertEquals(SwitchState.NORMAL, history.get(history.size() - 1).state(), describe(history));
        }
    }

    /**
     * Row 2: the broker hangs (black hole: connections stay open, nothing comes back). Same outcome as row 1, and
     * no sender is stuck beyond its budget: every sync send returns within sendTimeout + margin, every
     * {@code sendAsync} call returns at once and its future completes within the engine's guard + margin.
     */
    @Test
    void row2_brokerBlackHoled_sendersStayWithinBudgetAndNothingIsLost() throws Exception {
        startCluster("2-black-hole", 2, 2, Ordering.CONCURRENT);
        FaultProxy proxy = servers.brokerProxy();

        try (LoadGenerator sync = load("sync").start();
             LoadGenerator async = load("async").threads(2).async(true).start()) {
            awaitAcked(sync, 200);
            awaitAcked(async, 100);

            checker.mark("black-hole");
            long faultStart = System.nanoTime();
            proxy.blackHole();
            awaitSwitch("switch DEGRADED after the broker hung", SwitchState.DEGRADED, 1);
            long fallbackAtDegrade = sync.ackedFallback() + async.ackedFallback();
            keepLoad(sync, ChaosSettings.faultPhase(Duration.ofSeconds(3)));
            assertTrue(sync.ackedFallback() + async.ackedFallback() > fallbackAtDegrade,
                    "sends go to Redis while DEGRADED: " + sync + "; " + async);

            checker.mark("healed");
            proxy.heal();
            long faultEnd = System.nanoTime();
            awaitSwitch("switch back to NORMAL after the black hole healed", SwitchState.NORMAL, 3);
            keepLoad(sync, ChaosSettings.phase(Duration.ofSeconds(1)));
            sync.stop();
            async.stop();

            CheckReport report = awaitDrainedAndReport(sync, async);
            List<SwitchStatus> history = cluster.history();
            DuplicateBound bound = duplicateBound(faultStart, faultEnd, sync, async);
            Duration syncBudget = ChaosSettings.SEND_TIMEOUT.plus(SEND_MARGIN);
            Duration asyncGuard = ChaosSettings.SEND_TIMEOUT.plus(ChaosSettings.SEND_TIMEOUT.dividedBy(2));
            Duration asyncBudget = asyncGuard.plus(SEND_MARGIN);
            printSummary("2-black-hole", report, history,
                    millisToSwitch(report, "black-hole", SwitchState.DEGRADED, 1),
                    millisToSwitch(report, "healed", SwitchState.NORMAL, lastNormalEpoch(history)),
                    "max_sync_send_ms=" + sync.maxCall().toMillis() + " max_async_call_ms=" + async.maxCall().toMillis()
                            + " max_async_completion_ms=" + async.maxCompletion().toMillis() + " " + bound
                            + " duplicates=[" + deliveries.duplicateSummary() + "]");

            assertNothingLost(report, sync, async);
            assertEquals(0, report.failed(), "the callers saw no exception: " + report.errorSamples());
            assertTrue(sync.maxCall().compareTo(syncBudget) <= 0,
                    "every sync send returned within sendTimeout + " + SEND_MARGIN + ", the slowest took "
                            + sync.maxCall().toMillis() + " ms");
            assertTrue(async.maxCall().compareTo(ChaosSettings.SEND_TIMEOUT) < 0,
                    "sendAsync never blocked its caller on the hung broker, the slowest call took "
                            + async.maxCall().toMillis() + " ms");
            assertTrue(async.maxCompletion().compareTo(asyncBudget) <= 0,
                    "every async send completed within the engine's guard (" + asyncGuard + ") + " + SEND_MARGIN
                            + ", the slowest took " + async.maxCompletion().toMillis() + " ms");
            assertDuplicatesBounded(report, bound, sync, async);
            assertEpochsContiguous(history);
            assertEquals(SwitchState.DEGRADED, history.get(0).state(), describe(history));
            assertEquals(SwitchState.NORMAL, history.get(history.size() - 1).state(), describe(history));
        }
    }

    /**
     * Row 3: the broker flaps (connections refused and cut, then healthy, every ~2 s). The switch must not flap
     * faster than minDwellTime: consecutive transitions are at least minDwellTime apart, so there are at most
     * flapping time / minDwellTime + 2 of them. Nothing is lost, no send fails.
     */
    @Test
    void row3_brokerFlapping_switchRespectsDwellTimeAndNothingIsLost() throws Exception {
        startCluster("3-flapping", 2, 2, Ordering.CONCURRENT);
        FaultProxy proxy = servers.brokerProxy();
        // 3 cycles by default (each cuts every connection and heals it): the dwell bound is already binding at that
        // length; -Dsmartmq.chaos.durationSeconds / -Dsmartmq.soak=true flap longer
        Duration flapping = ChaosSettings.faultPhase(Duration.ofSeconds(12));
        Duration half = Duration.ofSeconds(2);

        try (LoadGenerator load = load("flap").start()) {
            awaitAcked(load, 200);
            checker.mark("flapping-start");
            long faultStart = System.nanoTime();
            Instant flapStart = Instant.now();
            long cycles = Math.max(1, flapping.toMillis() / (2 * half.toMillis()));
            for (long i = 0; i < cycles; i++) {
                proxy.refuse(true);
                proxy.cutConnections();
                Thread.sleep(half.toMillis()); // the flapping period is the scenario
                proxy.heal();
                Thread.sleep(half.toMillis());
            }
            Instant flapEnd = Instant.now();
            long faultEnd = System.nanoTime();
            checker.mark("flapping-end");
            assertTrue(load.isRunning(), "the load ran through the flapping: " + load);

            awaitSwitch("switch settles in NORMAL after the flapping", SwitchState.NORMAL, 0);
            keepLoad(load, ChaosSettings.phase(Duration.ofSeconds(1)));
            load.stop();

            CheckReport report = awaitDrainedAndReport(load);
            List<SwitchStatus> history = cluster.history();
            Duration dwell = ChaosSettings.MIN_DWELL_TIME;
            long duringFlapping = history.stream().filter(s -> !s.changedAt().isAfter(flapEnd)).count();
            long allowed = Duration.between(flapStart, flapEnd).toMillis() / dwell.toMillis() + 2;
            Duration shortestGap = shortestGap(history);
            DuplicateBound bound = duplicateBound(faultStart, faultEnd, load);
            printSummary("3-flapping", report, history, -1, -1, "flap_cycles=" + cycles + " flapping_ms="
                    + Duration.between(flapStart, flapEnd).toMillis() + " transitions_while_flapping=" + duringFlapping
                    + " allowed=" + allowed + " shortest_gap_ms=" + (shortestGap == null ? -1 : shortestGap.toMillis())
                    + " " + bound + " duplicates=[" + deliveries.duplicateSummary() + "]");

            assertNothingLost(report, load);
            assertEquals(0, report.failed(), "the callers saw no exception: " + report.errorSamples());
            assertTrue(history.size() >= 1, "the flapping broker degraded the switch at least once");
            assertTrue(duringFlapping <= allowed, duringFlapping + " transitions while flapping, more than "
                    + allowed + ": " + describe(history));
            // changedAt has millisecond precision in the document: allow the truncation.
            assertTrue(shortestGap == null || shortestGap.compareTo(dwell.minusMillis(1)) >= 0,
                    "transitions closer than minDwellTime " + dwell + ": shortest gap " + shortestGap + " in "
                            + describe(history));
            assertEpochsContiguous(history);
            assertEquals(SwitchState.NORMAL, history.get(history.size() - 1).state(), describe(history));
            // Each cycle cuts the consumers' connections: one more replay from the committed offset per cycle.
            assertDuplicatesBounded(report, bound, MAX_DELIVERIES_PER_MESSAGE - 2 + cycles, load);
        }
    }

    /**
     * Row 8: an ordered topic through a whole degrade/recover cycle. Per key: fallback messages are consumed in
     * send order, MQ messages in send order, and every fallback message before any newer MQ message of its key
     * (the ordered consumer drains Redis before it resumes the MQ).
     */
    @Test
    void row8_orderedTopic_fallbackDrainedBeforeNewerMqMessagesOfEachKey() throws Exception {
        startCluster("8-ordered", 2, 2, Ordering.ORDERED);

        try (LoadGenerator load = load("ordered").threads(4).keysPerThread(2).start()) {
            awaitAcked(load, 200);
            checker.mark("broker-killed");
            long faultStart = System.nanoTime();
            servers.rocketMQ().stopBroker();
            long faultEnd = System.nanoTime();
            awaitSwitch("switch DEGRADED after the broker was killed", SwitchState.DEGRADED, 1);
            keepLoad(load, ChaosSettings.faultPhase(Duration.ofSeconds(3)));
            checker.mark("broker-restarted");
            servers.rocketMQ().startBroker();
            awaitSwitch("switch back to NORMAL", SwitchState.NORMAL, 3);
            long mqAtNormal = load.ackedMq();
            keepLoad(load, ChaosSettings.phase(Duration.ofSeconds(2)));
            assertTrue(load.ackedMq() > mqAtNormal, "newer messages went to the MQ: " + load);
            load.stop();

            CheckReport report = awaitDrainedAndReport(load);
            List<SwitchStatus> history = cluster.history();
            Map<String, LoadGenerator.Sent> sent = load.sent();
            OrderFindings billingOrder = checkOrder(deliveries.firstDeliveries(billing), sent);
            OrderFindings auditOrder = checkOrder(deliveries.firstDeliveries(audit), sent);
            DuplicateBound bound = duplicateBound(faultStart, faultEnd, load);
            printSummary("8-ordered", report, history,
                    millisToSwitch(report, "broker-killed", SwitchState.DEGRADED, 1),
                    millisToSwitch(report, "broker-restarted", SwitchState.NORMAL, lastNormalEpoch(history)),
                    "billing{" + billingOrder + "} audit{" + auditOrder + "} " + bound);

            assertNothingLost(report, load);
            assertEquals(0, report.failed(), "the callers saw no exception: " + report.errorSamples());
            for (OrderFindings f : List.of(billingOrder, auditOrder)) {
                assertTrue(f.fallbackFollowedByMq > 0, "the cycle produced keys with fallback then MQ messages: " + f);
                assertEquals(List.of(), f.fallbackOutOfOrder, "fallback messages of a key out of send order");
                assertEquals(List.of(), f.mqOutOfOrder, "MQ messages of a key out of send order");
                assertEquals(List.of(), f.newerMqBeforeFallback,
                        "a newer MQ message of a key was consumed before a fallback message of that key");
            }
            assertDuplicatesBounded(report, bound, load);
            assertEquals(SwitchState.NORMAL, history.get(history.size() - 1).state(), describe(history));
        }
    }

    /** Per-key order findings of one group, over first deliveries of acknowledged messages. */
    static final class OrderFindings {
        final List<String> fallbackOutOfOrder = new SampleList();
        final List<String> mqOutOfOrder = new SampleList();
        final List<String> newerMqBeforeFallback = new SampleList();
        /**
         * MQ messages first delivered after a newer fallback message of their key: allowed (order holds within each
         * path; an MQ message stranded on the dead broker arrives when it returns). The checker's order count
         * includes these.
         */
        long olderMqAfterFallback;
        /** Fallback messages that have a newer MQ message of their key: the cases the cross-path rule checks. */
        long fallbackFollowedByMq;

        @Override
        public String toString() {
            return "fallback_out_of_order=" + fallbackOutOfOrder.size() + " mq_out_of_order=" + mqOutOfOrder.size()
                    + " newer_mq_before_fallback=" + newerMqBeforeFallback.size() + " fallback_with_newer_mq="
                    + fallbackFollowedByMq + " older_mq_after_fallback=" + olderMqAfterFallback;
        }
    }

    /**
     * Judges first deliveries by the route each message was <em>stored</em> on (its receipt) and its per-key send
     * sequence.
     */
    static OrderFindings checkOrder(List<DeliveryLog.Delivery> firsts, Map<String, LoadGenerator.Sent> sent) {
        OrderFindings f = new OrderFindings();
        Map<String, List<LoadGenerator.Sent>> byKey = new HashMap<>();
        Map<String, Long> deliveredAt = new HashMap<>();
        for (DeliveryLog.Delivery d : firsts) {
            LoadGenerator.Sent s = sent.get(d.id());
            if (s == null) {
                continue; // not acknowledged (never happens in these rows: no send fails)
            }
            deliveredAt.put(d.id(), d.order());
            byKey.computeIfAbsent(s.key(), k -> new ArrayList<>()).add(s);
        }
        for (List<LoadGenerator.Sent> messages : byKey.values()) {
            // In delivery order already; check each path's send order.
            long lastFallback = -1;
            long lastMq = -1;
            for (LoadGenerator.Sent s : messages) {
                if (s.route() == Route.FALLBACK) {
                    if (s.seq() < lastFallback) {
                        f.fallbackOutOfOrder.add(s.key() + "#" + s.seq());
                    }
                    lastFallback = Math.max(lastFallback, s.seq());
                } else {
                    if (s.seq() < lastMq) {
                        f.mqOutOfOrder.add(s.key() + "#" + s.seq());
                    }
                    lastMq = Math.max(lastMq, s.seq());
                }
            }
            for (LoadGenerator.Sent fb : messages) {
                if (fb.route() != Route.FALLBACK) {
                    continue;
                }
                boolean newerMqExists = false;
                for (LoadGenerator.Sent mq : messages) {
                    if (mq.route() == Route.MQ && mq.seq() > fb.seq()) {
                        newerMqExists = true;
                        if (deliveredAt.get(mq.id()) < deliveredAt.get(fb.id())) {
                            f.newerMqBeforeFallback.add(fb.key() + ": fallback #" + fb.seq() + " after MQ #" + mq.seq());
                        }
                    }
                }
                if (newerMqExists) {
                    f.fallbackFollowedByMq++;
                }
            }
            for (LoadGenerator.Sent mq : messages) {
                if (mq.route() != Route.MQ) {
                    continue;
                }
                for (LoadGenerator.Sent fb : messages) {
                    if (fb.route() == Route.FALLBACK && fb.seq() > mq.seq()
                            && deliveredAt.get(fb.id()) < deliveredAt.get(mq.id())) {
                        f.olderMqAfterFallback++;
                        break;
                    }
                }
            }
        }
        return f;
    }

    /** Keeps the first 20 findings (enough to debug; a failure message stays readable). */
    static final class SampleList extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        @Override
        public boolean add(String s) {
            return size() < 20 && super.add(s);
        }
    }

    /** Shortest time between two consecutive applied transitions, or null with fewer than two. */
    static Duration shortestGap(List<SwitchStatus> history) {
        Duration shortest = null;
        for (int i = 1; i < history.size(); i++) {
            Duration gap = Duration.between(history.get(i - 1).changedAt(), history.get(i).changedAt());
            if (shortest == null || gap.compareTo(shortest) < 0) {
                shortest = gap;
            }
        }
        return shortest;
    }
}
