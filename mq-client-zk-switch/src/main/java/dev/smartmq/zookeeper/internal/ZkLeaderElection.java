package dev.smartmq.zookeeper.internal;

import dev.smartmq.spi.Leadership;
import dev.smartmq.spi.LeadershipListener;
import dev.smartmq.spi.SwitchUnavailableException;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The namespace's leader election on Curator's {@link LeaderLatch}. Effective leadership is the latch's and
 * ZooKeeper being reachable: a leader cut off from the ensemble must not act, whatever the client's
 * {@code ConnectionStateErrorPolicy}. An instance built with {@code joinElection(false)} never joins and is
 * never the leader.
 *
 * <p>Thread rules: {@link #isLeader()} never blocks, any thread. {@link #join} and {@link #update} run on the
 * session's serial executor (latch callbacks are delivered there too); {@link #close} on the closing thread.
 * The latch is created and closed under one lock, so a close racing with a join leaves no latch behind.
 */
public final class ZkLeaderElection implements Leadership {
    private static final Logger log = LoggerFactory.getLogger(ZkLeaderElection.class);

    private final ZkSession session;
    private final BooleanSupplier reachable;
    private final Consumer<Boolean> onChange;
    private final ListenerFanOut<LeadershipListener> listeners;
    private final ZkLeaderView view;
    private final Supplier<String> selfId;
    private final Object lock = new Object();
    private LeaderLatch latch; // guarded by lock
    private volatile boolean leader;

    /**
     * @param reachable whether ZooKeeper is reachable now
     * @param onChange  runs after every leadership change (on the thread that saw it)
     * @param view      the instance registry's cached view of who leads (for {@link #fleetLeader()})
     * @param selfId    this instance's id as the registry names it
     */
    public ZkLeaderElection(ZkSession session, BooleanSupplier reachable, Consumer<Boolean> onChange,
            ZkLeaderView view, Supplier<String> selfId) {
        this.session = session;
        this.reachable = reachable;
        this.onChange = onChange;
        this.view = view;
        this.selfId = selfId;
        this.listeners = new ListenerFanOut<>(session.namespace());
    }

    @Override
    public boolean isLeader() {
        return leader;
    }

    /** This instance while it leads, else the leader the instance registry's cache shows ({@link ZkLeaderView}). */
    @Override
    public Optional<String> fleetLeader() {
        return leader ? Optional.of(selfId.get()) : view.leader();
    }

    @Override
    public void addListener(LeadershipListener listener, Executor executor) {
        listeners.add(listener, executor);
    }

    @Override
    public void removeListener(LeadershipListener listener) {
        listeners.remove(listener);
    }

    /**
     * Joins the election, once, after the first successful bootstrap. Not earlier: the latch creates missing
     * parents with the client's default (open) ACL, and if it won the race against bootstrap the namespace node
     * would be world-writable - anyone could then delete and re-create the switch.
     */
    public void join(CuratorFramework c) {
        synchronized (lock) {
            if (latch != null || !session.isStarted() || !session.settings().joinElection()) {
                return;
            }
            LeaderLatch l = new LeaderLatch(c, session.layout().leaderPath(), session.settings().instanceId(),
                    LeaderLatch.CloseMode.SILENT);
            l.addListener(new LeaderLatchListener() {
                @Override
                public void isLeader() {
                    update();
                }

                @Override
                public void notLeader() {
                    update();
                }
            }, session.events());
            try {
                l.start();
            } catch (Exception e) {
                throw new SwitchUnavailableException("could not join the leader election at "
                        + session.layout().leaderPath(), e);
            }
            latch = l;
        }
    }

    /** Re-evaluates effective leadership; listeners hear of a change. */
    public void update() {
        boolean now;
        synchronized (lock) {
            LeaderLatch l = latch;
            now = session.isStarted() && reachable.getAsBoolean() && l != null && l.hasLeadership();
            if (now == leader) {
                return;
            }
            leader = now;
            log.info("SmartMQ switch [{}]: instance {} {} the leader", session.namespace(),
                    session.settings().instanceId(), now ? "is now" : "is no longer");
            listeners.fire(li -> li.leadershipChanged(now));
        }
        onChange.accept(now);
    }

    /** Leaves the election; a leader tells its listeners it no longer is. */
    public void close() {
        LeaderLatch l;
        synchronized (lock) {
            // join checks the lifecycle under this lock: either it saw CLOSED, or its latch is here
            l = latch;
        }
        if (l != null) {
            try {
                l.close();
            } catch (IOException e) {
                log.warn("SmartMQ switch [{}]: leaving the election failed: {}", session.namespace(), e.toString());
            }
        }
        if (leader) {
            leader = false;
            listeners.fire(li -> li.leadershipChanged(false));
        }
    }
}
