package dev.smartmq.chaos.campaign;

import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One campaign on shared {@link CampaignServers}: a fresh namespace and topic, the client processes of the
 * {@link CampaignConfig}, the seeded {@link FaultSchedule} played by a {@link FaultInjector}, then every fault
 * healed and a bounded wait for convergence, then every process stopped, then the checkers on the recorded
 * history, the text report and the timeline picture. The seed is printed first.
 *
 * <p>Phases: consumers start (every group subscribes before the first send), producers start, the schedule runs
 * for {@code lengthMillis}, everything is healed ({@code H}), producers keep sending for
 * {@value #POST_HEAL_LOAD_MS} ms and stop, and the campaign waits at most the configured bound (default
 * {@link CampaignSettings#CONVERGENCE_BOUND}) from {@code H} for: the switch NORMAL, every group's fallback backlog 0, every acknowledged message consumed by
 * every group. Then the consumers stop; a process that does not exit by itself is left behind.
 */
final class Campaign {

    private static final Logger log = LoggerFactory.getLogger(Campaign.class);
    static final long POST_HEAL_LOAD_MS = 3_000;
    static final long CONVERGENCE_POLL_MS = 500;

    private final CampaignServers servers;
    private final CampaignConfig config;
    private final Path outDir;

    Campaign(CampaignServers servers, CampaignConfig config, Path outRoot) {
        this.servers = servers;
        this.config = config;
        this.outDir = outRoot.resolve("seed-" + config.seed() + (config.plant().isEmpty() ? "" : "-planted"));
    }

    CampaignResult run() throws Exception {
        System.out.println("CAMPAIGN SEED " + config.seed() + " (replay with -Dsmartmq.campaign.seed=" + config.seed() + ")");
        clearOutDir(); // a replay of the same seed must not read the last run's histories
        Files.createDirectories(outDir);
        String suffix = UUID.randomUUID().toString().substring(0, 6);
        String namespace = "campaign-" + Math.abs(config.seed() % 100_000) + "-" + suffix;
        String topic = "CAMPAIGN_" + suffix;
        FaultSchedule.Topology topology = new FaultSchedule.Topology(servers.rocketMQ().brokerCount(),
                List.copyOf(config.producers().keySet()), List.copyOf(config.consumers().keySet()));
        List<FaultSchedule.Planned> plan = !config.fixedPlan().isEmpty() ? config.fixedPlan()
                : FaultSchedule.withLateJoins(FaultSchedule.plan(config.seed(), config.lengthMillis(), topology,
                        config.kinds(), config.minGapMillis(), config.maxGapMillis()), config.seed(),
                        config.lengthMillis(), List.copyOf(config.lateConsumers().keySet()));
        StringBuilder schedule = new StringBuilder("schedule of seed " + config.seed() + ":\n");
        plan.forEach(p -> schedule.append("  ").append(p).append('\n'));
        System.out.print(schedule);
        write("schedule.txt", schedule.toString());

        servers.rocketMQ().createTopic(topic, CampaignSettings.QUEUES);
        servers.rocketMQ().createTopic(dev.smartmq.api.SmartMQConfig.DEFAULT_PROBE_TOPIC, 1);
        try (ZkDegradationSwitch observer = observer(namespace);
             RedisFallbackStore store = backlogReader(namespace);
             ClientFleet fleet = new ClientFleet(servers, config, namespace, topic, outDir)) {
            inParallel(config.consumers().keySet(), fleet::start);
            awaitGroups(observer, topic);
            inParallel(config.producers().keySet(), fleet::start);
            Sampler sampler = new Sampler(observer, store, topic, config.allGroups());
            sampler.start();
            FaultInjector injector = new FaultInjector(servers, fleet, observer, plan, config);
            injector.start();
            long origin = injector.startedAt();
            Thread.sleep(config.lengthMillis()); // the faulted phase: the schedule runs
            log.info("campaign seed {}: healing every fault", config.seed());
            injector.healEverything();
            long healedAt = System.currentTimeMillis();
            Thread.sleep(POST_HEAL_LOAD_MS); // producers keep sending on a healthy cluster
            inParallel(config.producers().keySet(), fleet::stop);
            long convergedAt = awaitConvergence(observer, sampler, injector, healedAt + config.convergeBoundMillis());
            boolean converged = convergedAt > 0;
            long convergeMillis = converged ? convergedAt - healedAt : -1;
            List<String> consumers = new ArrayList<>(config.consumers().keySet());
            consumers.addAll(config.lateConsumers().keySet());
            inParallel(consumers, fleet::stop);
            sampler.stop();
            long endTime = System.currentTimeMillis();

            History history = History.read(outDir);
            List<SwitchStatus> switchHistory = readSwitchHistory(observer);
            List<FaultRecord> faults = injector.records();
            List<Verdict> verdicts = new ArrayList<>();
            Verdict lost = LostChecker.check(history, config.groups());
            Verdict caller = CallerViewChecker.check(history, CampaignSettings.CALLER_BUDGET);
            Verdict dups = DuplicateChecker.check(history, config.allGroups(), faults);
            Verdict order = OrderChecker.check(history, config.orderedGroups(), faults);
            Verdict sw = SwitchHistoryChecker.check(switchHistory, CampaignSettings.MIN_DWELL_TIME);
            verdicts.add(lost);
            verdicts.add(DeliveryCheckerCrossCheck.check(history, config.groups(),
                    lost.breakdown().entrySet().stream().filter(e -> e.getKey().startsWith("lost."))
                            .mapToLong(Map.Entry::getValue).sum()));
            verdicts.add(caller);
            verdicts.add(dups);
            verdicts.add(order);
            verdicts.add(sw);
            verdicts.add(LeaderWriterChecker.check(switchHistory, history));
            for (String late : config.lateGroups()) {
                verdicts.add(LateGroupChecker.check(history, late, faults));
            }
            verdicts.add(FleetDegradeChecker.check(switchHistory, faults, servers.rocketMQ().brokerCount(),
                    Boolean.getBoolean(FleetDegradeChecker.STRICT_PROPERTY)));
            verdicts.add(new Verdict("observed-epochs", sampler.epochRegressions() == 0, sampler.epochRegressions(),
                    Map.of(), sampler.epochRegressions() == 0 ? List.of() : List.of("the observer saw an epoch go back")));
            List<String> leftBehind = new ArrayList<>(fleet.leftBehind());
            List<String> knownDefects = new ArrayList<>(); // none known today (KnownDefects)
            for (History.Incarnation i : history.incarnations()) {
                if (i.leftBehind() != null) {
                    leftBehind.add(i.process() + "/" + i.pid() + " threads " + i.leftBehind());
                }
            }
            long minutes = Math.max(1, Math.round(config.lengthMillis() / 60_000.0));
            String line = CampaignReport.line(config.seed(), minutes, faults.size(), history.sends().size(), lost, dups,
                    order, caller, convergeMillis);
            String table = CampaignReport.table(config, namespace, plan, faults, history, verdicts, converged,
                    convergeMillis, leftBehind, knownDefects, injector.errors(), line);
            write("report.txt", table);
            write("switch-history.txt", String.join("\n", switchHistory.stream().map(SwitchStatus::toString).toList()) + "\n");
            try {
                TimelineChart.write(outDir.resolve("timeline.png"), origin, faults, sampler.samples(), history, endTime,
                        "SmartMQ campaign seed " + config.seed() + (config.plant().isEmpty() ? "" : " (planted: "
                                + config.plant() + ")"));
            } catch (RuntimeException e) {
                log.warn("timeline picture failed", e);
            }
            System.out.print(table);
            System.out.println(line);
            return new CampaignResult(config.seed(), verdicts, converged, convergeMillis, leftBehind, knownDefects,
                    injector.errors(), table, line, outDir);
        }
    }

    /** Runs {@code action} for every name at once (JVM starts and stops take seconds each) and waits for all. */
    private static void inParallel(java.util.Collection<String> names, java.util.function.Consumer<String> action)
            throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        List<RuntimeException> failures = Collections.synchronizedList(new ArrayList<>());
        for (String n : names) {
            Thread t = new Thread(() -> {
                try {
                    action.accept(n);
                } catch (RuntimeException e) {
                    failures.add(e);
                }
            }, "smartmq-campaign-client-" + n);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        if (!failures.isEmpty()) {
            throw failures.get(0);
        }
    }

    private ZkDegradationSwitch observer(String namespace) {
        ZkDegradationSwitch s = ZkDegradationSwitch.builder()
                .connectString(servers.zooKeeper().connectString())
                .namespace(namespace)
                .joinElection(false)
                .sessionTimeout(Duration.ofSeconds(10))
                .connectionTimeout(Duration.ofSeconds(5))
                .operationTimeout(Duration.ofSeconds(5))
                .historySize(CampaignSettings.HISTORY_SIZE)
                .instanceId(FaultInjector.OPERATOR)
                .build();
        s.start();
        return s;
    }

    private RedisFallbackStore backlogReader(String namespace) {
        RedisFallbackStore store = RedisFallbackStore.builder()
                .standalone(servers.redis().host(), servers.redis().port())
                .namespace(namespace)
                .shards(CampaignSettings.SHARDS)
                .timeouts(Duration.ofMillis(500), Duration.ofMillis(500))
                .poolSize(2)
                .writerThreads(1)
                .build();
        store.start();
        return store;
    }

    private void awaitGroups(ZkDegradationSwitch observer, String topic) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (!observer.groups(topic).containsAll(config.groups())) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("groups " + config.groups() + " did not register for " + topic);
            }
            Thread.sleep(100);
        }
    }

    /**
     * The time everything converged, or -1 if not by {@code deadline}: the switch NORMAL, every backlog 0, every
     * acknowledged message consumed by every group (late groups: what the late-group rule owes them). Polls every
     * {@value #CONVERGENCE_POLL_MS} ms (the cheap switch and backlog checks first; the histories are re-read only
     * when those hold, a second or so after 30 minutes).
     */
    private long awaitConvergence(ZkDegradationSwitch observer, Sampler sampler, FaultInjector injector, long deadline)
            throws InterruptedException {
        while (System.currentTimeMillis() < deadline) {
            boolean normal = observer.isReachable() && observer.current().state() == SwitchState.NORMAL;
            boolean drained = normal && sampler.backlog().values().stream().allMatch(b -> b == 0);
            if (drained) {
                History h = History.read(outDir);
                long owed = LostChecker.outstanding(h, config.groups());
                for (String late : config.lateGroups()) {
                    owed += LateGroupChecker.outstanding(h, late, injector.records());
                }
                if (owed == 0) {
                    return System.currentTimeMillis();
                }
            }
            Thread.sleep(CONVERGENCE_POLL_MS);
        }
        return -1;
    }

    private static List<SwitchStatus> readSwitchHistory(ZkDegradationSwitch observer) {
        for (int attempt = 0; attempt < 10; attempt++) {
            try {
                List<SwitchStatus> h = new ArrayList<>(observer.history(CampaignSettings.HISTORY_SIZE));
                Collections.reverse(h);
                return h;
            } catch (RuntimeException e) {
                log.warn("reading the switch history failed, retrying: {}", e.toString());
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        throw new IllegalStateException("could not read the switch history");
    }

    private void clearOutDir() throws IOException {
        if (!Files.isDirectory(outDir)) {
            return;
        }
        try (var files = Files.walk(outDir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                if (!p.equals(outDir)) {
                    Files.delete(p);
                }
            }
        }
    }

    private void write(String file, String text) {
        try {
            Files.writeString(outDir.resolve(file), text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
