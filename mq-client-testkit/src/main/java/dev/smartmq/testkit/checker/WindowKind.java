package dev.smartmq.testkit.checker;

/**
 * Which send outcomes make a time window "bad". Outcomes are taken in completion-time order; a window
 * starts when the first bad attempt of a run began (but not before the previous good outcome completed)
 * and ends when the next good outcome completed. Outcomes that are neither bad nor good for a kind
 * neither open nor close its windows. Bad input ({@code InvalidMessageException}) is never part of any
 * window.
 */
public enum WindowKind {
    /** The MQ did not take the send: it failed, its outcome is unknown, or it fell back. Ended by an MQ acknowledgement. */
    UNAVAILABLE,
    /** Sends were acknowledged via the fallback store. Ended by an MQ acknowledgement; failures are neutral. */
    FALLBACK,
    /** Sends were not stored (failed) or not confirmed (unknown): what the business saw. Ended by any acknowledgement. */
    FAILED
}
