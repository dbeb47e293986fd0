package dev.smartmq.spi;

import java.util.Optional;
import java.util.Set;

/**
 * The three coordination ports in one object, as SmartMQ 1.x had them: the {@link SwitchStore switch}, the
 * {@link ConsumerRegistry registry} and the {@link Leadership leader election} of one namespace, and their
 * lifecycle. Kept so that code written against it still compiles and runs; new code uses {@link Coordination}
 * and the three ports (each can be implemented and faked alone).
 *
 * <p>Migration: an implementation of this interface is a {@link Coordination} whose three views are itself, so
 * it can be handed to the engine as before; its {@link SwitchListener}s still hear of leadership changes, and the
 * engine's {@link LeadershipListener}s are reached through them (see
 * {@link #addListener(LeadershipListener, java.util.concurrent.Executor)}).
 *
 * @deprecated use {@link Coordination} with {@link SwitchStore}, {@link ConsumerRegistry} and {@link Leadership}
 */
@Deprecated(since = "1.1")
public interface DegradationSwitch extends Coordination, SwitchStore, ConsumerRegistry, Leadership {

    @Override
    default SwitchStore switchStore() {
        return this;
    }

    @Override
    default ConsumerRegistry registry() {
        return this;
    }

    @Override
    default Leadership leadership() {
        return this;
    }

    /**
     * Delivers leadership changes through this switch's {@link SwitchListener}s, as 1.x did: {@code listener} is
     * wrapped in a {@link SwitchListener} that passes on {@link SwitchListener#onLeadershipChanged} only (and is
     * equal to any other wrapper of the same listener, so {@link #removeListener(LeadershipListener)} finds it
     * in an implementation that compares listeners with {@code equals}).
     */
    @Override
    default void addListener(LeadershipListener listener, java.util.concurrent.Executor executor) {
        addListener(new LeadershipOnlyListener(listener), executor);
    }

    @Override
    default void removeListener(LeadershipListener listener) {
        removeListener(new LeadershipOnlyListener(listener));
    }

    /** As in 1.x: from the cache while the store is reachable, empty otherwise. */
    @Override
    default Optional<Set<String>> readGroups(String topic) {
        return isReachable() ? Optional.of(groups(topic)) : Optional.empty();
    }
}
