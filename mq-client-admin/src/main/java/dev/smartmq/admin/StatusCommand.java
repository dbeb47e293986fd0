package dev.smartmq.admin;

import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.zookeeper.internal.ZkLayout;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code smartmq-admin status}: one screen on a namespace's fleet (issue 22) — the switch, the leader, every
 * registered instance with its roles and local state, divergence, groups with live consumers and backlog, and
 * warnings. {@code --watch} redraws on one ZooKeeper session (and one Redis connection) until interrupted or, for
 * tests, {@code --frames} frames. Reads only; never joins the election, never writes.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"The fleet of a namespace on one screen: switch, leader, instances (roles, local state, last "
                + "epoch seen), divergence, groups (live consumers, backlog and delayed messages with --redis) and "
                + "warnings.",
                "Warnings: NO_LEADER (DEGRADED/RECOVERING and nobody leads), RECOVERING_TOO_LONG, DIVERGED (an "
                        + "instance routes by another state than the switch for longer than --divergence-bound), "
                        + "NO_CONSUMERS, MALFORMED_* (a bad entry, skipped). Exit 0 even with warnings; "
                        + "--fail-on-warning makes it 4."})
final class StatusCommand extends AdminCommand {

    /** Lower bound of {@code --interval}: a watch never turns into a ZooKeeper load test. */
    static final Duration MIN_INTERVAL = Duration.ofSeconds(1);

    @Option(names = "--all", description = "Every namespace under --zk-root.")
    boolean all;

    @Option(names = "--watch", description = "Redraw every --interval until Ctrl-C.")
    boolean watch;

    @Option(names = "--interval", paramLabel = "<duration>", defaultValue = "3s", converter = Durations.class,
            description = "Refresh interval of --watch, 1s to 5m (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--frames", paramLabel = "<n>", hidden = true, defaultValue = "0",
            description = "Stop --watch after n frames (0: until interrupted).")
    int frames;

    @Option(names = "--divergence-bound", paramLabel = "<duration>", defaultValue = "30s", converter = Durations.class,
            description = "Flag an instance whose local state differs from the switch for longer (default: ${DEFAULT-VALUE}).")
    Duration divergenceBound;

    @Option(names = "--recovering-bound", paramLabel = "<duration>", defaultValue = "10m", converter = Durations.class,
            description = "Flag RECOVERING older than this (default: ${DEFAULT-VALUE}).")
    Duration recoveringBound;

    @Option(names = "--fail-on-warning", description = "Exit 4 when there is a warning (for scripts and probes).")
    boolean failOnWarning;

    StatusCommand(AdminEnvironment env) {
        super(env);
    }

    @Override
    int execute() throws Exception {
        if (interval.compareTo(MIN_INTERVAL) < 0 || interval.compareTo(Duration.ofMinutes(5)) > 0) {
            throw AdminException.usage("--interval must be between 1s and 5m, but was " + Durations.format(interval));
        }
        if (frames < 0) {
            throw AdminException.usage("--frames must be >= 0, but was " + frames);
        }
        if (!all) {
            checkName("--namespace", common.namespace);
        }
        common.requireZk();
        boolean redis = (common.redis != null && !common.redis.isBlank())
                || (common.redisCluster != null && !common.redisCluster.isEmpty());
        FleetView.Bounds bounds = new FleetView.Bounds(divergenceBound, recoveringBound);
        int warnings = 0;
        try (ZkSession zk = zk(); RedisFallbackStore store = redis ? common.openStore(env, err()) : null) {
            for (int frame = 1; ; frame++) {
                Instant now = env.clock().instant();
                List<Map<String, Object>> docs = new ArrayList<>();
                List<String> rootWarnings = new ArrayList<>();
                List<String> names = all ? FleetView.namespaces(zk.client(), common.zkRoot, rootWarnings)
                        : List.of(common.namespace);
                for (String ns : names) {
                    // One store serves one namespace; with --all only the named namespace gets a backlog.
                    RedisFallbackStore s = store != null && ns.equals(common.namespace) ? store : null;
                    docs.add(FleetView.read(zk.client(), new ZkLayout(common.zkRoot, ns), s, now, bounds));
                }
                warnings = rootWarnings.size();
                for (Map<String, Object> d : docs) {
                    warnings += ((List<?>) d.get("warnings")).size();
                }
                if (watch && !common.json) {
                    out().print("\033[H\033[2J"); // home + clear: the frame replaces the last one in a terminal
                }
                if (common.json) {
                    Object doc = docs.get(0);
                    if (all) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("namespaces", docs);
                        m.put("warnings", rootWarnings);
                        doc = m;
                    }
                    printJson(doc);
                } else {
                    if (watch) {
                        out().println("smartmq-admin status  " + now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + "  (frame " + frame + ", every "
                                + Durations.format(interval) + ", Ctrl-C to stop)");
                    }
                    for (String w : rootWarnings) {
                        out().println("WARNING " + w);
                    }
                    for (Map<String, Object> d : docs) {
                        print(d, redis);
                    }
                }
                out().flush();
                if (!watch || (frames > 0 && frame >= frames)) {
                    break;
                }
                Thread.sleep(interval.toMillis()); // the refresh period IS the behaviour here
            }
        }
        return failOnWarning && warnings > 0 ? ExitCodes.PRECONDITION_FAILED : ExitCodes.OK;
    }

    @SuppressWarnings("unchecked")
    private void print(Map<String, Object> d, boolean redis) {
        Map<String, Object> sw = (Map<String, Object>) d.get("switch");
        out().println("namespace " + d.get("namespace") + ": switch " + sw.get("state") + " " + sw.get("mode")
                + " epoch " + sw.get("epoch") + " (" + sw.get("reason") + ", by " + dash(sw.get("changedBy")) + " at "
                + dash(sw.get("changedAt")) + (sw.get("expiresAt") == null ? "" : ", expires " + sw.get("expiresAt"))
                + ")");
        out().println("leader    " + dash(d.get("leader")));
        List<Map<String, Object>> instances = (List<Map<String, Object>>) d.get("instances");
        out().println();
        if (instances.isEmpty()) {
            out().println("no SmartMQ instance registered");
        } else {
            List<List<String>> rows = new ArrayList<>();
            for (Map<String, Object> i : instances) {
                rows.add(List.of(Views.cell(String.valueOf(i.get("instanceId")), 48),
                        String.valueOf(i.get("sdkVersion")),
                        i.get("effectiveState") + (Boolean.TRUE.equals(i.get("diverged")) ? " (DIVERGED)" : ""),
                        String.valueOf(i.get("lastEpochSeen")),
                        Views.cell(String.join(",", (List<String>) i.get("roles")), 60),
                        String.valueOf(i.get("startedAt"))));
            }
            Views.printTable(out(), List.of("INSTANCE", "VERSION", "LOCAL STATE", "EPOCH", "ROLES", "STARTED"), rows);
        }
        List<Map<String, Object>> groups = (List<Map<String, Object>>) d.get("groups");
        if (!groups.isEmpty()) {
            out().println();
            List<List<String>> rows = new ArrayList<>();
            for (Map<String, Object> g : groups) {
                rows.add(List.of(String.valueOf(g.get("topic")), String.valueOf(g.get("group")),
                        String.valueOf(g.get("liveConsumers")),
                        g.get("backlog") == null ? (redis ? "-" : "(no --redis)") : String.valueOf(g.get("backlog")),
                        g.get("delayed") == null ? "-" : String.valueOf(g.get("delayed"))));
            }
            Views.printTable(out(), List.of("TOPIC", "GROUP", "CONSUMERS", "BACKLOG", "DELAYED"), rows);
        }
        List<String> warnings = (List<String>) d.get("warnings");
        out().println();
        if (warnings.isEmpty()) {
            out().println("no warnings");
        }
        for (String w : warnings) {
            out().println("WARNING " + w);
        }
        out().println();
    }

    private static String dash(Object o) {
        return o == null || o.toString().isEmpty() ? "-" : o.toString();
    }
}
