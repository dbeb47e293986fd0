package dev.smartmq.zookeeper;

import dev.smartmq.spi.ConsumerRegistry;
import dev.smartmq.spi.Coordination;
import dev.smartmq.spi.Leadership;
import dev.smartmq.spi.SwitchAccessDeniedException;
import dev.smartmq.spi.SwitchStore;
import dev.smartmq.spi.SwitchUnavailableException;
import dev.smartmq.zookeeper.internal.NamespaceBootstrap;
import dev.smartmq.zookeeper.internal.SwitchDocumentCodec;
import dev.smartmq.zookeeper.internal.SwitchHistory;
import dev.smartmq.zookeeper.internal.SwitchWatcher;
import dev.smartmq.zookeeper.internal.SwitchWriter;
import dev.smartmq.zookeeper.internal.ZkCalls;
import dev.smartmq.zookeeper.internal.ZkConsumerRegistry;
import dev.smartmq.zookeeper.internal.ZkLeaderElection;
import dev.smartmq.zookeeper.internal.ZkLeaderView;
import dev.smartmq.zookeeper.internal.ZkReachability;
import dev.smartmq.zookeeper.internal.ZkSession;
import dev.smartmq.zookeeper.internal.ZkSwitchStore;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The degradation switch, consumer registry and leader election of one SmartMQ namespace on ZooKeeper with
 * Apache Curator, over one Curator client.
 *
 * <pre>{@code
 * ZkCoordination zk = ZkCoordination.builder()
 *         .connectString("zk1:2181,zk2:2181,zk3:2181")
 *         .namespace("orders")
 *         .authorization("digest", "orders-service:secret")
 *         .writers(List.of(ZkCoordination.digestIdentity("orders-service", "secret")))
 *         .build();
 * SmartMQ mq = SmartMQ.builder()....coordination(zk).build();   // the engine starts and closes it
 * }</pre>
 *
 * <p>Guarantees:
 * <ul>
 *   <li>{@link SwitchStore#transition} is a compare-and-set on the znode version: of several writers that start
 *       from the same epoch exactly one is applied; the others get {@code applied=false} and the winner's
 *       document. It never waits longer than the operation timeout and throws {@link SwitchUnavailableException}
 *       when ZooKeeper cannot be reached, {@link SwitchAccessDeniedException} when the ACL refuses this identity
 *       (nothing changed in either case, except the rare "sent but not confirmed" case the exception message
 *       names; the watch then shows the outcome).</li>
 *   <li>Reads ({@code current()}, {@code groups}, {@code isLeader()}) never block. While the connection is
 *       {@code SUSPENDED} or {@code LOST} the last known document holds and {@code isReachable()} is false; on
 *       {@code RECONNECTED} the document is re-read before reachability is reported again.</li>
 *   <li>A document this client cannot read, or one whose epoch goes backwards, is logged at ERROR and
 *       ignored: the last good document holds. Epochs only grow.</li>
 *   <li>{@code isLeader()} is false whenever ZooKeeper is unreachable, whatever the client's
 *       {@code ConnectionStateErrorPolicy}.</li>
 * </ul>
 *
 * <p>Resources: built with {@code connectString}, the coordination creates its Curator client and closes it in
 * {@link #close()}. Built with {@code client}, the client is shared and is never closed here (authorization is
 * then the shared client's business). It creates two daemon thread pools ({@code smartmq-zk-switch-<namespace>-<n>})
 * and shuts them down on close; listener executors belong to whoever passed them in. Secrets (the authorization)
 * are never logged; {@link #toString()} masks them.
 *
 * <p>Thread rules: {@link #start()} and {@link #close()} once each; the views may be used from any thread. The
 * work is done by the types of {@code dev.smartmq.zookeeper.internal}; this class wires them and runs the
 * re-synchronisation after each (re)connection on the serial event executor.
 */
public final class ZkCoordination implements Coordination {
    private static final Logger log = LoggerFactory.getLogger(ZkCoordination.class);

    private final ZkSettings settings;
    private final ZkSession session;
    private final NamespaceBootstrap bootstrap;
    private final SwitchWatcher watcher;
    private final ZkReachability reachability;
    private final ZkConsumerRegistry registry;
    private final ZkLeaderElection election;
    private final ZkLeaderView leaderView;
    private final ZkSwitchStore switchStore;

    ZkCoordination(ZkSettings settings) {
        this.settings = settings;
        this.session = new ZkSession(settings);
        SwitchDocumentCodec codec = new SwitchDocumentCodec();
        this.bootstrap = new NamespaceBootstrap(session);
        this.watcher = new SwitchWatcher(session, codec);
        SwitchHistory history = new SwitchHistory(session, codec);
        this.reachability = new ZkReachability(session, watcher, this::synchronize, this::reachabilitySet);
        this.registry = new ZkConsumerRegistry(session, bootstrap, reachability);
        this.leaderView = new ZkLeaderView(session.layout());
        this.election = new ZkLeaderElection(session, reachability::isReachable, registry::leadershipChanged,
                leaderView, () -> registry.reportedInstanceId().orElse(settings.instanceId()));
        this.switchStore = new ZkSwitchStore(session, watcher, reachability,
                new SwitchWriter(session, codec, watcher, history, bootstrap), history, bootstrap);
    }

    /** A builder with the defaults ({@link ZkSettings}'s {@code DEFAULT_*}). */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The ZooKeeper digest identity ({@code user:base64(sha1(user:password))}) of a user, for
     * {@link ZkOptions#writers}. The password itself is not kept.
     */
    public static String digestIdentity(String user, String password) {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        try {
            return DigestAuthenticationProvider.generateDigest(user + ":" + password);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is not available", e);
        }
    }

    @Override
    public void start() {
        CuratorFramework c = session.open();
        reachability.start(c);
        watcher.start(c);
        registry.start(c);
        leaderView.start(c);
        if (settings.writers().isEmpty()) {
            log.info("SmartMQ switch [{}]: no writers configured, the switch znode is writable by any client",
                    settings.namespace());
        }
        try {
            // A shared client may already be connected: then no CONNECTED event comes, so sync explicitly.
            if (c.blockUntilConnected((int) settings.connectionTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                CompletableFuture.runAsync(this::synchronize, session.events())
                        .get(settings.operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (TimeoutException | ExecutionException e) {
            log.warn("SmartMQ switch [{}] started without ZooKeeper ({}): using the initial state until it is "
                    + "reachable", settings.namespace(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SwitchUnavailableException("interrupted while starting the switch", e);
        }
        if (!reachability.isReachable()) {
            log.warn("SmartMQ switch [{}]: ZooKeeper {} not reachable yet; state {} holds until it is",
                    settings.namespace(), settings.connectTarget(), watcher.current().state());
        }
    }

    @Override
    public void close() {
        if (!session.markClosed()) {
            return;
        }
        registry.closeRegistrations();
        election.close();
        registry.close();
        leaderView.close();
        watcher.close();
        reachability.close(session.client());
        session.close();
        reachability.closed();
        log.info("SmartMQ switch [{}] closed", settings.namespace());
    }

    @Override
    public SwitchStore switchStore() {
        return switchStore;
    }

    @Override
    public ConsumerRegistry registry() {
        return registry;
    }

    @Override
    public Leadership leadership() {
        return election;
    }

    /** The namespace served. */
    @Override
    public String namespace() {
        return settings.namespace();
    }

    /** The identity this instance uses in the election and in its registrations. */
    public String instanceId() {
        return settings.instanceId();
    }

    /** The settings it was built with. */
    public ZkSettings settings() {
        return settings;
    }

    /**
     * On the serial executor, after a (re)connection: makes sure the namespace's nodes exist, joins the election
     * (once), syncs with the leader and re-reads the switch (listeners hear of a change made while we were away
     * before they hear that ZooKeeper is reachable again), then reports reachability and completes pending
     * registrations.
     */
    private void synchronize() {
        CuratorFramework c = session.client();
        if (!session.isStarted() || !c.getZookeeperClient().isConnected()) {
            return;
        }
        long deadline = session.deadline();
        try {
            bootstrap.bootstrap(c, deadline);
            election.join(c);
            String path = session.layout().switchPath();
            // A server that has just rejoined the ensemble may answer reads before it has applied what it caught
            // up on (ZooKeeper reads are not linearizable); sync first so the read sees every committed change.
            CuratorEvent synced = ZkCalls.call(deadline, "sync of " + path,
                    cb -> c.sync().inBackground(cb).forPath(path));
            KeeperException.Code syncRc = ZkCalls.code(synced);
            if (syncRc != KeeperException.Code.OK && syncRc != KeeperException.Code.NONODE) {
                throw ZkCalls.unavailable("sync of " + path, syncRc);
            }
            CuratorEvent e = ZkCalls.call(deadline, "read of " + path, cb -> c.getData().inBackground(cb).forPath(path));
            KeeperException.Code rc = ZkCalls.code(e);
            if (rc == KeeperException.Code.OK) {
                watcher.observe(e.getData(), e.getStat(), "re-read");
            } else if (rc == KeeperException.Code.NONODE) {
                watcher.observeMissing("re-read");
            } else {
                throw ZkCalls.unavailable("read of " + path, rc);
            }
        } catch (SwitchUnavailableException | SwitchAccessDeniedException e) {
            log.warn("SmartMQ switch [{}]: re-read after (re)connection failed, still unreachable: {}",
                    settings.namespace(), e.getMessage());
            return;
        }
        if (c.getZookeeperClient().isConnected()) {
            reachability.set(true, ConnectionState.RECONNECTED);
            registry.resync(c);
        }
    }

    private void reachabilitySet() {
        election.update();
    }

    @Override
    public String toString() {
        return "ZkCoordination{" + settings + ", state=" + session.lifecycle() + ", current="
                + watcher.current().state() + "@" + watcher.current().epoch() + ", reachable="
                + reachability.isReachable() + ", leader=" + election.isLeader() + "}";
    }

    /** Options of a {@link ZkCoordination}; {@link #build()} freezes them into {@link ZkSettings}. */
    public static final class Builder extends ZkOptions<Builder> {
        private Builder() {
        }

        /** Validates combinations and builds a coordination (not started). */
        public ZkCoordination build() {
            return new ZkCoordination(settings());
        }
    }
}
