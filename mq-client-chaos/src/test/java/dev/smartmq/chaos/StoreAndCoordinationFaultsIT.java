package dev.smartmq.chaos;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.MessageHandler;
import dev.smartmq.api.Ordering;
import dev.smartmq.api.Subscription;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.testkit.checker.CheckReport;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Rows 4, 5, 6 and 7: the fallback store and the coordination service fail while the SDK depends on them —
 * Redis killed while DEGRADED, ZooKeeper down when the broker dies, ZooKeeper sessions expiring while DEGRADED,
 * and a consumer instance crashing with claimed fallback messages.
 */
class StoreAndCoordinationFaultsIT extends ChaosTestBase {

    /**
     * Row 4: Redis is SIGKILLed while the switch is DEGRADED (the broker is cut off, so Redis is the only store).
     * Every send that returned a receipt is consumed after Redis restarts; every send that could not be stored
     * threw {@code DeliveryException} (counted as failed, not lost).
     */
    @Test
    void row4_redisKilledWhileDegraded_acknowledgedSendsSurviveFailedOnesThrow() throws Exception {
        startCluster("4-redis-kill", 2, 2, Ordering.CONCURRENT);

        try (LoadGenerator load = load("redis").start()) {
            awaitAcked(load, 200);
            long faultStart = degradeByCuttingOffBroker();
            keepLoad(load, ChaosSettings.phase(Duration.ofSeconds(1)));
            long failedBefore = load.failedDelivery();
            assertEquals(0, failedBefore, "no send failed while Redis was up: " + load);

            checker.mark("redis-killed");
            servers.redis().kill();
            await("sends fail with DeliveryException while Redis is dead").atMost(ChaosSettings.STATE_TIMEOUT)
                    .pollInterval(Duration.ofMillis(50)).until(() -> load.failedDelivery() >= 20);
            keepLoad(load, ChaosSettings.faultPhase(Duration.ofSeconds(2)));

            checker.mark("redis-restarted");
            servers.redis().restart();
            awaitAcked(load, 100);
            assertEquals(SwitchState.DEGRADED, consumers.get(0).status().state(), "still DEGRADED");

            checker.mark("broker-reachable");
            servers.brokerProxy().heal();
            long faultEnd = System.nanoTime();
            awaitSwitch("switch back to NORMAL", SwitchState.NORMAL, 3);
            keepLoad(load, ChaosSettings.phase(Duration.ofSeconds(1)));
            load.stop();

            CheckReport report = awaitDrainedAndReport(load);
            List<SwitchStatus> history = cluster.history();
            DuplicateBound bound = duplicateBound(faultStart, faultEnd, load);
            // A send whose fallback write was in flight when Redis died gets DeliveryException with
            // mayHaveBeenStored() true: if the write had reached the AOF, the message is delivered, and the checker
            // counts that as indeterminate. A phantom is a send declared stored nowhere (mayHaveBeenStored() false)
            // that was delivered anyway: a lie to the caller, so none. (Before the flag: up to 4, one per sender.)
            long phantomBound = 0;
            printSummary("4-redis-kill", report, history,
                    millisToSwitch(report, "broker-cut-off", SwitchState.DEGRADED, 1),
                    millisToSwitch(report, "broker-reachable", SwitchState.NORMAL, lastNormalEpoch(history)),
                    "failed_delivery=" + load.failedDelivery() + " phantoms=" + report.totalUnexpected()
                            + " phantom_bound=" + phantomBound + " " + bound
                            + " duplicates=[" + deliveries.duplicateSummary() + "]");

            assertEquals(0, report.totalLost(), "acknowledged messages lost, e.g. " + report.lostIds());
            assertEquals(List.of(), load.unexpectedErrors(), "only DeliveryException may be thrown");
            assertEquals(0, report.unknown(), "every send had a clear outcome");
            assertTrue(report.failed() >= 20, "sends failed while Redis was dead: " + report.failed());
            assertEquals(report.failed(), load.failedDelivery(), "every failed send threw DeliveryException");
            assertEquals(0, report.failedInvalidInput(), "no send was rejected as input");
            assertTrue(report.totalUnexpected() <= phantomBound,
                    "phantoms (declared not stored, delivered anyway): " + report.totalUnexpected());
            assertDuplicatesBounded(report, bound, load);
            assertEpochsContiguous(history);
            assertEquals(SwitchState.NORMAL, history.get(history.size() - 1).state(), describe(history));
        }
    }

    /**
     * Row 5: ZooKeeper stops during normal load, then the broker dies. Every producer degrades locally (it cannot
     * publish), nothing is lost (consumers sweep Redis in NORMAL), and when ZooKeeper returns the transition is
     * published once and the switch converges: DEGRADED, then RECOVERING and NORMAL when the broker is back.
     */
    @Test
    void row5_zooKeeperDownThenBrokerKilled_producersDegradeLocallyAndSwitchConverges() throws Exception {
        startCluster("5-zk-outage", 2, 2, Ordering.CONCURRENT);

        try (LoadGenerator load = load("zk").start()) {
            awaitAcked(load, 200);
            checker.mark("zookeeper-stopped");
            servers.zooKeeper().stop();
            await("every node sees ZooKeeper unreachable").atMost(ChaosSettings.STATE_TIMEOUT)
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> allNodes().stream().noneMatch(n -> n.zkSwitch().isReachable()));

            checker.mark("broker-killed");
            long faultStart = System.nanoTime();
            servers.rocketMQ().stopBroker();
            long faultEnd = System.nanoTime();
            await("every producer degrades locally").atMost(ChaosSettings.STATE_TIMEOUT)
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> producers.stream().allMatch(p -> p.effectiveState() == SwitchState.DEGRADED));
            checker.mark("degraded-locally");
            for (ChaosNode n : allNodes()) {
                assertEquals(0, n.status().epoch(), n + " saw no switch document while ZooKeeper was down");
            }
            for (ChaosNode p : producers) {
                assertTrue(p.counter("switch.local-degradations") >= 1, p + " degraded locally");
            }
            long fallbackAtLocal = load.ackedFallback();
            keepLoad(load, ChaosSettings.faultPhase(Duration.ofSeconds(3)));
            assertTrue(load.ackedFallback() > fallbackAtLocal, "sends went to Redis while degraded locally");

            checker.mark("zookeeper-restarted");
            servers.zooKeeper().restart();
            cluster.awaitSwitch("the local degradation is published when ZooKeeper returns",
                    s -> s.state() == SwitchState.DEGRADED && s.epoch() >= 1, allNodes());
            checker.mark("broker-restarted");
            servers.rocketMQ().startBroker();
            cluster.awaitSwitch("switch back to NORMAL", s -> s.state() == SwitchState.NORMAL && s.epoch() >= 3,
                    allNodes());
            keepLoad(load, ChaosSettings.phase(Duration.ofSeconds(1)));
            load.stop();

            CheckReport report = awaitDrainedAndReport(load);
            List<SwitchStatus> history = cluster.history();
            DuplicateBound bound = duplicateBound(faultStart, faultEnd, load);
            printSummary("5-zk-outage", report, history,
                    report.millisBetween("broker-killed", "degraded-locally").orElse(-1),
                    millisToSwitch(report, "broker-restarted", SwitchState.NORMAL, lastNormalEpoch(history)),
                    "published_after_zk_ms=" + millisToSwitch(report, "zookeeper-restarted", SwitchState.DEGRADED, 1)
                            + " " + bound + " duplicates=[" + deliveries.duplicateSummary() + "]");

            assertNothingLost(report, load);
            assertEquals(0, report.failed(), "the callers saw no exception: " + report.errorSamples());
            assertEpochsContiguous(history);
            assertEquals(SwitchState.DEGRADED, history.get(0).state(), describe(history));
            assertEquals(SwitchState.RECOVERING, history.get(1).state(),
                    "both producers' local degradations became one DEGRADED transition: " + describe(history));
            assertEquals(SwitchState.NORMAL, history.get(history.size() - 1).state(), describe(history));
            long last = history.get(history.size() - 1).epoch();
            for (ChaosNode n : allNodes()) {
                assertEquals(last, n.status().epoch(), n + " converged on the last document");
                assertEquals(SwitchState.NORMAL, n.effectiveState(), n + " routes by NORMAL again");
            }
            assertDuplicatesBounded(report, bound, load);
        }
    }

    /**
     * Row 6: every instance's ZooKeeper session expires while the switch is DEGRADED (ephemeral registrations and
     * election nodes vanish, new sessions are made). No spurious transition, no node's routing state flips, zero
     * lost.
     */
    @Test
    void row6_sessionsExpireWhileDegraded_noFlipFlopAndNothingIsLost() throws Exception {
        startCluster("6-session-expiry", 2, 2, Ordering.CONCURRENT);

        try (LoadGenerator load = load("expiry").start()) {
            awaitAcked(load, 200);
            long faultStart = degradeByCuttingOffBroker();
            await("every node routes by DEGRADED").atMost(ChaosSettings.STATE_TIMEOUT)
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> allNodes().stream().allMatch(n -> n.effectiveState() == SwitchState.DEGRADED));
            List<SwitchStatus> before = cluster.history();
            long degradedEpoch = before.get(before.size() - 1).epoch();

            checker.mark("sessions-expired");
            long since = System.nanoTime();
            for (ChaosNode n : allNodes()) {
                servers.zooKeeper().expireSession(n.curator());
            }
            await("every node reaches ZooKeeper again with a new session").atMost(ChaosSettings.STATE_TIMEOUT)
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> allNodes().stream().allMatch(n -> n.zkSwitch().isReachable()));
            cluster.awaitLeader(allNodes());
            cluster.awaitGroupsVisible(topic, Set.of(billing, audit));
            keepLoad(load, ChaosSettings.faultPhase(Duration.ofSeconds(3)));

            List<SwitchStatus> after = cluster.history();
            List<StateWatcher.Change> flips = watcher.changesSince(since);
            assertEquals(describe(before), describe(after), "no transition while the sessions expired");
            for (ChaosNode n : allNodes()) {
                assertEquals(degradedEpoch, n.status().epoch(), n + " still sees the DEGRADED document");
                assertEquals(SwitchState.DEGRADED, n.effectiveState(), n + " still routes by DEGRADED");
            }
            assertEquals(List.of(), flips, "no node's routing state flipped while the sessions expired");

            checker.mark("broker-reachable");
            servers.brokerProxy().heal();
            long faultEnd = System.nanoTime();
            awaitSwitch("switch back to NORMAL", SwitchState.NORMAL, degradedEpoch + 2);
            keepLoad(load, ChaosSettings.phase(Duration.ofSeconds(1)));
            load.stop();

            CheckReport report = awaitDrainedAndReport(load);
            List<SwitchStatus> history = cluster.history();
            DuplicateBound bound = duplicateBound(faultStart, faultEnd, load);
            printSummary("6-session-expiry", report, history,
                    millisToSwitch(report, "broker-cut-off", SwitchState.DEGRADED, 1),
                    millisToSwitch(report, "broker-reachable", SwitchState.NORMAL, lastNormalEpoch(history)),
                    "sessions_expired=" + allNodes().size() + " flips_during_expiry=" + flips.size()
                            + " orphans_recovered=" + consumers.stream()
                            .mapToLong(c -> c.counter("fallback.orphans-recovered")).sum()
                            + " " + bound + " duplicates=[" + deliveries.duplicateSummary() + "]");

            assertNothingLost(report, load);
            assertEquals(0, report.failed(), "the callers saw no exception: " + report.errorSamples());
            assertEpochsContiguous(history);
            assertEquals(SwitchState.NORMAL, history.get(history.size() - 1).state(), describe(history));
            assertDuplicatesBounded(report, bound, load);
        }
    }

    /**
     * Row 7: while DEGRADED, a consumer instance "crashes" in the middle of its batches: its handlers hang, then
     * it is cut off from ZooKeeper for good and its session expires (as when the process dies), without
     * acknowledging anything. The surviving
     * instance's orphan reaper returns the crashed instance's claimed messages to their shards and handles them.
     */
    @Test
    void row7_consumerCrashesMidBatch_orphanedClaimsAreRedeliveredToAnotherInstance() throws Exception {
        startCluster("7-consumer-crash", 1, 1, Ordering.CONCURRENT);
        ChaosNode survivor = consumers.get(0);
        ChaosNode victim = cluster.startIsolatableNode("consumer-victim");
        AtomicBoolean frozen = new AtomicBoolean();
        CountDownLatch never = new CountDownLatch(1);
        AtomicInteger hung = new AtomicInteger();
        Set<String> hungMessages = ConcurrentHashMap.newKeySet();
        for (String group : List.of(billing, audit)) {
            MessageHandler handler = m -> {
                if (frozen.get()) {
                    hungMessages.add(group + "/" + m.id());
                    hung.incrementAndGet();
                    never.await(); // the process is gone: this handler never returns normally
                    throw new IllegalStateException("crashed");
                }
                deliveries.record(group, victim.name(), m);
                return ConsumeResult.SUCCESS;
            };
            victim.consumer().subscribe(Subscription.of(topic, group), handler);
        }
        awaitReady();

        try (LoadGenerator load = load("crash").start()) {
            awaitAcked(load, 200);
            long faultStart = degradeByCuttingOffBroker();
            keepLoad(load, ChaosSettings.phase(Duration.ofSeconds(1)));
            assertTrue(deliveries.deliveriesBy(victim.name()) > 0, "the victim was consuming from Redis");

            frozen.set(true);
            await("every worker of the victim hangs in the middle of a batch").atMost(ChaosSettings.STATE_TIMEOUT)
                    .pollInterval(Duration.ofMillis(20)).until(() -> hung.get() >= ChaosSettings.CONSUMER_THREADS);
            checker.mark("victim-crashed");
            cluster.crashFromZooKeeper(victim);

            await("the survivor recovers the victim's claims and handles every message the victim hung on")
                    .atMost(ChaosSettings.STATE_TIMEOUT).pollInterval(Duration.ofMillis(50))
                    .until(() -> hungMessages.stream().allMatch(gm -> {
                        int slash = gm.indexOf('/');
                        return deliveries.delivered(gm.substring(0, slash), gm.substring(slash + 1));
                    }));
            checker.mark("orphans-redelivered");
            long recovered = survivor.counter("fallback.orphans-recovered");
            keepLoad(load, ChaosSettings.faultPhase(Duration.ofSeconds(1)));
            // Now the process is really gone (its blocked handlers are interrupted), before the broker returns.
            victim.close();

            checker.mark("broker-reachable");
            servers.brokerProxy().heal();
            long faultEnd = System.nanoTime();
            cluster.awaitSwitch("switch back to NORMAL",
                    s -> s.state() == SwitchState.NORMAL && s.epoch() >= 3, List.of(survivor));
            keepLoad(load, ChaosSettings.phase(Duration.ofSeconds(1)));
            load.stop();

            CheckReport report = awaitDrainedAndReport(load);
            List<SwitchStatus> history = cluster.history();
            long failovers = producers.stream().mapToLong(p -> p.meter("producer.failovers")).sum();
            long inFlight = 2L * ChaosSettings.CONSUMER_THREADS * ChaosSettings.CLAIM_BATCH_SIZE;
            DuplicateBound full = duplicateBound(faultStart, faultEnd, load);
            DuplicateBound bound = new DuplicateBound(failovers, inFlight, full.mqRedeliverable(),
                    full.windowFromNanos(), full.windowToNanos());
            printSummary("7-consumer-crash", report, history,
                    millisToSwitch(report, "broker-cut-off", SwitchState.DEGRADED, 1),
                    millisToSwitch(report, "broker-reachable", SwitchState.NORMAL, lastNormalEpoch(history)),
                    "hung_messages=" + hungMessages.size() + " orphans_recovered=" + recovered
                            + " crash_to_redelivered_ms=" + report.millisBetween("victim-crashed",
                            "orphans-redelivered").orElse(-1) + " " + bound
                            + " duplicates=[" + deliveries.duplicateSummary() + "]");

            assertNothingLost(report, load);
            assertEquals(0, report.failed(), "the callers saw no exception: " + report.errorSamples());
            assertTrue(recovered >= hungMessages.size(), "the survivor's reaper returned at least the "
                    + hungMessages.size() + " messages the victim hung on, but recovered " + recovered);
            assertDuplicatesBounded(report, bound, load);
            assertEquals(SwitchState.NORMAL, history.get(history.size() - 1).state(), describe(history));
        }
    }

    /**
     * Rows 4, 6 and 7 only need the switch DEGRADED with a dead MQ: the broker is cut off at its proxy (new
     * connections refused, current ones reset) rather than stopped, which saves a broker shutdown and start per row.
     * Rows 1, 5 and 8 stop the broker for real.
     */
    /**
     * The common first fault of rows 4, 6 and 7: the broker is cut off at its proxy and the switch goes
     * DEGRADED, so the fault each row studies happens while Redis is the only store.
     *
     * @return when the cut began ({@link System#nanoTime()}), for the row's duplicate bound
     */
    private long degradeByCuttingOffBroker() {
        checker.mark("broker-cut-off");
        long faultStart = System.nanoTime();
        servers.brokerProxy().refuse(true);
        servers.brokerProxy().cutConnections();
        awaitSwitch("switch DEGRADED after the broker was cut off", SwitchState.DEGRADED, 1);
        return faultStart;
    }
}
