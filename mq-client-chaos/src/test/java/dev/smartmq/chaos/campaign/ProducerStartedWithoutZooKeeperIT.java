package dev.smartmq.chaos.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Regression test of a loss the campaign found (full shape, 2 minutes, seed 388399057411 on today's main: lost 228
 * = 114 acknowledged messages in each of the two groups). A producer process that (re)starts while ZooKeeper has no
 * quorum cannot read the group registry; its fallback sends go to the topic's {@code #unclaimed} shards as if no
 * group were subscribed, although both groups registered long before. Unclaimed shards are adopted only by a group
 * that subscribes later, so nobody ever drains them: the sends were acknowledged (route FALLBACK) and are never
 * consumed (128 messages were still in {@code smq:{ns:topic:N}:#unclaimed:q} after the run).
 *
 * <p>The script: ZooKeeper quorum lost at 2 s for 16 s; producer p0 killed at 3 s and restarted 3 s later (inside
 * the outage); every broker killed at 4 s for 12 s, so the restarted producer falls back. Then everything heals and
 * the campaign's checkers judge the history. Off by default (the fix belongs to another branch):
 * {@code -Dsmartmq.campaign.regressions=true}.
 */
@EnabledIfSystemProperty(named = "smartmq.campaign.regressions", matches = "true")
class ProducerStartedWithoutZooKeeperIT {

    private static CampaignServers servers;

    @BeforeAll
    static void startServers() {
        servers = CampaignServers.start(2);
    }

    @AfterAll
    static void stopServers() {
        if (servers != null) {
            servers.close();
        }
    }

    @Test
    void fallbackSendsOfAProducerStartedDuringAQuorumLossReachEveryGroup() throws Exception {
        List<FaultSchedule.Planned> plan = List.of(
                new FaultSchedule.Planned(2_000, FaultKind.ZK_QUORUM_LOSS, "zookeeper", 16_000, 0),
                new FaultSchedule.Planned(3_000, FaultKind.PRODUCER_KILL, "p0", 3_000, 0),
                new FaultSchedule.Planned(4_000, FaultKind.ALL_BROKERS_KILL, "brokers", 12_000, 0));
        CampaignConfig c = CampaignConfig.ci(388399057411L, 25_000).withFixedPlan(plan, 25_000);
        CampaignResult r = new Campaign(servers, c, Path.of("target/campaign-regressions")).run();
        assertEquals(0, r.verdict("lost").violations(), r.table());
    }
}
