package dev.smartmq.admin;

import dev.smartmq.api.internal.NamedThreadFactory;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.SwitchStore;
import dev.smartmq.zookeeper.ZkCoordination;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.BoundedExponentialBackoffRetry;
import org.apache.zookeeper.KeeperException;

/**
 * The CLI's ZooKeeper connection: one Curator client it owns, and the namespace's {@link ZkCoordination}
 * on top of it when a command needs the switch.
 *
 * <p>Read-only commands do not start the switch on a namespace that does not exist yet: starting it creates
 * the namespace's nodes, and whoever creates them first sets their ACLs, which must be the services' call.
 * Starting the switch also joins the namespace's leader election for the few seconds the CLI runs; it is a
 * participant like any other and leaves on close.
 */
final class ZkSession implements AutoCloseable {

    private final CommonOptions options;
    private final CuratorFramework client;
    private ZkCoordination zkSwitch;

    private ZkSession(CommonOptions options, CuratorFramework client) {
        this.options = options;
        this.client = client;
    }

    /**
     * Connects within {@code --timeout}.
     *
     * @throws AdminException exit 1 if ZooKeeper cannot be reached in time
     */
    static ZkSession connect(CommonOptions o, String auth) {
        String connect = o.requireZk();
        int timeoutMs = (int) o.timeout.toMillis();
        CuratorFrameworkFactory.Builder b = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .connectionTimeoutMs(timeoutMs)
                .sessionTimeoutMs(Math.max(10_000, 3 * timeoutMs))
                .retryPolicy(new BoundedExponentialBackoffRetry(100, 1_000, 3))
                .threadFactory(new NamedThreadFactory("admin-zk"));
        if (auth != null) {
            b.authorization("digest", auth.getBytes(StandardCharsets.UTF_8));
        }
        CuratorFramework client;
        try {
            client = b.build();
        } catch (IllegalArgumentException e) {
            throw AdminException.usage("--zk '" + connect + "' is not a valid connect string: " + e.getMessage());
        }
        client.start();
        boolean connected;
        try {
            connected = client.blockUntilConnected(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connected = false;
        }
        if (!connected) {
            client.close();
            throw new AdminException(ExitCodes.FAILURE, "ZooKeeper " + connect + " is not reachable (waited "
                    + Durations.format(o.timeout) + "); nothing was read or changed");
        }
        return new ZkSession(o, client);
    }

    /** The session's Curator client, to share with a switch built elsewhere (never closed by that switch). */
    CuratorFramework client() {
        return client;
    }

    String namespacePath() {
        return ("/".equals(options.zkRoot) ? "" : options.zkRoot) + "/" + options.namespace;
    }

    /** Whether any SmartMQ instance (or this tool) ever created the namespace's nodes. */
    boolean namespaceExists() {
        try {
            return client.checkExists().forPath(namespacePath()) != null;
        } catch (Exception e) {
            throw zkFailure("check of " + namespacePath(), e);
        }
    }

    /**
     * The namespace's switch, started on this session's client (creating the namespace's nodes if missing, with
     * the {@code --zk-writer} ACL).
     *
     * @throws AdminException exit 1 if the switch document could not be read
     */
    SwitchStore zkSwitch() {
        if (zkSwitch == null) {
            ZkCoordination s = ZkCoordination.builder()
                    .client(client)
                    .rootPath(options.zkRoot)
                    .namespace(options.namespace)
                    .operationTimeout(options.timeout)
                    .writers(options.zkWriters)
                    .instanceId("smartmq-admin/" + ProcessHandle.current().pid())
                    .joinElection(false) // an operator tool must never hold the leader role (no prober)
                    .build();
            s.start();
            zkSwitch = s;
            if (!s.switchStore().isReachable()) {
                throw new AdminException(ExitCodes.FAILURE, "could not read the switch of namespace "
                        + options.namespace + " from ZooKeeper " + options.zk + " within " + Durations.format(options.timeout)
                        + (options.verbose ? "" : " (run with --verbose for details)"));
            }
        }
        return zkSwitch.switchStore();
    }

    /** The switch document, or {@link SwitchStatus#initial()} for a namespace nobody created yet (nothing created). */
    SwitchStatus status() {
        return namespaceExists() ? zkSwitch().current() : SwitchStatus.initial();
    }

    /** The namespace's stored fallback shard count, read only (empty: none stored, or not a count). */
    java.util.OptionalInt storedShardCount() {
        String path = namespacePath() + "/shards";
        try {
            byte[] data = client.getData().forPath(path);
            int n = Integer.parseInt(new String(data == null ? new byte[0] : data,
                    java.nio.charset.StandardCharsets.US_ASCII).trim());
            return n >= 1 ? java.util.OptionalInt.of(n) : java.util.OptionalInt.empty();
        } catch (KeeperException.NoNodeException | NumberFormatException e) {
            return java.util.OptionalInt.empty();
        } catch (Exception e) {
            throw zkFailure("read of " + path, e);
        }
    }

    /** Consumer groups registered for {@code topic}, read from ZooKeeper (not a cache that may still be loading). */
    Set<String> groups(String topic) {
        return new TreeSet<>(children(namespacePath() + "/groups/" + topic));
    }

    /** Live consumer instances of (topic, group). */
    int liveConsumers(String topic, String group) {
        return children(namespacePath() + "/groups/" + topic + "/" + group).size();
    }

    /** Every registered topic and its groups, read from ZooKeeper (names as stored, not validated). */
    java.util.Map<String, Set<String>> registry() {
        java.util.Map<String, Set<String>> out = new java.util.TreeMap<>();
        for (String topic : children(namespacePath() + "/groups")) {
            out.put(topic, groups(topic));
        }
        return out;
    }

    /**
     * Deletes the group record of (topic, group). Refused (exit 4) while an instance of the group is live.
     *
     * @return false if there was no such group
     */
    boolean removeGroup(String topic, String group) {
        String path = namespacePath() + "/groups/" + topic + "/" + group;
        try {
            client.delete().forPath(path);
            return true;
        } catch (KeeperException.NoNodeException e) {
            return false;
        } catch (KeeperException.NotEmptyException e) {
            throw AdminException.precondition("group " + group + " of topic " + topic + " has a live consumer "
                    + "(registered meanwhile?): " + children(path) + "; not removed");
        } catch (Exception e) {
            throw zkFailure("delete of " + path, e);
        }
    }

    private List<String> children(String path) {
        try {
            return client.getChildren().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        } catch (Exception e) {
            throw zkFailure("list of " + path, e);
        }
    }

    private AdminException zkFailure(String what, Exception e) {
        if (e instanceof KeeperException.NoAuthException) {
            return new AdminException(ExitCodes.ACCESS_DENIED, "ZooKeeper refused the " + what + " (ACL)", e);
        }
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        return new AdminException(ExitCodes.FAILURE, "ZooKeeper " + options.zk + " failed the " + what + ": " + e, e);
    }

    @Override
    public void close() {
        try {
            if (zkSwitch != null) {
                zkSwitch.close();
            }
        } finally {
            client.close();
        }
    }
}
