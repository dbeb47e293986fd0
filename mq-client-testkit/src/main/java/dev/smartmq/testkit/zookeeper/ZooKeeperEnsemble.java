package dev.smartmq.testkit.zookeeper;

import dev.smartmq.testkit.ShutdownHooks;
import dev.smartmq.testkit.WorkDirs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;

/**
 * A real 3-node ZooKeeper ensemble in the test JVM (Curator's {@link TestingCluster}), every node on free
 * loopback ports with its data under {@link dev.smartmq.testkit.WorkDirs}. Killing one node keeps a
 * quorum; clients connected to it move to another node.
 *
 * <pre>{@code
 * try (ZooKeeperEnsemble zk = ZooKeeperEnsemble.start()) {
 *     InstanceSpec node = zk.killServerOf(client);   // the node the client is connected to
 *     ...                                           // the client reconnects to another node
 *     zk.restartServer(node);
 * }
 * }</pre>
 */
public final class ZooKeeperEnsemble implements AutoCloseable {

    /** Number of nodes. */
    public static final int SIZE = 3;

    private final TestingCluster cluster;
    private final List<InstanceSpec> specs;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread shutdownHook;

    private ZooKeeperEnsemble(TestingCluster cluster, List<InstanceSpec> specs) {
        this.cluster = cluster;
        this.specs = List.copyOf(specs);
        this.shutdownHook = new Thread(this::closeQuietly, "smartmq-testkit-zk-ensemble-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Starts a 3-node ensemble (returns once every node is started; the quorum forms right after). */
    public static ZooKeeperEnsemble start() {
        List<InstanceSpec> specs = new ArrayList<>();
        Set<Integer> ports = new HashSet<>();
        for (int id = 1; id <= SIZE; id++) {
            specs.add(Fixtures.loopbackSpec(WorkDirs.create("zookeeper-" + id).toFile(), id, ports));
        }
        TestingCluster cluster = new TestingCluster(specs);
        try {
            cluster.start();
        } catch (Exception e) {
            try {
                cluster.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new IllegalStateException("ZooKeeper ensemble did not start: " + specs, e);
        }
        return new ZooKeeperEnsemble(cluster, specs);
    }

    /** Connect string naming every node. */
    public String connectString() {
        return cluster.getConnectString();
    }

    /** Connect string naming one node only: a client given it cannot fail over (for partition scenarios). */
    public String connectString(InstanceSpec server) {
        return server.getHostname() + ":" + server.getPort();
    }

    /** The nodes, in server-id order. */
    public List<InstanceSpec> servers() {
        return specs;
    }

    /** The node {@code client} is connected to right now. */
    public InstanceSpec serverOf(CuratorFramework client) {
        try {
            InstanceSpec spec = cluster.findConnectionInstance(client.getZookeeperClient().getZooKeeper());
            if (spec == null) {
                throw new IllegalStateException("client is not connected to any node of " + connectString());
            }
            return spec;
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot tell which node the client is connected to", e);
        }
    }

    /** Kills one node (the others keep a quorum). */
    public void killServer(InstanceSpec server) {
        try {
            if (!cluster.killServer(server)) {
                throw new IllegalArgumentException("not a node of this ensemble: " + server);
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("could not kill " + server, e);
        }
    }

    /** Kills the node {@code client} is connected to and returns it. */
    public InstanceSpec killServerOf(CuratorFramework client) {
        InstanceSpec spec = serverOf(client);
        killServer(spec);
        return spec;
    }

    /** Restarts a killed node with its data. */
    public void restartServer(InstanceSpec server) {
        try {
            if (!cluster.restartServer(server)) {
                throw new IllegalArgumentException("not a node of this ensemble: " + server);
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("could not restart " + server, e);
        }
    }

    /** Expires {@code client}'s session on the server side (see {@link ZooKeeperServer#expireSession}). */
    public void expireSession(CuratorFramework client) {
        Fixtures.expireSession(client, connectString(), Duration.ofSeconds(10));
    }

    @Override
    public void close() {
        if (closeQuietly()) {
            ShutdownHooks.remove(shutdownHook);
        }
    }

    private boolean closeQuietly() {
        if (!closed.compareAndSet(false, true)) {
            return false;
        }
        try {
            cluster.close();
        } catch (IOException e) {
            throw new UncheckedIOException("could not close the ZooKeeper ensemble " + connectString(), e);
        }
        return true;
    }

    @Override
    public String toString() {
        return "ZooKeeperEnsemble{" + connectString() + (closed.get() ? ", CLOSED" : "") + "}";
    }
}
