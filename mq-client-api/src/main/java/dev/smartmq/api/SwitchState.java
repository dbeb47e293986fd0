package dev.smartmq.api;

/**
 * State of the degradation switch of one namespace (DESIGN.md §3).
 *
 * <pre>
 * NORMAL ──(N consecutive infrastructure failures, or operator)──▶ DEGRADED
 * DEGRADED ──(prober: K consecutive probe successes, or operator)──▶ RECOVERING
 * RECOVERING ──(fallback backlog empty for every subscribed group)──▶ NORMAL
 * </pre>
 */
public enum SwitchState {
    /** Sends go to the MQ; consumers read the MQ and sweep the fallback shards slowly. */
    NORMAL,
    /** Sends go straight to the fallback store; consumers drain the fallback shards. */
    DEGRADED,
    /** Sends go to the MQ again; consumers drain what is left in the fallback store. */
    RECOVERING;

    /** Whether producers send to the fallback store first in this state. */
    public boolean sendsToFallback() {
        return this == DEGRADED;
    }
}
