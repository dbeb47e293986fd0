package dev.smartmq.zookeeper.internal;

import dev.smartmq.api.SwitchStatus;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether ZooKeeper is reachable, from Curator's connection states: {@code SUSPENDED}, {@code LOST} and
 * {@code READ_ONLY} make it unreachable at once; {@code CONNECTED} and {@code RECONNECTED} run the coordination's
 * re-synchronisation, which calls {@link #set set(true)} only once the switch document was re-read (so listeners
 * hear of a change made while we were away before they hear that ZooKeeper is reachable again). A change goes to
 * the switch listeners; every {@link #set} then runs the {@code afterSet} hook (leadership re-evaluation).
 *
 * <p>Thread rules: {@link #isReachable()} never blocks, any thread. Connection states are delivered on the
 * session's serial executor, and {@link #set} must be called on it.
 */
public final class ZkReachability {
    private static final Logger log = LoggerFactory.getLogger(ZkReachability.class);

    private final ZkSession session;
    private final SwitchWatcher watcher;
    private final Runnable onConnected;
    private final Runnable afterSet;
    private final ConnectionStateListener connectionListener = (c, s) -> onConnectionStateChanged(s);
    private volatile boolean reachable;

    /**
     * @param onConnected runs (on the serial executor) when the connection is (re-)established
     * @param afterSet    runs after every {@link #set}
     */
    public ZkReachability(ZkSession session, SwitchWatcher watcher, Runnable onConnected, Runnable afterSet) {
        this.session = session;
        this.watcher = watcher;
        this.onConnected = onConnected;
        this.afterSet = afterSet;
    }

    public void start(CuratorFramework c) {
        c.getConnectionStateListenable().addListener(connectionListener, session.events());
    }

    public void close(CuratorFramework c) {
        c.getConnectionStateListenable().removeListener(connectionListener);
    }

    /** After closing: unreachable from now on. */
    public void closed() {
        reachable = false;
    }

    /** Whether the last re-synchronisation succeeded and no connection loss came since. */
    public boolean isReachable() {
        return reachable;
    }

    /** {@link #isReachable()} and the client is connected at this moment. */
    public boolean isReachableNow() {
        return reachable && session.client().getZookeeperClient().isConnected();
    }

    /** On the serial executor. */
    private void onConnectionStateChanged(ConnectionState state) {
        if (!session.isStarted()) {
            return;
        }
        switch (state) {
            case CONNECTED:
            case RECONNECTED:
                onConnected.run();
                break;
            case SUSPENDED:
            case LOST:
            case READ_ONLY:
            default:
                set(false, state);
                break;
        }
    }

    /** On the serial executor: records reachability, tells the listeners if it changed, then runs the hook. */
    public void set(boolean now, ConnectionState why) {
        boolean before = reachable;
        reachable = now;
        if (before != now) {
            SwitchStatus current = watcher.current();
            if (now) {
                log.info("SmartMQ switch [{}]: ZooKeeper reachable again, switch is {} (epoch {})",
                        session.namespace(), current.state(), current.epoch());
            } else {
                log.warn("SmartMQ switch [{}]: ZooKeeper unreachable ({}); keeping the last known state {} (epoch {})",
                        session.namespace(), why, current.state(), current.epoch());
            }
            watcher.reachabilityChanged(now);
        }
        afterSet.run();
    }
}
