package dev.smartmq.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One version of the degradation switch document of a namespace (DESIGN.md §3).
 *
 * @param state     the routing state
 * @param mode      {@code AUTO}, or {@code MANUAL} for an operator's drill
 * @param reason    why the switch is in this state (free text, never a secret)
 * @param changedBy who changed it: {@code host/pid/instance} of an SDK instance, or an operator name
 * @param changedAt when it changed
 * @param expiresAt when a {@code MANUAL} state ends and automation takes over again; {@code null} if never
 * @param epoch     incremented by one on every transition; {@code 0} is the initial {@code NORMAL} state
 */
public record SwitchStatus(
        SwitchState state,
        SwitchMode mode,
        String reason,
        String changedBy,
        Instant changedAt,
        Instant expiresAt,
        long epoch) {

    public SwitchStatus {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(changedAt, "changedAt");
        reason = reason == null ? "" : reason;
        changedBy = changedBy == null ? "" : changedBy;
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, but was " + epoch);
        }
    }

    /** The state every namespace starts in before anyone wrote a switch document. */
    public static SwitchStatus initial() {
        return new SwitchStatus(SwitchState.NORMAL, SwitchMode.AUTO, "initial", "", Instant.EPOCH, null, 0);
    }

    /** The expiry of a manual state, if any. */
    public Optional<Instant> expiry() {
        return Optional.ofNullable(expiresAt);
    }

    /** Whether an operator holds the switch at {@code now} (manual mode that has not expired yet). */
    public boolean isManualAt(Instant now) {
        return mode == SwitchMode.MANUAL && (expiresAt == null || now.isBefore(expiresAt));
    }

    /** The next document: {@code epoch + 1}, the given fields, changed at {@code now}. */
    public SwitchStatus next(SwitchState newState, SwitchMode newMode, String newReason, String actor,
                             Instant now, Instant newExpiresAt) {
        return new SwitchStatus(newState, newMode, newReason, actor, now, newExpiresAt, epoch + 1);
    }
}
