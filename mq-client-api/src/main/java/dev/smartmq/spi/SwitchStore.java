package dev.smartmq.spi;

import dev.smartmq.api.SwitchStatus;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Executor;

/**
 * The fleet-wide degradation switch of one namespace: its document, compare-and-set transitions, their history
 * and whether the store is reachable (DESIGN.md §3). Handed out by a {@link Coordination}; implemented on
 * ZooKeeper by {@code mq-client-zk-switch}. The lifecycle ({@code start}, {@code close}) is the coordination's.
 *
 * <p>Reads never block: {@link #current()} and {@link #isReachable()} answer from what the adapter last saw. When
 * the store is unreachable {@link #current()} keeps answering with the last known document and
 * {@link #isReachable()} is false; a malformed document is logged and ignored (the last good one holds).
 *
 * <p>Thread rules: every method may be called from any thread. Listeners run on the executor given to
 * {@link #addListener}.
 */
public interface SwitchStore {

    /** The last known switch document ({@link SwitchStatus#initial()} if none was ever written). */
    SwitchStatus current();

    /** Whether the switch store is reachable now. */
    boolean isReachable();

    /**
     * Compare-and-set transition: applies only if the document is still at
     * {@link SwitchTransition#expectedEpoch()}. Two writers racing from the same epoch make one transition.
     *
     * @throws SwitchUnavailableException  if the store cannot be reached (nothing changed)
     * @throws SwitchAccessDeniedException if this identity may not write the switch (nothing changed)
     */
    TransitionResult transition(SwitchTransition transition);

    /**
     * Adds a listener of status and reachability changes, called on {@code executor}; the caller owns the
     * executor. Leadership changes come from {@link Leadership#addListener}.
     */
    void addListener(SwitchListener listener, Executor executor);

    void removeListener(SwitchListener listener);

    /**
     * Stores the namespace's fallback shard count if none is stored yet, and returns the stored one: the count
     * is fixed for the life of a namespace (DESIGN.md §5), and the engine refuses to start when its store's
     * differs. Empty when the store cannot answer now (the engine checks again later) or when the adapter keeps
     * no such record (the default).
     */
    default OptionalInt recordShardCount(int shards) {
        return OptionalInt.empty();
    }

    /**
     * The last {@code limit} applied transitions, newest first. The default says the adapter keeps none.
     *
     * @throws UnsupportedOperationException if the adapter keeps no history
     * @throws SwitchUnavailableException    if the store cannot be reached
     */
    default List<SwitchStatus> history(int limit) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " keeps no switch history");
    }
}
