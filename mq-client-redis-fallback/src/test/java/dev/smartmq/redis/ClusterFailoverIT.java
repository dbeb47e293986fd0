package dev.smartmq.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.redis.internal.KeyLayout;
import dev.smartmq.testkit.checker.CheckReport;
import dev.smartmq.testkit.redis.RedisCluster;
import dev.smartmq.testkit.redis.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Issue 17: the fallback store on a Redis Cluster with one replica per master (3 + 3 child processes), under
 * load from a DEGRADED engine with {@code replicaAcks(1, ...)}, counted with the DeliveryChecker. Master 0 is
 * SIGKILLed mid-load: the shards whose slots it owns stop taking sends while the other shards keep flowing;
 * its replica is promoted by the cluster; the killed master is restarted (it becomes the new master's replica);
 * no acknowledged message is lost. Prints a {@code CLUSTER-FAILOVER} line with the counts.
 */
class ClusterFailoverIT {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterFailoverIT.class);
    private static final String NS = "cluster-acks";
    private static final int SHARDS = 12;

    private RedisCluster cluster;
    private FailoverLoad load;
    private RedisFallbackStore observer;

    @AfterEach
    void tearDown() throws InterruptedException {
        if (load != null) {
            load.close();
        }
        if (observer != null) {
            observer.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void killingAMasterPausesOnlyItsShardsAndLosesNothingWithReplicaAcks() throws Exception {
        cluster = RedisCluster.start(3, 1);
        RedisFallbackStore store = RedisFallbackStore.builder().cluster(cluster.hostAndPorts()).namespace(NS)
                .shards(SHARDS).timeouts(Duration.ofMillis(500), Duration.ofSeconds(1))
                .replicaAcks(1, Duration.ofMillis(500)).build();
        load = new FailoverLoad(store, NS, 4, 1_000_000);
        // A second store instance that only reads the backlog (pipelined LLEN/HLEN, as the drain decision and
        // smartmq-admin do): it must find the promoted master too, although it never runs a single-key command.
        observer = RedisFallbackStore.builder().cluster(cluster.hostAndPorts()).namespace(NS).shards(SHARDS)
                .timeouts(Duration.ofMillis(500), Duration.ofSeconds(1)).build();
        observer.start();
        observer.backlog(FailoverLoad.TOPIC, FailoverLoad.GROUP);
        load.start();
        await("load before the kill").atMost(Duration.ofSeconds(60)).until(() -> load.acked.get() >= 3000);

        RedisServer victim = cluster.masters().get(0);
        RedisServer heir = cluster.replicas().get(0);
        int lastSlotOfVictim = 16384 / 3 - 1; // master 0 owns slots 0..5460 at formation
        KeyLayout layout = new KeyLayout(NS, SHARDS);
        List<Integer> pausedShards = new ArrayList<>();
        List<Integer> flowingShards = new ArrayList<>();
        for (int s = 0; s < SHARDS; s++) {
            int slot = JedisClusterCRC16.getSlot(layout.shard(FailoverLoad.TOPIC, FailoverLoad.GROUP, s).queue());
            (slot <= lastSlotOfVictim ? pausedShards : flowingShards).add(s);
        }
        assertTrue(!pausedShards.isEmpty() && !flowingShards.isEmpty(), "shards on both sides: " + pausedShards);

        load.checker.mark("master-killed");
        victim.kill();
        await("the in-flight sends of the victim settle").pollDelay(Duration.ofSeconds(1)).until(() -> true);
        long[] atOutage = snapshot();
        await("the replica of the killed master is promoted").atMost(Duration.ofSeconds(60))
                .until(() -> RedisCluster.replicationInfo(heir).contains("role:master"));
        load.checker.mark("replica-promoted");
        long[] atPromotion = snapshot();
        long pausedAcks = 0;
        long flowingAcks = 0;
        for (int s : pausedShards) {
            pausedAcks += atPromotion[s] - atOutage[s];
        }
        for (int s : flowingShards) {
            flowingAcks += atPromotion[s] - atOutage[s];
        }

        victim.restart(); // comes back as the replica of its heir
        await("the former master replicates its heir").atMost(Duration.ofSeconds(60))
                .until(() -> RedisCluster.replicationInfo(victim).contains("master_link_status:up"));
        cluster.awaitHealthy(Duration.ofSeconds(60));
        load.checker.mark("replica-back");
        long ackedAtBack = load.acked.get();
        await("sends acknowledged after the failover").atMost(Duration.ofSeconds(60))
                .until(() -> load.acked.get() >= ackedAtBack + 1500);
        long[] atBack = snapshot();
        await("every shard takes sends again").atMost(Duration.ofSeconds(30)).until(() -> {
            long[] now = snapshot();
            for (int s : pausedShards) {
                if (now[s] == atBack[s]) {
                    return false;
                }
            }
            return true;
        });
        try {
            await("a backlog-only store reads the promoted master").atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> observer.backlog(FailoverLoad.TOPIC, FailoverLoad.GROUP) >= 0);
        } catch (ConditionTimeoutException e) {
            Throwable last = null;
            try {
                observer.backlog(FailoverLoad.TOPIC, FailoverLoad.GROUP);
            } catch (RuntimeException r) {
                last = r;
            }
            throw new AssertionError("after the failover a store that only pipelines never reaches the promoted "
                    + "master: " + last, e);
        }
        load.stopSending();
        await("the consumer drains the cluster").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    store.recoverOrphans(FailoverLoad.TOPIC, FailoverLoad.GROUP, Set.of());
                    return store.backlog(FailoverLoad.TOPIC, FailoverLoad.GROUP) == 0 && load.checker.pending() == 0;
                });
        load.checker.awaitAllDelivered(Duration.ofSeconds(10));
        CheckReport report = load.checker.report();
        String line = String.format("CLUSTER-FAILOVER replicaAcks=1 sent=%d acked=%d failed=%d lost=%d duplicates=%d"
                        + " pausedShards=%s acksOnPausedShardsDuringOutage=%d acksOnOtherShardsDuringOutage=%d"
                        + " killToPromotedMs=%d killToReplicaBackMs=%d consumerErrors=%d notReplicated=%d",
                report.sent(), report.acked(), report.failed(), report.totalLost(), report.totalDuplicates(),
                pausedShards, pausedAcks, flowingAcks,
                report.millisBetween("master-killed", "replica-promoted").orElse(-1),
                report.millisBetween("master-killed", "replica-back").orElse(-1),
                load.consumerErrors.get(), store.notReplicatedAppends());
        LOG.info(line);
        System.out.println(line);
        System.out.println(report.toTable());

        assertEquals(0, pausedAcks, "shards of the killed master acknowledged sends before promotion: " + line);
        assertTrue(flowingAcks > 0, "the other shards kept flowing while a master was down: " + line);
        assertEquals(0, report.totalLost(), "acknowledged messages lost: " + report.lostIds());
        assertTrue(load.unexpected.isEmpty(), "outcomes other than ok/DeliveryException: " + load.unexpected);
    }

    private long[] snapshot() {
        long[] r = new long[SHARDS];
        for (int s = 0; s < SHARDS; s++) {
            r[s] = load.ackedPerShard.get(s);
        }
        return r;
    }
}
