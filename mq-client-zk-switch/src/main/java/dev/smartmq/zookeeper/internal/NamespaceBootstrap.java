package dev.smartmq.zookeeper.internal;

import dev.smartmq.spi.SwitchAccessDeniedException;
import dev.smartmq.spi.SwitchUnavailableException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The namespace's nodes and their ACLs: works out the writer and structure ACLs from the configured writers,
 * creates the namespace's fixed nodes when they are missing ({@link #bootstrap}, idempotent: the first creator's
 * ACLs stay), tightens a node left world-writable by an older version, and keeps the namespace's shard count
 * ({@link #recordShardCount}).
 *
 * <p>Thread rules: thread-safe; every call blocks up to the deadline it is given (or one operation timeout).
 */
public final class NamespaceBootstrap {
    private static final Logger log = LoggerFactory.getLogger(NamespaceBootstrap.class);

    private final ZkSession session;
    private final ZkLayout layout;
    private final String namespace;
    private final boolean hasWriters;
    private final List<ACL> writerAcl;
    private final List<ACL> structureAcl;
    /** Paths whose ACL this client checked (and tightened if open); see {@link #tightenIfOpen}. */
    private final Set<String> tightened = ConcurrentHashMap.newKeySet();

    public NamespaceBootstrap(ZkSession session) {
        this.session = session;
        this.layout = session.layout();
        this.namespace = session.namespace();
        List<String> writers = session.settings().writers();
        this.hasWriters = !writers.isEmpty();
        if (writers.isEmpty()) {
            this.writerAcl = ZooDefs.Ids.OPEN_ACL_UNSAFE;
            this.structureAcl = ZooDefs.Ids.OPEN_ACL_UNSAFE;
        } else {
            List<ACL> w = new ArrayList<>();
            List<ACL> s = new ArrayList<>();
            // Every node of the namespace: anyone reads, only writers create, change or delete (children too:
            // ZooKeeper checks CREATE and DELETE on the parent, so a foreign client can neither add a group, nor
            // delete a live consumer, nor put a node in the leader latch).
            w.add(new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE));
            // The root levels and the namespace node: others may add nodes (other namespaces; a non-writer instance
            // bootstrapping the namespace's nodes with the writers' ACL), nobody else may delete.
            s.add(new ACL(ZooDefs.Perms.READ | ZooDefs.Perms.CREATE, ZooDefs.Ids.ANYONE_ID_UNSAFE));
            for (String id : writers) {
                w.add(new ACL(ZooDefs.Perms.ALL, new Id("digest", id)));
                s.add(new ACL(ZooDefs.Perms.ALL, new Id("digest", id)));
            }
            this.writerAcl = List.copyOf(w);
            this.structureAcl = List.copyOf(s);
        }
    }

    /** The ACL of every node below the namespace node. */
    public List<ACL> writerAcl() {
        return writerAcl;
    }

    /** The ACL of the root levels and the namespace node. */
    public List<ACL> structureAcl() {
        return structureAcl;
    }

    /** Creates the namespace's nodes if missing (idempotent; the first creator's ACLs stay). */
    public void bootstrap(CuratorFramework c, long deadline) {
        String root = layout.root();
        if (!"/".equals(root)) {
            String[] parts = root.substring(1).split("/");
            StringBuilder p = new StringBuilder();
            for (String part : parts) {
                p.append('/').append(part);
                ensureNode(c, p.toString(), structureAcl, null, deadline);
            }
        }
        // World CREATE on the namespace node lets an instance that is not a writer (a read-only tool) bootstrap
        // the nodes below with the writers' ACL; DELETE stays with the writers.
        ensureNode(c, layout.namespacePath(), structureAcl, null, deadline);
        // The empty switch node is created up front so that only writers can ever put a document in it.
        ensureNode(c, layout.switchPath(), writerAcl, new byte[0], deadline);
        ensureNode(c, layout.historyPath(), writerAcl, null, deadline);
        ensureNode(c, layout.groupsPath(), writerAcl, null, deadline);
        ensureNode(c, layout.leaderPath(), writerAcl, null, deadline);
    }

    /** Creates {@code path} (PERSISTENT, writer ACL) if missing; an existing one is tightened if open. */
    public void ensureWriterNode(CuratorFramework c, String path, long deadline) {
        ensureNode(c, path, writerAcl, null, deadline);
    }

    private void ensureNode(CuratorFramework c, String path, List<ACL> acl, byte[] data, long deadline) {
        byte[] bytes = data == null ? new byte[0] : data;
        CuratorEvent e = ZkCalls.call(deadline, "create of " + path, cb -> c.create().withMode(CreateMode.PERSISTENT)
                .withACL(acl).inBackground(cb).forPath(path, bytes));
        KeeperException.Code rc = ZkCalls.code(e);
        if (rc == KeeperException.Code.NODEEXISTS) {
            if (acl == writerAcl) {
                tightenIfOpen(c, path, acl, deadline);
            }
            return;
        }
        if (rc == KeeperException.Code.OK) {
            return;
        }
        if (rc == KeeperException.Code.NOAUTH) {
            throw new SwitchAccessDeniedException("this identity may not create " + path, KeeperException.create(rc));
        }
        throw ZkCalls.unavailable("create of " + path, rc);
    }

    /**
     * A node created before writers were configured (or by an older version, which left the registry and
     * the latch open) gets the writer ACL, once per path and client. Best effort: a node this identity may not
     * administer is reported and left as it is.
     */
    private void tightenIfOpen(CuratorFramework c, String path, List<ACL> acl, long deadline) {
        if (!hasWriters || !tightened.add(path)) {
            return;
        }
        CuratorEvent read = ZkCalls.call(deadline, "ACL read of " + path,
                cb -> c.getACL().inBackground(cb).forPath(path));
        if (ZkCalls.code(read) != KeeperException.Code.OK || read.getACLList() == null) {
            tightened.remove(path);
            return;
        }
        boolean open = read.getACLList().stream().anyMatch(a -> ZooDefs.Ids.ANYONE_ID_UNSAFE.equals(a.getId())
                && (a.getPerms() & ~acl.stream().filter(x -> ZooDefs.Ids.ANYONE_ID_UNSAFE.equals(x.getId()))
                        .mapToInt(ACL::getPerms).reduce(0, (x, y) -> x | y)) != 0);
        if (!open) {
            return;
        }
        CuratorEvent set = ZkCalls.call(deadline, "ACL change of " + path,
                cb -> c.setACL().withACL(acl).inBackground(cb).forPath(path));
        KeeperException.Code rc = ZkCalls.code(set);
        if (rc == KeeperException.Code.OK) {
            log.warn("SmartMQ switch [{}]: {} was writable by any client; it now carries the writer ACL",
                    namespace, path);
        } else {
            log.error("SmartMQ switch [{}]: {} is writable by any client and this identity cannot fix it ({}); "
                    + "set its ACL to the writers by hand", namespace, path, rc);
        }
    }

    /**
     * Creates {@code shards} (writer ACL) holding {@code shards} if it does not exist, and returns what it holds.
     * Empty when the node cannot be created by this identity and does not exist, when ZooKeeper does not answer
     * within the operation timeout, or when its content is not a shard count (logged at ERROR).
     */
    public OptionalInt recordShardCount(CuratorFramework c, int shards) {
        String path = layout.shardsPath();
        long deadline = session.deadline();
        try {
            byte[] mine = Integer.toString(shards).getBytes(StandardCharsets.US_ASCII);
            CuratorEvent created = ZkCalls.call(deadline, "create of " + path, cb -> c.create()
                    .withMode(CreateMode.PERSISTENT).withACL(writerAcl).inBackground(cb).forPath(path, mine));
            KeeperException.Code rc = ZkCalls.code(created);
            if (rc == KeeperException.Code.OK) {
                log.info("SmartMQ switch [{}]: namespace shard count {} stored at {}", namespace, shards, path);
                return OptionalInt.of(shards);
            }
            if (rc != KeeperException.Code.NODEEXISTS && rc != KeeperException.Code.NOAUTH) {
                return OptionalInt.empty();
            }
            CuratorEvent read = ZkCalls.call(deadline, "read of " + path,
                    cb -> c.getData().inBackground(cb).forPath(path));
            if (ZkCalls.code(read) != KeeperException.Code.OK) {
                return OptionalInt.empty();
            }
            byte[] data = read.getData() == null ? new byte[0] : read.getData();
            String text = new String(data, StandardCharsets.US_ASCII);
            try {
                int stored = Integer.parseInt(text.trim());
                if (stored >= 1) {
                    return OptionalInt.of(stored);
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            log.error("SmartMQ switch [{}]: IGNORING {}: '{}' is not a shard count; fix or delete it", namespace,
                    path, SwitchDocumentCodec.preview(data));
            return OptionalInt.empty();
        } catch (SwitchUnavailableException e) {
            return OptionalInt.empty();
        }
    }
}
