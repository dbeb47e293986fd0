package dev.smartmq.testkit.zookeeper;

import dev.smartmq.testkit.ShutdownHooks;
import dev.smartmq.testkit.WorkDirs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/**
 * A real, single ZooKeeper server in the test JVM (Curator's {@link TestingServer}), listening on a free
 * loopback port, its data under {@link WorkDirs}. {@link #stop()} and {@link #restart()} keep port and
 * data, so clients reconnect to the same address and find the same znodes.
 *
 * <pre>{@code
 * try (ZooKeeperServer zk = ZooKeeperServer.start()) {
 *     CuratorFramework client = CuratorFrameworkFactory.newClient(zk.connectString(), retryPolicy);
 *     ...
 *     zk.stop();      // clients see SUSPENDED (then LOST after the session timeout)
 *     zk.restart();   // clients see RECONNECTED
 * }
 * }</pre>
 *
 * Closing deletes the data directory. A shutdown hook closes a server the test forgot to close.
 */
public final class ZooKeeperServer implements AutoCloseable {

    private enum State { STARTED, STOPPED, CLOSED }

    private final TestingServer server;
    private final InstanceSpec spec;
    private final AtomicReference<State> state = new AtomicReference<>(State.STARTED);
    private final Thread shutdownHook;

    private ZooKeeperServer(TestingServer server, InstanceSpec spec) {
        this.server = server;
        this.spec = spec;
        this.shutdownHook = new Thread(this::closeQuietly, "smartmq-testkit-zk-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Starts a server on a free loopback port. */
    public static ZooKeeperServer start() {
        InstanceSpec spec = Fixtures.loopbackSpec(WorkDirs.create("zookeeper").toFile(), -1);
        try {
            return new ZooKeeperServer(new TestingServer(spec, true), spec);
        } catch (Exception e) {
            throw new IllegalStateException("ZooKeeper did not start on port " + spec.getPort(), e);
        }
    }

    /** {@code 127.0.0.1:<port>}. */
    public String connectString() {
        return server.getConnectString();
    }

    public int port() {
        return server.getPort();
    }

    public boolean isRunning() {
        return state.get() == State.STARTED;
    }

    /** Stops the server (clients lose their connection); port and data are kept for {@link #restart()}. */
    public void stop() {
        if (state.compareAndSet(State.STARTED, State.STOPPED)) {
            try {
                server.stop();
            } catch (IOException e) {
                throw new UncheckedIOException("could not stop ZooKeeper on port " + port(), e);
            }
        }
    }

    /** Starts a stopped server again on the same port with the same data. */
    public void restart() {
        if (!state.compareAndSet(State.STOPPED, State.STARTED)) {
            throw new IllegalStateException("restart() needs a stopped server, but it is " + state.get());
        }
        try {
            server.restart();
        } catch (Exception e) {
            throw new IllegalStateException("ZooKeeper did not restart on port " + port(), e);
        }
    }

    /**
     * Expires {@code client}'s session on the server: its ephemeral nodes are deleted and the client sees
     * {@code LOST}, then (Curator) a new session and {@code RECONNECTED}.
     */
    public void expireSession(CuratorFramework client) {
        Fixtures.expireSession(client, connectString(), Duration.ofSeconds(10));
    }

    /** The spec the server runs with (ports, data directory). */
    public InstanceSpec spec() {
        return spec;
    }

    @Override
    public void close() {
        if (closeQuietly()) {
            ShutdownHooks.remove(shutdownHook);
        }
    }

    private boolean closeQuietly() {
        if (state.getAndSet(State.CLOSED) == State.CLOSED) {
            return false;
        }
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException("could not close ZooKeeper on port " + spec.getPort(), e);
        }
        return true;
    }

    @Override
    public String toString() {
        return "ZooKeeperServer{" + spec.getHostname() + ":" + spec.getPort() + ", " + state.get() + "}";
    }
}
