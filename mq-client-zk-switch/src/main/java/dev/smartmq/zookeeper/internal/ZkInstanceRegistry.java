package dev.smartmq.zookeeper.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.spi.InstanceReport;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The namespace's instance registry (issue 22): one EPHEMERAL node per running SmartMQ instance under
 * {@code {root}/{namespace}/instances/}, holding its {@link InstanceReport} plus its leadership as a small JSON
 * document (version {@value #VERSION}). The node disappears with the instance's session; it is created with the
 * writer ACL and re-created after a new session.
 *
 * <p>Writes: only when the document changes (a new report, a leadership change) or after a (re)connection; never
 * a heartbeat. Reads ({@link #readAll}) validate every name and document and skip a bad one with a WARN.
 *
 * <p>Thread rules: the writer methods must be called on one thread (the switch's serial event executor); they
 * block for at most one ZooKeeper round trip each (Curator's retry policy bounds it). {@link #readAll} is
 * stateless and thread-safe.
 */
public final class ZkInstanceRegistry {
    private static final Logger log = LoggerFactory.getLogger(ZkInstanceRegistry.class);

    /** The document version written and read. */
    public static final int VERSION = 1;
    private static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9._-]{1,200}");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** One instance as read back from the registry. */
    public record Instance(InstanceReport report, boolean leader, String node) {
    }

    private final String parentPath;
    private final List<ACL> writerAcl;
    private final List<ACL> structureAcl;
    private final String namespace;
    private InstanceReport report;
    private boolean leader;
    private byte[] written;
    private long writtenSession;
    private String path;

    public ZkInstanceRegistry(ZkLayout layout, List<ACL> writerAcl, List<ACL> structureAcl) {
        this.parentPath = instancesPath(layout);
        this.writerAcl = writerAcl;
        this.structureAcl = structureAcl;
        this.namespace = layout.namespace();
    }

    public static String instancesPath(ZkLayout layout) {
        return layout.namespacePath() + "/instances";
    }

    /** The node name of an instance id: its characters outside {@code [A-Za-z0-9._-]} become {@code _}. */
    public static String nodeName(String instanceId) {
        String n = instanceId.replaceAll("[^A-Za-z0-9._-]", "_");
        return n.length() > 200 ? n.substring(0, 200) : n;
    }

    /** A new report; written now if connected (otherwise on the next {@link #sync}). */
    public void update(CuratorFramework c, InstanceReport r, boolean connected) {
        this.report = r;
        if (connected) {
            sync(c, false);
        }
    }

    /** Leadership changed; written if it changes the document. */
    public void leadership(CuratorFramework c, boolean isLeader, boolean connected) {
        this.leader = isLeader;
        if (connected && report != null) {
            sync(c, false);
        }
    }

    /**
     * Writes the document if it changed, or (after a reconnection, {@code force}) makes sure the node exists and
     * belongs to the current session. Failures are logged; the next call retries.
     */
    public void sync(CuratorFramework c, boolean force) {
        InstanceReport r = report;
        if (r == null) {
            return;
        }
        byte[] doc = encode(r, leader);
        try {
            long session = c.getZookeeperClient().getZooKeeper().getSessionId();
            if (!force && session == writtenSession && java.util.Arrays.equals(doc, written)) {
                return;
            }
            path = parentPath + "/" + nodeName(r.instanceId());
            try {
                c.create().withMode(CreateMode.PERSISTENT).withACL(structureAcl).forPath(parentPath);
            } catch (KeeperException.NodeExistsException e) {
                // the usual case
            }
            Stat stat = c.checkExists().forPath(path);
            if (stat != null && stat.getEphemeralOwner() != session) {
                // Left by our previous session, not expired yet: it would vanish later and take our entry along.
                c.delete().guaranteed().forPath(path);
                stat = null;
            }
            if (stat == null) {
                c.create().withMode(CreateMode.EPHEMERAL).withACL(writerAcl).forPath(path, doc);
            } else {
                c.setData().forPath(path, doc);
            }
            written = doc;
            writtenSession = session;
        } catch (Exception e) {
            log.warn("SmartMQ switch [{}]: instance registry entry {} not written now ({}); retried on the next "
                    + "change or reconnection", namespace, path, e.toString());
        }
    }

    /** Deletes this instance's entry (best effort: it disappears with the session anyway). */
    public void remove(CuratorFramework c) {
        String p = path;
        if (p == null || written == null) {
            return;
        }
        try {
            c.delete().forPath(p);
        } catch (KeeperException.NoNodeException e) {
            // already gone
        } catch (Exception e) {
            log.debug("SmartMQ switch [{}]: instance entry {} not deleted ({}); it goes with the session",
                    namespace, p, e.toString());
        }
    }

    // ------------------------------------------------------------------------------------------- codec

    public static byte[] encode(InstanceReport r, boolean leader) {
        ObjectNode d = MAPPER.createObjectNode();
        d.put("v", VERSION);
        d.put("instanceId", r.instanceId());
        d.put("host", r.host());
        d.put("pid", r.pid());
        d.put("sdkVersion", r.sdkVersion());
        d.put("startedAt", r.startedAt().toString());
        d.put("effectiveState", r.effectiveState().name());
        d.put("effectiveSince", r.effectiveSince().toString());
        d.put("lastEpochSeen", r.lastEpochSeen());
        d.put("producer", r.producer());
        ArrayNode groups = d.putArray("consumerGroups");
        r.consumerGroups().forEach(groups::add);
        d.put("leader", leader);
        try {
            return MAPPER.writeValueAsBytes(d);
        } catch (IOException e) {
            throw new IllegalStateException("could not encode the instance document", e);
        }
    }

    /** Decodes one entry; throws {@link IllegalArgumentException} naming what is wrong. */
    public static Instance decode(String node, byte[] data) {
        if (!NODE_NAME.matcher(node).matches()) {
            throw new IllegalArgumentException("bad node name '" + node + "'");
        }
        JsonNode d;
        try {
            d = MAPPER.readTree(data == null ? new byte[0] : data);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage());
        }
        if (d == null || !d.isObject() || d.path("v").asInt(-1) != VERSION) {
            throw new IllegalArgumentException("not a version " + VERSION + " instance document");
        }
        try {
            TreeSet<String> groups = new TreeSet<>();
            for (JsonNode g : required(d, "consumerGroups")) {
                String s = g.asText();
                if (!s.matches("[A-Za-z0-9%_-]{1,255}/[A-Za-z0-9%_-]{1,255}")) {
                    throw new IllegalArgumentException("bad consumer group '" + s + "'");
                }
                groups.add(s);
            }
            String id = required(d, "instanceId").asText();
            if (!nodeName(id).equals(node)) {
                throw new IllegalArgumentException("instanceId '" + id + "' does not match its node");
            }
            InstanceReport r = new InstanceReport(id, required(d, "host").asText(), required(d, "pid").asLong(),
                    required(d, "sdkVersion").asText(), Instant.parse(required(d, "startedAt").asText()),
                    SwitchState.valueOf(required(d, "effectiveState").asText()),
                    Instant.parse(required(d, "effectiveSince").asText()), required(d, "lastEpochSeen").asLong(),
                    required(d, "producer").asBoolean(), groups);
            return new Instance(r, required(d, "leader").asBoolean(), node);
        } catch (java.time.format.DateTimeParseException | IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private static JsonNode required(JsonNode d, String field) {
        JsonNode n = d.get(field);
        if (n == null || n.isNull()) {
            throw new IllegalArgumentException("missing field '" + field + "'");
        }
        return n;
    }

    /**
     * Every valid instance entry of the namespace, sorted by node name; a malformed one is skipped with a WARN
     * and named in {@code skipped}. An absent registry is an empty list.
     */
    public static List<Instance> readAll(CuratorFramework c, ZkLayout layout, List<String> skipped) throws Exception {
        String parent = instancesPath(layout);
        List<String> children;
        try {
            children = new ArrayList<>(c.getChildren().forPath(parent));
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        }
        children.sort(null);
        List<Instance> out = new ArrayList<>();
        for (String child : children) {
            byte[] data;
            try {
                data = c.getData().forPath(parent + "/" + child);
            } catch (KeeperException.NoNodeException e) {
                continue; // the instance just left
            }
            try {
                out.add(decode(child, data));
            } catch (IllegalArgumentException e) {
                log.warn("SmartMQ [{}]: instance registry entry '{}' skipped: {}", layout.namespace(), child,
                        e.getMessage());
                skipped.add(child + ": " + e.getMessage());
            }
        }
        return out;
    }
}
