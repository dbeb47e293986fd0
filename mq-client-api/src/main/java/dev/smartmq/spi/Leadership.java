package dev.smartmq.spi;

import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * The namespace's leader election: the leader runs the prober and the drain decision (DESIGN.md §3). Handed out
 * by a {@link Coordination}; implemented on ZooKeeper by {@code mq-client-zk-switch}.
 *
 * <p>Thread rules: every method may be called from any thread; {@link #isLeader()} never blocks. Listeners run
 * on the executor given to {@link #addListener}.
 */
public interface Leadership {

    /**
     * Whether this instance is the namespace leader now. False whenever the store is unreachable: a leader cut
     * off from the others must not act.
     */
    boolean isLeader();

    /** Adds a listener called on {@code executor}; the caller owns the executor. */
    void addListener(LeadershipListener listener, Executor executor);

    void removeListener(LeadershipListener listener);

    /**
     * The instance id of whichever instance of the fleet holds the namespace's leadership, this one or another, as
     * the adapter's registry or leadership view last showed it (cached: never blocks). Empty when no instance is
     * known to lead. The default knows only this instance: {@code "this instance"} while {@link #isLeader()},
     * else empty; an adapter with a fleet view overrides it.
     */
    default Optional<String> fleetLeader() {
        return isLeader() ? Optional.of("this instance") : Optional.empty();
    }
}
