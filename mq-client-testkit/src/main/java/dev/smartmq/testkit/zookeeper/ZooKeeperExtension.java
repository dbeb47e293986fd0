package dev.smartmq.testkit.zookeeper;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension: one ZooKeeper server (or 3-node ensemble) shared by every test of a class, started
 * before the first test and closed after the last.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final ZooKeeperExtension zk = ZooKeeperExtension.server();   // or .ensemble()
 *
 * @Test void works() { CuratorFramework client = zk.newClient(); ... }
 * }</pre>
 *
 * Register it on a {@code static} field. Tests that stop or break the server should restore it (or use
 * their own {@link ZooKeeperServer}), because the next test of the class shares it. Clients made by
 * {@link #newClient()} are closed after the class.
 */
public final class ZooKeeperExtension implements BeforeAllCallback, AfterAllCallback {

    private final boolean ensemble;
    private final List<CuratorFramework> clients = new CopyOnWriteArrayList<>();
    private volatile ZooKeeperServer server;
    private volatile ZooKeeperEnsemble cluster;

    private ZooKeeperExtension(boolean ensemble) {
        this.ensemble = ensemble;
    }

    /** A single server per test class. */
    public static ZooKeeperExtension server() {
        return new ZooKeeperExtension(false);
    }

    /** A 3-node ensemble per test class. */
    public static ZooKeeperExtension ensemble() {
        return new ZooKeeperExtension(true);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (ensemble) {
            cluster = ZooKeeperEnsemble.start();
        } else {
            server = ZooKeeperServer.start();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        for (CuratorFramework c : clients) {
            c.close();
        }
        clients.clear();
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /** Connect string of the server or of every node of the ensemble. */
    public String connectString() {
        return ensemble ? zooKeeperEnsemble().connectString() : zooKeeperServer().connectString();
    }

    /** The single server ({@link #server()} mode only). */
    public ZooKeeperServer zooKeeperServer() {
        ZooKeeperServer s = server;
        if (s == null) {
            throw new IllegalStateException(ensemble ? "this extension runs an ensemble; use zooKeeperEnsemble()"
                    : "not started: register the extension on a static field");
        }
        return s;
    }

    /** The ensemble ({@link #ensemble()} mode only). */
    public ZooKeeperEnsemble zooKeeperEnsemble() {
        ZooKeeperEnsemble e = cluster;
        if (e == null) {
            throw new IllegalStateException(!ensemble ? "this extension runs a single server; use zooKeeperServer()"
                    : "not started: register the extension on a static field");
        }
        return e;
    }

    /** Expires {@code client}'s session on the server side. */
    public void expireSession(CuratorFramework client) {
        if (ensemble) {
            zooKeeperEnsemble().expireSession(client);
        } else {
            zooKeeperServer().expireSession(client);
        }
    }

    /**
     * A started Curator client of this server with a 10 s session and a bounded retry policy; closed after
     * the test class.
     */
    public CuratorFramework newClient() {
        CuratorFramework c = CuratorFrameworkFactory.builder()
                .connectString(connectString())
                .sessionTimeoutMs(10_000)
                .connectionTimeoutMs(5_000)
                .retryPolicy(new ExponentialBackoffRetry(100, 5, 1_000))
                .build();
        clients.add(c);
        c.start();
        return c;
    }
}
