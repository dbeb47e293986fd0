package dev.smartmq.spi;

import dev.smartmq.api.SwitchStatus;
import java.util.Objects;

/**
 * Outcome of a {@link SwitchTransition}.
 *
 * @param applied whether this request made the transition (false: another writer got there first, or the
 *                epoch was stale)
 * @param current the switch document after the attempt (the winner's, when {@code applied} is false)
 */
public record TransitionResult(boolean applied, SwitchStatus current) {
    public TransitionResult {
        Objects.requireNonNull(current, "current");
    }
}
