package dev.smartmq.chaos.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.smartmq.testkit.WorkDirs;
import dev.smartmq.testkit.process.JvmProcess;
import dev.smartmq.testkit.rocketmq.ForkedRocketMQ;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The fault campaign (issue 14): real processes, a seeded random fault schedule, a recorded history, checkers.
 * Every test of the class shares one set of {@link CampaignServers} (forked name server and brokers, Redis, the
 * ZooKeeper ensemble): starting them is the class's biggest fixed cost.
 *
 * <ul>
 *   <li>Default ({@code ./mvnw verify}, the CI share): the consumer-exit regression, the CI shape
 *       ({@link CampaignConfig#ci}) for the one fixed seed {@link #CI_SEED}, {@value #CI_SECONDS} s of faults, one
 *       short planted-defect run that must be caught, and the scripted quorum-loss regression.</li>
 *   <li>{@code -Dsmartmq.campaign.seeds=A,B,...}: those seeds instead (CI shape, {@value #CI_SECONDS} s each);
 *       {@code -Dsmartmq.campaign.seed=N} replays one seed alone (no other test of the class runs).</li>
 *   <li>{@code -Dsmartmq.campaign.minutes=M}: one long campaign of M minutes in the full shape
 *       ({@link CampaignConfig#full}: 3 producer and 4 consumer JVMs), random seed unless one is given.</li>
 * </ul>
 * Reports, histories, logs and the timeline PNG go to {@code target/campaign/seed-<n>/}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CampaignIT {

    static final long CI_SEED = 20261201L;
    static final int CI_SECONDS = 30;
    static final String SEED_PROPERTY = "smartmq.campaign.seed";
    static final String SEEDS_PROPERTY = "smartmq.campaign.seeds";
    static final String MINUTES_PROPERTY = "smartmq.campaign.minutes";

    private static CampaignServers servers;
    private static final Path OUT = Path.of(System.getProperty("smartmq.campaign.out", "target/campaign"));

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

    /** Only the campaign itself in a replay or a long run. */
    private static boolean replayOrLongRun() {
        return !System.getProperty(MINUTES_PROPERTY, "").isBlank() || !System.getProperty(SEED_PROPERTY, "").isBlank()
                || !System.getProperty(SEEDS_PROPERTY, "").isBlank();
    }

    /**
     * Regression of a defect the campaign found (seeds 20261201, 7, 99): a client process whose SmartMQ subscription
     * is ORDERED did not exit after {@code SmartMQ.close()} — RocketMQ's non-daemon
     * {@code ConsumeMessageScheduledThread_1} (its POP consume service, started and never stopped) stayed alive.
     * Fixed in mq-client-rocketmq ({@code PopServiceShutdown}). The plain subscription is the control.
     */
    @Test
    @Order(1)
    void orderedAndPlainConsumerProcessesExitAfterClose() throws Exception {
        assumeTrue(!replayOrLongRun());
        Path dir = WorkDirs.create("consumer-close");
        String suffix = UUID.randomUUID().toString().substring(0, 6);
        String topic = "CLOSE_" + suffix;
        servers.rocketMQ().createTopic(topic, 4);
        List<JvmProcess> processes = new ArrayList<>();
        try {
            for (boolean ordered : new boolean[] {true, false}) {
                String name = ordered ? "ordered" : "plain";
                ClientSpec spec = new ClientSpec(name, "consumer", dir.resolve(name + ".history").toString(),
                        servers.rocketMQ().nameServerAddress(), servers.redis().host() + ":" + servers.redis().port(),
                        servers.zooKeeper().connectString(), "close-" + suffix, topic, "-", 60,
                        ordered ? CampaignConfig.ORDERED_GROUP : CampaignConfig.PLAIN_GROUP, ordered, 0, 0);
                processes.add(JvmProcess.builder(ClientMain.class.getName()).name(name).heap("192m")
                        .jvmArg("-XX:+UseSerialGC").jvmArg("-XX:TieredStopAtLevel=1")
                        .systemProperties(ForkedRocketMQ.clientSystemProperties(dir.resolve("logs")))
                        .systemProperties(spec.toSystemProperties()).logFile(dir.resolve(name + ".log")).build());
            }
            processes.forEach(JvmProcess::start);
            for (JvmProcess p : processes) {
                p.awaitCondition("ready", Duration.ofSeconds(90), () -> p.logContains(ClientFleet.READY));
            }
            for (JvmProcess p : processes) {
                assertTrue(p.stop(Duration.ofSeconds(30)), p + " exited within 30 s of the stop command");
            }
            for (String name : List.of("ordered", "plain")) {
                String history = Files.readString(dir.resolve(name + ".history"), StandardCharsets.UTF_8);
                assertTrue(history.contains("CLOSED"), history);
                assertFalse(history.contains("LEFT_BEHIND"), name + ": non-daemon threads left after close:\n" + history);
            }
            for (JvmProcess p : processes) {
                assertEquals(0, p.exitValue(), p + " exit code (3: the left-behind watchdog halted it)");
            }
        } finally {
            processes.forEach(JvmProcess::close);
        }
    }

    @Test
    @Order(2)
    void campaignLosesNothingAndConverges() throws Exception {
        List<CampaignConfig> configs = new ArrayList<>();
        String seed = System.getProperty(SEED_PROPERTY, "");
        String seeds = System.getProperty(SEEDS_PROPERTY, "");
        String minutes = System.getProperty(MINUTES_PROPERTY, "");
        if (!minutes.isBlank()) {
            long s = !seed.isBlank() ? Long.parseLong(seed.trim()) : ThreadLocalRandom.current().nextLong(1, 1L << 40);
            configs.add(CampaignConfig.full(s, Long.parseLong(minutes.trim()) * 60_000));
        } else if (!seed.isBlank()) {
            configs.add(CampaignConfig.ci(Long.parseLong(seed.trim()), CI_SECONDS * 1000L));
        } else if (!seeds.isBlank()) {
            Arrays.stream(seeds.split(",")).map(String::trim).filter(x -> !x.isEmpty())
                    .forEach(x -> configs.add(CampaignConfig.ci(Long.parseLong(x), CI_SECONDS * 1000L)));
        } else {
            configs.add(CampaignConfig.ci(CI_SEED, CI_SECONDS * 1000L));
        }
        List<String> failures = new ArrayList<>();
        for (CampaignConfig c : configs) {
            CampaignResult r = new Campaign(servers, c, OUT).run();
            if (!r.passed()) {
                failures.add("seed " + r.seed() + " FAILED (replay with -D" + SEED_PROPERTY + "=" + r.seed() + "), see "
                        + r.outDir() + "\n" + r.table());
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /**
     * A planted defect must be caught: the fallback store of the producer drops 1 in 50 appends while claiming
     * success, and its sync keyed senders store 1 in 40 pairs swapped. An operator drill sends traffic through
     * Redis. One producer (p0) and the ORDERED group (c1) only.
     */
    @Test
    @Order(3)
    void plantedDefectsAreReportedAsLostAndReordered() throws Exception {
        assumeTrue(!replayOrLongRun());
        CampaignConfig c = CampaignConfig.ci(99L, 15_000)
                .withPlant("drop-fallback:50,reorder:40", EnumSet.of(FaultKind.OPERATOR_DRILL))
                .withOnly(Set.of("p0", "c1")); // two sync keyed senders and the ORDERED group: enough to catch both
        CampaignResult r = new Campaign(servers, c, OUT).run();
        assertFalse(r.passed(), "a campaign with planted defects must fail:\n" + r.table());
        assertTrue(r.verdict("lost").violations() > 0, "dropped fallback writes reported as lost:\n" + r.table());
        assertTrue(r.verdict("order").violations() > 0, "swapped pairs reported as order violations:\n" + r.table());
        assertEquals(0, r.verdict("caller-view").violations(), r.table());
    }

    /**
     * Regression of a loss the campaign found (full shape, 2 minutes, seed 388399057411: lost 228 = 114 acknowledged
     * messages in each of the two groups): a producer process that (re)starts while ZooKeeper has no quorum cannot
     * read the group registry; its fallback sends go to the topic's {@code #unclaimed} shards, which then nobody
     * drained. Fixed by issue 12's unclaimed distribution (every registered group gets them).
     *
     * <p>The script: ZooKeeper quorum lost at 2 s for 16 s; producer p0 killed at 3 s and restarted 3 s later (inside
     * the outage); every broker killed at 4 s for 12 s, so the restarted producer falls back. Then everything heals and
     * the campaign's checkers judge the history: nothing lost, no hung caller, per-key order kept. This script also
     * found that the restarted producer's unclaimed messages of a key were delivered to the ORDERED group after newer
     * messages of that key (194-311 violations a run); fixed in core by {@code UnclaimedHandOver} (the sender hands
     * its unclaimed messages to the groups before its first direct write; UnclaimedOrderTest).
     */
    @Test
    @Order(4)
    void fallbackSendsOfAProducerStartedDuringAQuorumLossReachEveryGroup() throws Exception {
        assumeTrue(!replayOrLongRun());
        List<FaultSchedule.Planned> plan = List.of(
                new FaultSchedule.Planned(2_000, FaultKind.ZK_QUORUM_LOSS, "zookeeper", 16_000, 0),
                new FaultSchedule.Planned(3_000, FaultKind.PRODUCER_KILL, "p0", 3_000, 0),
                new FaultSchedule.Planned(4_000, FaultKind.ALL_BROKERS_KILL, "brokers", 12_000, 0));
        CampaignConfig c = CampaignConfig.ci(388399057411L, 22_000).withFixedPlan(plan, 22_000)
                .withOnly(Set.of("p0", "c0", "c1"));
        CampaignResult r = new Campaign(servers, c, OUT.resolve("regressions")).run();
        assertEquals(0, r.verdict("lost").violations(), r.table());
        assertEquals(0, r.verdict("caller-view").violations(), r.table());
        assertTrue(r.converged(), r.table());
        assertEquals(0, r.verdict("order").violations(), r.table());
    }
}
