package dev.smartmq.spi;

import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import java.time.Instant;
import java.util.Objects;

/**
 * A compare-and-set request on the switch: move from the document with {@code expectedEpoch} to
 * {@code target}. It applies only if the switch is still at {@code expectedEpoch}.
 *
 * @param expectedEpoch epoch of the document the requester last saw
 * @param target        the new state
 * @param mode          {@code AUTO} for automation, {@code MANUAL} for an operator
 * @param reason        why (logged at WARN and stored; never a secret)
 * @param actor         who: {@code host/pid/instance} or an operator name
 * @param expiresAt     end of a {@code MANUAL} state, or {@code null}
 */
public record SwitchTransition(long expectedEpoch, SwitchState target, SwitchMode mode,
                               String reason, String actor, Instant expiresAt) {
    public SwitchTransition {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(actor, "actor");
        if (mode == SwitchMode.AUTO && expiresAt != null) {
            throw new IllegalArgumentException("expiresAt is only for MANUAL transitions, but was " + expiresAt);
        }
    }
}
