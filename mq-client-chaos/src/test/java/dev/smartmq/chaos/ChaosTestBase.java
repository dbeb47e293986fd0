package dev.smartmq.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.Ordering;
import dev.smartmq.api.Subscription;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.api.Route;
import dev.smartmq.testkit.checker.CheckReport;
import dev.smartmq.testkit.checker.GroupReport;
import dev.smartmq.testkit.checker.DeliveryChecker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * What every row shares: the class's {@link ChaosServers} (started once per test class), a fresh
 * {@link ChaosCluster} per row (own namespace, topic and consumer groups), producer and consumer instances
 * (separate SmartMQ objects, like separate services), the {@link DeliveryChecker} and the {@link DeliveryLog} of
 * the consumers, and the one-line summary every row prints.
 */
abstract class ChaosTestBase {

    protected static ChaosServers servers;

    /** Topic and consumer groups of the current row (unique per row, so RocketMQ offsets never carry over). */
    protected String topic;
    protected String billing;
    protected String audit;

    protected ChaosCluster cluster;
    protected DeliveryChecker checker;
    protected DeliveryLog deliveries;
    protected final List<ChaosNode> producers = new ArrayList<>();
    protected final List<ChaosNode> consumers = new ArrayList<>();
    protected StateWatcher watcher;
    private long startNanos;

    @BeforeAll
    static void startServers() {
        servers = ChaosServers.start();
    }

    @AfterAll
    static void stopServers() {
        if (servers != null) {
            servers.close();
        }
    }

    @AfterEach
    void closeCluster() {
        long t0 = System.nanoTime();
        if (watcher != null) {
            watcher.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        long t1 = System.nanoTime();
        // Whatever the row broke, the next row starts from healthy servers.
        servers.heal();
        org.slf4j.LoggerFactory.getLogger(getClass()).info("row teardown: nodes closed in {} ms, servers healed in {} ms",
                (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
    }

    /**
     * Starts the servers, {@code producerCount} producer instances and {@code consumerCount} consumer instances;
     * every consumer instance subscribes groups {@code billing} and {@code audit} to {@link #topic} with
     * {@code ordering}. Returns once every instance sees both groups and a leader is elected.
     */
    void startCluster(String row, int producerCount, int consumerCount, Ordering ordering) {
        startNanos = System.nanoTime();
        String id = row.replaceAll("[^A-Za-z0-9]", "");
        topic = "orders-" + id;
        billing = "billing-" + id;
        audit = "audit-" + id;
        checker = DeliveryChecker.create();
        checker.expectGroups(billing, audit);
        deliveries = new DeliveryLog(checker);
        cluster = new ChaosCluster(servers, row);
        cluster.createTopic(topic);
        for (int i = 1; i <= producerCount; i++) {
            producers.add(cluster.startNode("producer-" + i));
        }
        for (int i = 1; i <= consumerCount; i++) {
            ChaosNode c = cluster.startNode("consumer-" + i);
            consumers.add(c);
            subscribe(c, ordering);
        }
        awaitReady();
    }

    /** Every node sees both groups, a SmartMQ instance leads, and the state watcher runs. */
    void awaitReady() {
        cluster.awaitGroupsVisible(topic, Set.of(billing, audit));
        cluster.awaitLeader(allNodes());
        if (watcher == null) {
            watcher = new StateWatcher(cluster::nodes, checker);
        }
    }

    void subscribe(ChaosNode c, Ordering ordering) {
        for (String group : List.of(billing, audit)) {
            c.consumer().subscribe(Subscription.builder(topic, group).ordering(ordering).build(),
                    deliveries.handler(group, c.name()));
        }
    }

    List<ChaosNode> allNodes() {
        List<ChaosNode> all = new ArrayList<>(producers);
        all.addAll(consumers);
        return all;
    }

    LoadGenerator.Builder load(String name) {
        return LoadGenerator.builder(name, topic, checker,
                producers.stream().map(ChaosNode::producer).toArray(dev.smartmq.api.SmartProducer[]::new));
    }

    /** Waits until {@code load} has {@code n} more acknowledged sends than now (it is running). */
    static void awaitAcked(LoadGenerator load, long n) {
        long target = load.acked() + n;
        org.awaitility.Awaitility.await("load acknowledged " + n + " more sends").atMost(ChaosSettings.STATE_TIMEOUT)
                .pollInterval(Duration.ofMillis(50)).until(() -> load.acked() >= target);
    }

    /** Keeps the load running for {@code d}: this sleep is the scenario ("N seconds under load"). */
    static void keepLoad(LoadGenerator load, Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis());
        assertTrue(load.isRunning(), "the load ended before the phase did; raise its bounds: " + load);
    }

    void awaitSwitch(String what, SwitchState state, long minEpoch) {
        cluster.awaitSwitch(what, s -> s.state() == state && s.epoch() >= minEpoch, consumers);
    }

    /** Waits for every acknowledged message to reach every expected group, and returns the final report. */
    CheckReport awaitDrainedAndReport(LoadGenerator... loads) {
        boolean drained = checker.awaitAllDelivered(ChaosSettings.DRAIN_TIMEOUT);
        CheckReport report = checker.report();
        System.out.println(report.toTable());
        for (LoadGenerator l : loads) {
            System.out.println(l);
        }
        assertTrue(drained, "not every acknowledged message reached every group within "
                + ChaosSettings.DRAIN_TIMEOUT + ": lost e.g. " + report.lostIds());
        return report;
    }

    /** The one-line summary of a row, for the CI log. */
    void printSummary(String row, CheckReport report, List<SwitchStatus> history, long degradeMs, long recoverMs,
                      String extra) {
        System.out.println("CHAOS row=" + row + " " + report.resultLine(degradeMs, recoverMs)
                + " failed=" + report.failed() + " failed_input=" + report.failedInvalidInput()
                + " unknown=" + report.unknown() + " unexpected=" + report.totalUnexpected()
                + " transitions=" + history.size() + " [" + describe(history) + "]"
                + (extra.isEmpty() ? "" : " " + extra)
                + " run_ms=" + (System.nanoTime() - startNanos) / 1_000_000
                + (ChaosSettings.soak() ? " soak=true" : ""));
    }

    static String describe(List<SwitchStatus> history) {
        return history.stream().map(s -> s.state() + "/" + s.mode() + "@" + s.epoch())
                .collect(Collectors.joining(" "));
    }

    /** Epochs 1, 2, 3, ... with no gap and no repeat: one history entry per applied transition. */
    static void assertEpochsContiguous(List<SwitchStatus> history) {
        for (int i = 0; i < history.size(); i++) {
            assertEquals(i + 1, history.get(i).epoch(), "history epochs must be 1..n: " + describe(history));
        }
    }

    /**
     * RocketMQ's push consumer commits its offsets to the broker every 5 s ({@code persistConsumerOffsetInterval});
     * what it consumed since the last commit is delivered again when a broker comes back or a queue moves.
     */
    static final Duration MQ_OFFSET_COMMIT_INTERVAL = Duration.ofSeconds(5);

    /**
     * At-least-once, but bounded: deliveries of one message to one group in a row with one fault. The first; a
     * second, either the copy on the other path (a failover whose MQ send was stored after all) or RocketMQ's
     * replay from the last committed offset when the broker comes back; and one replay each time its queue moves
     * to the other consumer instance while the clients reconnect (seen: once; allowed: twice, as a queue can move
     * away and back). More than that is a message going round and round.
     */
    static final long MAX_DELIVERIES_PER_MESSAGE = 4;

    /**
     * How many duplicates one group may see, by the route of the duplicate delivery, and why:
     *
     * @param failovers       MQ sends that failed for an infrastructure reason and were written to Redis; the MQ
     *                        may have stored them anyway (reply lost), so each may arrive on both paths
     * @param inFlightClaims  fallback messages the consumer instances can hold claimed at once (instances x
     *                        threads x claim batch): redelivered after a crash, a lost ack or a recovered orphan
     * @param mqRedeliverable messages acknowledged by the MQ from {@link #MQ_OFFSET_COMMIT_INTERVAL} (plus 1 s of
     *                        consumer lag) before the fault began until it ended: RocketMQ may redeliver what it
     *                        consumed since its last offset commit when the broker comes back
     */
    record DuplicateBound(long failovers, long inFlightClaims, long mqRedeliverable, long windowFromNanos,
                          long windowToNanos) {

        DuplicateBound(long failovers, long inFlightClaims) {
            this(failovers, inFlightClaims, 0, 0, -1);
        }

        boolean inWindow(long nanos) {
            return nanos >= windowFromNanos && nanos <= windowToNanos;
        }

        /** Duplicates delivered by the MQ: a both-paths copy, or RocketMQ's own redelivery. */
        long viaMq() {
            return failovers + mqRedeliverable;
        }

        /** Duplicates delivered from Redis: a both-paths copy, or a redelivered claim. */
        long viaFallback() {
            return failovers + inFlightClaims;
        }

        @Override
        public String toString() {
            return "duplicate_bound_per_group=mq:" + viaMq() + "+fallback:" + viaFallback() + " (failovers="
                    + failovers + " in_flight_claims=" + inFlightClaims + " mq_redeliverable=" + mqRedeliverable + ")";
        }
    }

    /** The bound for a row whose fault lasted from {@code faultStartNanos} to {@code faultEndNanos}. */
    DuplicateBound duplicateBound(long faultStartNanos, long faultEndNanos, LoadGenerator... loads) {
        long failovers = producers.stream().mapToLong(p -> p.meter("producer.failovers")).sum();
        long inFlight = (long) consumers.size() * ChaosSettings.CONSUMER_THREADS * ChaosSettings.CLAIM_BATCH_SIZE;
        long from = faultStartNanos - MQ_OFFSET_COMMIT_INTERVAL.plusSeconds(1).toNanos();
        long mq = 0;
        for (LoadGenerator load : loads) {
            mq += load.sent().values().stream()
                    .filter(s -> s.route() == Route.MQ && s.ackNanos() >= from && s.ackNanos() <= faultEndNanos)
                    .count();
        }
        return new DuplicateBound(failovers, inFlight, mq, from, faultEndNanos);
    }

    /**
     * Every group's duplicates are within {@code bound}, by route, and every duplicate delivered by the MQ has a
     * known cause: a both-paths copy of a failover (stored on Redis, the MQ had it too), RocketMQ's redelivery of
     * what it had consumed shortly before the fault ({@code bound}'s window), or a queue that moved between
     * consumer instances (a RocketMQ rebalance: a new instance, a restarted broker). An MQ redelivery with none of
     * these causes fails the row.
     */
    void assertDuplicatesBounded(CheckReport report, DuplicateBound bound, LoadGenerator... loads) {
        assertDuplicatesBounded(report, bound, MAX_DELIVERIES_PER_MESSAGE, loads);
    }

    /**
     * As above, for a row whose fault repeats: every disruption of a consumer's broker connection can replay
     * from the last committed offset (and a commit may itself fail while the broker is away), so a row with
     * {@code n} disruptions allows {@code MAX_DELIVERIES_PER_MESSAGE - 2 + n} deliveries of one message.
     */
    void assertDuplicatesBounded(CheckReport report, DuplicateBound bound, long maxDeliveriesPerMessage,
                                 LoadGenerator... loads) {
        for (GroupReport g : report.groups()) {
            long mq = deliveries.duplicates(g.group(), Route.MQ);
            long fallback = deliveries.duplicates(g.group(), Route.FALLBACK);
            assertEquals(g.duplicates(), mq + fallback, "checker and delivery log agree on duplicates of " + g.group());
            assertTrue(fallback <= bound.viaFallback(),
                    "group " + g.group() + ": " + fallback + " duplicates via fallback, more than " + bound);
        }
        DuplicateCauses causes = classifyDuplicates(bound, loads);
        Map<String, Long> perMessage = new HashMap<>();
        for (DeliveryLog.Duplicate d : deliveries.duplicates()) {
            perMessage.merge(d.group() + "/" + d.id(), 1L, Long::sum);
        }
        Map.Entry<String, Long> worst = perMessage.entrySet().stream().max(Map.Entry.comparingByValue()).orElse(null);
        long mostDeliveries = worst == null ? 1 : 1 + worst.getValue();
        String worstTrail = "";
        if (worst != null) {
            String[] groupAndId = worst.getKey().split("/", 2);
            LoadGenerator.Sent s = sentBy(groupAndId[1], loads);
            worstTrail = " worst=" + worst.getKey() + " sent=" + (s == null ? "?" : s.route() + " ack at +"
                    + (s.ackNanos() - bound.windowFromNanos()) / 1_000_000 + "ms after the window opened")
                    + " deliveries=" + deliveries.trail(groupAndId[0], groupAndId[1]);
        }
        System.out.println("duplicate causes: " + causes + " most_deliveries_of_one_message=" + mostDeliveries
                + worstTrail);
        assertEquals(List.of(), causes.unexplained, "MQ duplicates without a known cause");
        // Rebalance duplicates have no count bound of their own (a queue may move several times while clients
        // reconnect), but no message may go round and round.
        assertTrue(mostDeliveries <= maxDeliveriesPerMessage, "a message was delivered " + mostDeliveries
                + " times to one group (at most " + maxDeliveriesPerMessage + " expected):" + worstTrail);
        for (GroupReport g : report.groups()) {
            long sameInstance = causes.inWindowOrCopy.getOrDefault(g.group(), 0L);
            assertTrue(sameInstance <= bound.viaMq(), "group " + g.group() + ": " + sameInstance
                    + " MQ duplicates from failovers and the fault's redelivery window, more than " + bound);
        }
    }

    /** Why each MQ duplicate happened. */
    static final class DuplicateCauses {
        final Map<String, Long> inWindowOrCopy = new HashMap<>();
        long bothPaths;
        long faultWindow;
        long rebalance;
        final List<String> unexplained = new ArrayList<>();

        @Override
        public String toString() {
            return "both_paths=" + bothPaths + " fault_window=" + faultWindow + " rebalance=" + rebalance
                    + " unexplained=" + unexplained.size();
        }
    }

    private static LoadGenerator.Sent sentBy(String id, LoadGenerator... loads) {
        for (LoadGenerator l : loads) {
            LoadGenerator.Sent s = l.sent().get(id);
            if (s != null) {
                return s;
            }
        }
        return null;
    }

    DuplicateCauses classifyDuplicates(DuplicateBound bound, LoadGenerator... loads) {
        Map<String, LoadGenerator.Sent> sent = new HashMap<>();
        for (LoadGenerator l : loads) {
            sent.putAll(l.sent());
        }
        DuplicateCauses c = new DuplicateCauses();
        for (DeliveryLog.Duplicate d : deliveries.duplicates()) {
            if (d.route() != Route.MQ) {
                continue; // bounded by count above
            }
            LoadGenerator.Sent s = sent.get(d.id());
            if (s == null) {
                c.unexplained.add(d + " (not acknowledged)");
            } else if (s.route() == Route.FALLBACK || d.firstRoute() == Route.FALLBACK) {
                c.bothPaths++;
                c.inWindowOrCopy.merge(d.group(), 1L, Long::sum);
            } else if (bound.inWindow(s.ackNanos())) {
                c.faultWindow++;
                c.inWindowOrCopy.merge(d.group(), 1L, Long::sum);
            } else if (!d.instance().equals(d.firstInstance())) {
                c.rebalance++;
            } else if (c.unexplained.size() < 20) {
                c.unexplained.add(d.toString());
            }
        }
        return c;
    }

    /**
     * Zero lost, and every send had a clear outcome: acknowledged, or a {@code DeliveryException} /
     * {@code InvalidMessageException}; no send is pending, none threw anything else, no phantom was delivered.
     */
    static void assertNothingLost(CheckReport report, LoadGenerator... loads) {
        assertEquals(0, report.totalLost(), "acknowledged messages lost, e.g. " + report.lostIds());
        for (LoadGenerator load : loads) {
            assertEquals(List.of(), load.unexpectedErrors(),
                    "a send ended with something other than DeliveryException/InvalidMessageException");
        }
        assertEquals(0, report.unknown(), "sends with an unknown outcome: " + report.errorSamples());
        assertEquals(0, report.pending(), "sends without an outcome");
        assertEquals(0, report.totalUnexpected(), "phantom deliveries (never acknowledged, or declared not stored)");
    }

    /** Milliseconds from mark {@code from} to the first sighting of the switch in {@code state} at {@code epoch}. */
    static long millisToSwitch(CheckReport report, String from, SwitchState state, long epoch) {
        return report.millisBetween(from, StateWatcher.mark(state, epoch)).orElse(-1);
    }

    /** Epoch of the last NORMAL in {@code history}, or -1. */
    static long lastNormalEpoch(List<SwitchStatus> history) {
        for (int i = history.size() - 1; i >= 0; i--) {
            if (history.get(i).state() == SwitchState.NORMAL) {
                return history.get(i).epoch();
            }
        }
        return -1;
    }

    long millisBetween(CheckReport report, String from, String to) {
        return report.millisBetween(from, to).orElse(-1);
    }
}
