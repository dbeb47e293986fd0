package dev.smartmq.admin;

import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.zookeeper.internal.MalformedSwitchDocumentException;
import dev.smartmq.zookeeper.internal.SwitchDocumentCodec;
import dev.smartmq.zookeeper.internal.ZkInstanceRegistry;
import dev.smartmq.zookeeper.internal.ZkLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/**
 * Reads one namespace's fleet in one pass over an existing ZooKeeper session (and, if given, the fallback store):
 * the switch document, the elected leader, the instance registry, the registered groups with their live consumers
 * and backlog, and the warnings an operator must act on (issue 22). Writes nothing.
 *
 * <p>Thread rules: one instance per read; not shared.
 */
final class FleetView {

    private static final Pattern LATCH = Pattern.compile(".*latch-(\\d{10})");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,127}");

    /** Bounds of the warnings. */
    record Bounds(Duration divergence, Duration recovering) {
    }

    private FleetView() {
    }

    /** The namespaces under {@code root}, sorted; a name that is not a valid namespace is skipped loudly. */
    static List<String> namespaces(CuratorFramework c, String root, List<String> warnings) throws Exception {
        List<String> out = new ArrayList<>();
        List<String> children;
        try {
            children = c.getChildren().forPath(root);
        } catch (KeeperException.NoNodeException e) {
            return out;
        }
        for (String n : children) {
            if (NAME.matcher(n).matches()) {
                out.add(n);
            } else {
                warnings.add("skipped a node under " + root + " that is not a namespace name: '" + Views.cell(n, 60) + "'");
            }
        }
        out.sort(null);
        return out;
    }

    /** The status document of one namespace (the JSON the command prints, and what its table shows). */
    static Map<String, Object> read(CuratorFramework c, ZkLayout layout, RedisFallbackStore store, Instant now,
                                    Bounds bounds) throws Exception {
        List<String> warnings = new ArrayList<>();
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("namespace", layout.namespace());

        SwitchStatus s = SwitchStatus.initial();
        try {
            byte[] data = c.getData().forPath(layout.switchPath());
            if (data != null && data.length > 0) {
                s = new SwitchDocumentCodec().decode(data);
            }
        } catch (KeeperException.NoNodeException e) {
            // a namespace nobody initialized: the initial state
        } catch (MalformedSwitchDocumentException e) {
            warnings.add("MALFORMED_SWITCH: the switch document is malformed (" + e.getMessage()
                    + "); instances keep their last good state");
        }
        doc.put("switch", Views.status(s, now));

        // The election's participant id is the switch's identity; the registry names the engine's instance id.
        String participant = leader(c, layout, warnings);
        String leader = participant;
        doc.put("leader", leader);
        doc.put("electionLeader", participant);

        List<String> skipped = new ArrayList<>();
        List<ZkInstanceRegistry.Instance> instances = ZkInstanceRegistry.readAll(c, layout, skipped);
        for (String sk : skipped) {
            warnings.add("MALFORMED_INSTANCE: registry entry skipped: " + sk);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ZkInstanceRegistry.Instance i : instances) {
            Map<String, Object> m = new LinkedHashMap<>();
            var r = i.report();
            m.put("instanceId", r.instanceId());
            m.put("host", r.host());
            m.put("pid", r.pid());
            m.put("sdkVersion", r.sdkVersion());
            m.put("startedAt", r.startedAt().toString());
            m.put("effectiveState", r.effectiveState().name());
            m.put("effectiveSince", r.effectiveSince().toString());
            m.put("lastEpochSeen", r.lastEpochSeen());
            List<String> roles = new ArrayList<>();
            if (i.leader()) {
                roles.add("leader");
            }
            if (r.producer()) {
                roles.add("producer");
            }
            r.consumerGroups().forEach(g -> roles.add("consumer:" + g));
            m.put("roles", roles);
            boolean diverged = false;
            if (r.effectiveState() != s.state()) {
                Instant since = r.effectiveSince().isAfter(s.changedAt()) ? r.effectiveSince() : s.changedAt();
                Duration d = Duration.between(since, now);
                if (d.compareTo(bounds.divergence()) > 0) {
                    diverged = true;
                    warnings.add("DIVERGED: instance " + r.instanceId() + " routes by " + r.effectiveState()
                            + " but the switch is " + s.state() + " (epoch " + s.epoch() + ", instance saw "
                            + r.lastEpochSeen() + ") for " + Durations.format(d.withNanos(0)) + " (bound "
                            + Durations.format(bounds.divergence()) + ")");
                }
            }
            m.put("diverged", diverged);
            rows.add(m);
        }
        doc.put("instances", rows);
        if (participant != null) {
            for (ZkInstanceRegistry.Instance i : instances) {
                if (i.leader()) {
                    leader = i.report().instanceId();
                    doc.put("leader", leader);
                }
            }
        }

        boolean stuckState = s.state() == SwitchState.DEGRADED || s.state() == SwitchState.RECOVERING;
        if (stuckState && leader == null) {
            warnings.add("NO_LEADER: the switch is " + s.state() + " and no SmartMQ instance holds the leadership: "
                    + (s.state() == SwitchState.RECOVERING ? "nobody will finish the drain and move it to NORMAL"
                    : "nobody probes the MQ to recover") + " (" + instances.size() + " instance(s) registered)");
        }
        if (s.state() == SwitchState.RECOVERING && s.epoch() > 0) {
            Duration d = Duration.between(s.changedAt(), now);
            if (d.compareTo(bounds.recovering()) > 0) {
                warnings.add("RECOVERING_TOO_LONG: RECOVERING for " + Durations.format(d.withNanos(0)) + " (bound "
                        + Durations.format(bounds.recovering()) + "): check the backlog and the consumers below");
            }
        }

        List<Map<String, Object>> groups = new ArrayList<>();
        String groupsPath = layout.groupsPath();
        for (String topic : children(c, groupsPath)) {
            if (!NAME.matcher(topic).matches()) {
                warnings.add("MALFORMED_GROUP: skipped topic node '" + Views.cell(topic, 60) + "'");
                continue;
            }
            for (String group : children(c, groupsPath + "/" + topic)) {
                if (!NAME.matcher(group).matches()) {
                    warnings.add("MALFORMED_GROUP: skipped group node '" + Views.cell(group, 60) + "' of " + topic);
                    continue;
                }
                int live = children(c, groupsPath + "/" + topic + "/" + group).size();
                Map<String, Object> g = new LinkedHashMap<>();
                g.put("topic", topic);
                g.put("group", group);
                g.put("liveConsumers", live);
                g.put("backlog", store == null ? null : store.backlog(topic, group));
                // Held until due (not in the backlog): a group whose only messages are delayed is not empty.
                g.put("delayed", store == null ? null : store.delayedBacklog(topic, group));
                groups.add(g);
                if (live == 0) {
                    warnings.add("NO_CONSUMERS: group " + group + " of topic " + topic + " has no live consumer"
                            + (store == null ? "" : " (backlog " + g.get("backlog") + ", delayed " + g.get("delayed")
                            + ")"));
                }
            }
        }
        doc.put("groups", groups);
        doc.put("warnings", warnings);
        return doc;
    }

    /** The participant id of the lowest latch node, or null if nobody is in the election. */
    private static String leader(CuratorFramework c, ZkLayout layout, List<String> warnings) throws Exception {
        List<String[]> latches = new ArrayList<>();
        for (String n : children(c, layout.leaderPath())) {
            Matcher m = LATCH.matcher(n);
            if (m.matches()) {
                latches.add(new String[] {m.group(1), n});
            } else {
                warnings.add("MALFORMED_LEADER: skipped election node '" + Views.cell(n, 60) + "'");
            }
        }
        latches.sort(Comparator.comparing(a -> a[0]));
        for (String[] l : latches) {
            try {
                byte[] id = c.getData().forPath(layout.leaderPath() + "/" + l[1]);
                String s = id == null ? "" : new String(id, StandardCharsets.UTF_8);
                if (s.isEmpty() || s.length() > 255 || !s.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f)) {
                    warnings.add("MALFORMED_LEADER: election node " + l[1] + " has no valid participant id");
                    continue;
                }
                return s;
            } catch (KeeperException.NoNodeException e) {
                // that participant just left; the next one leads
            }
        }
        return null;
    }

    private static List<String> children(CuratorFramework c, String path) throws Exception {
        try {
            List<String> l = new ArrayList<>(c.getChildren().forPath(path));
            l.sort(null);
            return l;
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        }
    }
}
