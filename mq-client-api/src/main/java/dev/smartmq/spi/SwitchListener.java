package dev.smartmq.spi;

import dev.smartmq.api.SwitchStatus;

/**
 * Callbacks of a {@link SwitchStore}, run on the executor given to {@link SwitchStore#addListener}.
 * Implementations must not block.
 */
public interface SwitchListener {

    /** A new switch document was seen (by watch, re-read or own transition). */
    default void onStatusChanged(SwitchStatus previous, SwitchStatus current) {
    }

    /**
     * The switch store became unreachable ({@code false}: connection suspended or lost; the last known
     * status still holds) or reachable again ({@code true}, after the document was re-read).
     */
    default void onReachabilityChanged(boolean reachable) {
    }

    /**
     * This instance became ({@code true}) or stopped being ({@code false}) the namespace leader. Delivered only by
     * a deprecated {@link DegradationSwitch} composite's {@code addListener}; a {@link SwitchStore} does not.
     * The engine does not listen for it.
     *
     * @deprecated listen on {@link Leadership#addListener} with a {@link LeadershipListener}
     */
    @Deprecated(since = "1.1")
    default void onLeadershipChanged(boolean leader) {
    }
}
