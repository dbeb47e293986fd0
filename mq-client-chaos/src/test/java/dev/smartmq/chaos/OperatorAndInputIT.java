package dev.smartmq.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.api.Ordering;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.redis.RedisDeadLetters;
import dev.smartmq.redis.DeadLetter;
import dev.smartmq.spi.SwitchAccessDeniedException;
import dev.smartmq.spi.SwitchTransition;
import dev.smartmq.spi.TransitionResult;
import dev.smartmq.testkit.checker.CheckReport;
import dev.smartmq.testkit.checker.SendRecorder;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Rows 9 and 10: people. An operator runs a manual drill (and someone without the rights tries to), and callers,
 * a careless script and a careless admin feed the system bad input while the load runs.
 */
class OperatorAndInputIT extends ChaosTestBase {

    /**
     * Row 9: an operator (switch writer) forces DEGRADED in MANUAL mode with a short TTL while the MQ is healthy.
     * Traffic goes through Redis, and returns to the MQ after the TTL (the leader hands the expired drill back to
     * automation: RECOVERING, then NORMAL once drained; a DEGRADED/AUTO step first if the leader's probes were not yet
     * good). Zero lost. A client that is not a writer cannot flip the
     * switch: {@link SwitchAccessDeniedException}, nothing changed.
     */
    @Test
    void row9_manualDrill_trafficThroughRedisUntilTtlAndIntruderDenied() throws Exception {
        startCluster("9-drill", 2, 2, Ordering.CONCURRENT);

        try (LoadGenerator load = load("drill").start()) {
            awaitAcked(load, 200);

            ZkDegradationSwitch intruder = cluster.intruderSwitch();
            SwitchStatus initial = intruder.current();
            SwitchAccessDeniedException denied = assertThrows(SwitchAccessDeniedException.class,
                    () -> intruder.transition(new SwitchTransition(initial.epoch(), SwitchState.DEGRADED,
                            SwitchMode.MANUAL, "not my switch", "intruder", Instant.now().plusSeconds(60))));
            intruder.close();
            assertEquals(List.of(), cluster.history(), "the intruder changed nothing: " + denied.getMessage());
            for (ChaosNode n : allNodes()) {
                assertEquals(SwitchStatus.initial().epoch(), n.status().epoch(), n + " still at the initial state");
            }

            ZkDegradationSwitch operator = cluster.operatorSwitch();
            Duration ttl = ChaosSettings.faultPhase(Duration.ofSeconds(5));
            Instant expiresAt = Instant.now().plus(ttl);
            checker.mark("drill-start");
            TransitionResult r = operator.transition(new SwitchTransition(operator.current().epoch(),
                    SwitchState.DEGRADED, SwitchMode.MANUAL, "chaos drill row 9", "operator alice", expiresAt));
            assertTrue(r.applied(), "the operator's transition applied: " + r);
            cluster.awaitSwitch("every instance sees the drill", s -> s.state() == SwitchState.DEGRADED,
                    allNodes());
            // Sends that had started on the MQ before the producers saw the drill may still finish there.
            Thread.sleep(300);
            long mqAtDrill = load.ackedMq();
            long fallbackAtDrill = load.ackedFallback();
            long failoversAtDrill = producers.stream().mapToLong(p -> p.meter("producer.failovers")).sum();
            long untilExpiry = Duration.between(Instant.now(), expiresAt).minusMillis(300).toMillis();
            assertTrue(untilExpiry > 1000, "the drill's TTL left time to observe it; raise the TTL");
            Thread.sleep(untilExpiry); // the drill running under load is the scenario
            long mqDuringDrill = load.ackedMq() - mqAtDrill;
            long fallbackDuringDrill = load.ackedFallback() - fallbackAtDrill;
            long failoversDuringDrill = producers.stream().mapToLong(p -> p.meter("producer.failovers")).sum()
                    - failoversAtDrill;
            assertEquals(0, mqDuringDrill, "no send went to the (healthy) MQ during the drill");
            assertTrue(fallbackDuringDrill > 0, "sends went to Redis during the drill");

            awaitSwitch("the drill ends after its TTL: back to NORMAL", SwitchState.NORMAL, 3);
            checker.mark("drill-over");
            long mqAfter = load.ackedMq();
            keepLoad(load, ChaosSettings.phase(Duration.ofSeconds(1)));
            assertTrue(load.ackedMq() > mqAfter, "traffic returned to the MQ: " + load);
            load.stop();

            CheckReport report = awaitDrainedAndReport(load);
            List<SwitchStatus> history = cluster.history();
            long failovers = producers.stream().mapToLong(p -> p.meter("producer.failovers")).sum();
            printSummary("9-manual-drill", report, history,
                    millisToSwitch(report, "drill-start", SwitchState.DEGRADED, 1),
                    report.millisBetween("drill-start", "drill-over").orElse(-1),
                    "ttl_ms=" + ttl.toMillis() + " fallback_during_drill=" + fallbackDuringDrill
                            + " mq_during_drill=" + mqDuringDrill + " failovers_during_drill=" + failoversDuringDrill
                            + " failovers=" + failovers
                            + " intruder=SwitchAccessDeniedException duplicates=[" + deliveries.duplicateSummary() + "]");

            assertNothingLost(report, load);
            assertEquals(0, report.failed(), "the callers saw no exception: " + report.errorSamples());
            assertEquals(0, failoversDuringDrill,
                    "no MQ send was even tried during the drill: the producers went straight to Redis");
            // No claim is ever redelivered on a healthy system: the only duplicates allowed are both-path copies of
            // an MQ send that timed out (none, unless the busy box made one) and RocketMQ rebalances.
            assertDuplicatesBounded(report, new DuplicateBound(failovers, 0), load);
            // DrillExpiry's rule: the expired drill becomes RECOVERING if the leader's last probes succeeded, else
            // DEGRADED in AUTO until they do (a probe that timed out on a loaded box, or a leader whose prober has
            // not yet counted enough); so one DEGRADED/AUTO step may sit between the drill and RECOVERING.
            int handBack = history.size() == 4 ? 2 : 1;
            assertEquals(handBack + 2, history.size(), describe(history));
            assertEquals(SwitchState.DEGRADED, history.get(0).state());
            assertEquals(SwitchMode.MANUAL, history.get(0).mode());
            assertEquals("operator alice", history.get(0).changedBy());
            assertEquals(SwitchMode.AUTO, history.get(1).mode(), "automation took the expired drill back");
            assertFalse(history.get(1).changedAt().isBefore(history.get(0).expiresAt().minusMillis(1)),
                    "the drill was not ended before its TTL: " + history.get(1).changedAt() + " vs "
                            + history.get(0).expiresAt());
            if (handBack == 2) {
                assertEquals(SwitchState.DEGRADED, history.get(1).state(), describe(history));
            }
            assertEquals(SwitchState.RECOVERING, history.get(handBack).state(), describe(history));
            assertEquals(SwitchMode.AUTO, history.get(handBack).mode(), describe(history));
            assertEquals(SwitchState.NORMAL, history.get(handBack + 1).state(), describe(history));
        }
    }

    /**
     * Row 10: bad input under load — a null message, a null topic, an oversized body (sync and async), a corrupt
     * value pushed by hand into Redis shards, a malformed switch document written by hand into the znode. Each
     * gets a clear outcome (InvalidMessageException before any I/O; corrupt values dead-lettered without blocking
     * their shard; the malformed document ignored, the last good state kept until an operator replaces it), and
     * nothing else is affected: the load loses nothing and never fails.
     */
    @Test
    void row10_badInputUnderLoad_clearErrorsAndNothingElseAffected() throws Exception {
        startCluster("10-bad-input", 2, 2, Ordering.CONCURRENT);
        int maxBody = ChaosSettings.config(cluster.namespace()).maxBodySize();

        try (LoadGenerator load = load("input").start()) {
            awaitAcked(load, 200);

            // 1. Invalid sends, interleaved with the load: through the load's producers, and through a careless
            //    client instance that sends nothing else (its failure detector must not move at all).
            ChaosNode careless = cluster.startNode("careless-client");
            int invalid = 0;
            List<ChaosNode> senders = new java.util.ArrayList<>(producers);
            senders.add(careless);
            for (ChaosNode p : senders) {
                SmartProducer producer = p.producer();
                for (int i = 0; i < 5; i++) {
                    recordInvalid(() -> producer.send(null));
                    recordInvalid(() -> producer.send(Message.builder(topic).key("big").body(new byte[maxBody + 1])
                            .build()));
                    recordInvalid(() -> {
                        try {
                            producer.sendAsync(Message.builder(topic).body(new byte[maxBody + 1]).build()).join();
                        } catch (CompletionException e) {
                            throw (RuntimeException) e.getCause();
                        }
                    });
                    invalid += 3;
                }
            }
            InvalidMessageException nullTopic = assertThrows(InvalidMessageException.class,
                    () -> Message.builder((String) null).body("x").build());
            assertTrue(nullTopic.getMessage().contains("topic"), nullTopic.getMessage());
            long rejected = senders.stream().mapToLong(p -> p.meter("producer.sends.rejected")).sum();
            assertEquals(invalid, rejected, "every invalid send was counted as rejected");
            assertEquals(0, careless.meter("producer.failovers"), "bad input never counted as an MQ failure");
            assertEquals(0, careless.meter("producer.sends.fallback") + careless.meter("producer.sends.mq"),
                    "bad input was written nowhere");
            assertEquals(0, careless.counter("switch.local-degradations"), "bad input never degrades anyone");

            // 2. A corrupt value pushed by hand into the shard of a key the load is using, for both groups.
            String key = "input-k0";
            int shard = producers.get(0).store().shardFor(Message.builder(topic).key(key).body("x").build());
            pushCorrupt(shard);

            // 3. A malformed switch document written by hand (a writer's credentials, a half-written JSON).
            CuratorFramework admin = cluster.operatorCurator();
            admin.setData().forPath(cluster.switchPath(),
                    "{\"v\":1,\"state\":\"DEGRADED\",\"epoch\":".getBytes(StandardCharsets.UTF_8));
            checker.mark("malformed-document");
            long mqBefore = load.ackedMq();
            Thread.sleep(1500); // the malformed document sits in the znode under load: that is the scenario
            for (ChaosNode n : allNodes()) {
                assertEquals(SwitchState.NORMAL, n.status().state(), n + " kept the last good state");
                assertEquals(0, n.status().epoch(), n + " kept the last good epoch");
                assertEquals(SwitchState.NORMAL, n.effectiveState(), n + " routes by the last good state");
                assertTrue(n.zkSwitch().isReachable(), n + " still reaches ZooKeeper");
            }
            assertTrue(load.ackedMq() > mqBefore, "sends kept going to the MQ: " + load);
            assertEquals(0, load.failedDelivery(), "no send failed: " + load);

            // 4. An operator replaces the malformed document (expected epoch = the last good one): a short drill,
            //    so that traffic flows through the shard holding the corrupt value.
            ZkDegradationSwitch operator = cluster.operatorSwitch();
            TransitionResult r = operator.transition(new SwitchTransition(operator.current().epoch(),
                    SwitchState.DEGRADED, SwitchMode.MANUAL, "replace a malformed document; drill", "operator alice",
                    Instant.now().plus(ChaosSettings.phase(Duration.ofSeconds(4)))));
            assertTrue(r.applied(), "the operator replaced the malformed document: " + r);
            cluster.awaitSwitch("every instance sees the operator's document", s -> s.state() == SwitchState.DEGRADED
                    && s.epoch() == 1, allNodes());
            pushCorrupt(shard);
            awaitSwitch("the drill ends: back to NORMAL", SwitchState.NORMAL, 3);
            keepLoad(load, ChaosSettings.phase(Duration.ofSeconds(1)));
            load.stop();

            CheckReport report = awaitDrainedAndReport(load);
            List<SwitchStatus> history = cluster.history();
            List<DeadLetter> billingDead = RedisDeadLetters.of(producers.get(0).store()).list(topic, billing, 10);
            List<DeadLetter> auditDead = RedisDeadLetters.of(producers.get(0).store()).list(topic, audit, 10);
            long failovers = producers.stream().mapToLong(p -> p.meter("producer.failovers")).sum();
            printSummary("10-bad-input", report, history, -1, -1, "invalid_sends=" + invalid + " rejected=" + rejected
                    + " dead_letters=" + (billingDead.size() + auditDead.size()) + " reason='"
                    + (billingDead.isEmpty() ? "" : billingDead.get(0).reason()) + "' failovers=" + failovers
                    + " duplicates=[" + deliveries.duplicateSummary() + "]");

            assertEquals(0, report.totalLost(), "acknowledged messages lost, e.g. " + report.lostIds());
            assertEquals(List.of(), load.unexpectedErrors(), "the load's sends all had clear outcomes");
            assertEquals(0, load.failedDelivery(), "no load send failed");
            assertEquals(invalid, report.failed(), "exactly the invalid sends failed");
            assertEquals(invalid, report.failedInvalidInput(), "and they failed as input");
            assertEquals(0, report.unknown());
            assertEquals(0, report.totalUnexpected(), "no phantom deliveries");
            assertDuplicatesBounded(report, new DuplicateBound(failovers,
                    (long) consumers.size() * ChaosSettings.CONSUMER_THREADS * ChaosSettings.CLAIM_BATCH_SIZE), load);
            for (List<DeadLetter> dead : List.of(billingDead, auditDead)) {
                assertEquals(2, dead.size(), "both corrupt values were dead-lettered: " + dead);
                for (DeadLetter d : dead) {
                    assertEquals(shard, d.shard());
                    assertTrue(d.reason().contains("undecodable"), "reason names the problem: " + d.reason());
                }
            }
            for (String group : List.of(billing, audit)) {
                assertEquals(0, producers.get(0).store().backlog(topic, group),
                        "nothing stuck behind the corrupt values in " + group);
            }
            assertEquals(3, history.size(), describe(history));
            assertEquals(SwitchState.DEGRADED, history.get(0).state());
            assertEquals(1, history.get(0).epoch(), "the operator's document got the epoch after the last good one");
            assertEquals(SwitchState.NORMAL, history.get(2).state());
        }
    }

    private void recordInvalid(Runnable send) {
        SendRecorder.Attempt a = checker.beginSend(null);
        InvalidMessageException e = assertThrows(InvalidMessageException.class, send::run);
        a.failed(e);
    }

    /** RPUSHes a value that is not a SmartMQ envelope onto the queue of {@code shard}, for both groups. */
    private void pushCorrupt(int shard) {
        try (Jedis jedis = servers.redis().newClient()) {
            for (String group : List.of(billing, audit)) {
                String queue = "smq:{" + cluster.namespace() + ":" + topic + ":" + shard + "}:" + group + ":q";
                jedis.rpush(queue.getBytes(StandardCharsets.UTF_8),
                        "not a SmartMQ envelope".getBytes(StandardCharsets.UTF_8));
            }
        }
    }
}
