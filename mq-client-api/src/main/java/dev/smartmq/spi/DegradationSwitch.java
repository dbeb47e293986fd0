package dev.smartmq.spi;

import dev.smartmq.api.SwitchStatus;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * The fleet-wide degradation switch of one namespace, the consumer-group registry and leader election.
 * Implemented on ZooKeeper by {@code mq-client-zk-switch} (DESIGN.md §3, §7).
 *
 * <p>Reads never block: {@link #current()}, {@link #groups(String)} and {@link #isLeader()} answer from
 * what the adapter last saw. When the store is unreachable they keep answering with the last known
 * values and {@link #isReachable()} is false; a malformed document is logged and ignored (the last good
 * one holds).
 */
public interface DegradationSwitch extends AutoCloseable {

    /** Connects, reads the document, starts watching and joins the leader election. Called once. */
    void start();

    /**
     * The SmartMQ namespace this switch serves, if it has one; the engine refuses to start when it differs from
     * {@code SmartMQConfig.namespace()} (a mismatch would split one fleet into two that never see each
     * other's switch or fallback messages). {@code null} when the adapter has no notion of namespace.
     */
    default String namespace() {
        return null;
    }

    /**
     * Stores the namespace's fallback shard count if none is stored yet, and returns the stored one: the count
     * is fixed for the life of a namespace (DESIGN.md §5), and the engine refuses to start when its store's
     * differs. Empty when the store cannot answer now (the engine checks again later) or when the adapter keeps
     * no such record (the default).
     */
    default OptionalInt recordShardCount(int shards) {
        return OptionalInt.empty();
    }

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

    /** Adds a listener called on {@code executor}; the caller owns the executor. */
    void addListener(SwitchListener listener, Executor executor);

    void removeListener(SwitchListener listener);

    /**
     * Registers a live consumer instance of {@code group} for {@code topic}: a durable record of the group
     * and a record of the instance that disappears when the instance dies. Never fails because the store is
     * unreachable: the registration is completed when it comes back.
     */
    ConsumerRegistration registerConsumer(String topic, String group, String consumerId);

    /** Consumer groups registered for {@code topic} (cached; empty if none). */
    Set<String> groups(String topic);

    /** Every registered topic and its groups (cached). */
    Map<String, Set<String>> registeredGroups();

    /**
     * Consumer groups registered for {@code topic}, read from the store now rather than from the cache, so
     * that a group registered a moment ago is included; empty when the store cannot answer. Blocks up to the
     * adapter's operation timeout: not for a send path. The default answers from the cache.
     */
    default Optional<Set<String>> readGroups(String topic) {
        return isReachable() ? Optional.of(groups(topic)) : Optional.empty();
    }

    /**
     * Live consumer instances of (topic, group), or empty when the store is unreachable (then nobody can
     * tell who is dead, and orphans must not be recovered).
     */
    Optional<Set<String>> liveConsumers(String topic, String group);

    /**
     * Publishes what this instance is doing in the namespace's instance registry, where operators read it. The
     * engine calls it at start, on every change and from its maintenance loop; an adapter writes only when the
     * report differs from the last one written. Never blocks, never throws for an unreachable store (the report
     * is written when it is back). The default ignores it (an adapter without a registry).
     */
    default void reportInstance(InstanceReport report) {
    }

    /**
     * The last {@code limit} applied transitions, newest first. The default says the adapter keeps none.
     *
     * @throws UnsupportedOperationException if the adapter keeps no history
     * @throws SwitchUnavailableException    if the store cannot be reached
     */
    default java.util.List<SwitchStatus> history(int limit) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " keeps no switch history");
    }

    /** Whether this instance is the namespace leader (runs the prober and the drain decision). */
    boolean isLeader();

    /**
     * The instance id of whichever instance of the fleet holds the namespace's leadership, this one or another, as
     * the adapter's registry or leadership view last showed it (cached: never blocks). Empty when no instance is
     * known to lead. The default knows only this instance: {@code "this instance"} while {@link #isLeader()},
     * else empty; an adapter with a fleet view overrides it.
     */
    default Optional<String> fleetLeader() {
        return isLeader() ? Optional.of("this instance") : Optional.empty();
    }

    /** Leaves the election, removes this instance's registrations and closes what the adapter created. */
    @Override
    void close();
}
