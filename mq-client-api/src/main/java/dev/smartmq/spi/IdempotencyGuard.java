package dev.smartmq.spi;

import java.time.Duration;

/**
 * Remembers message ids a group has handled, so a handler can skip a duplicate delivery. Implemented on
 * Redis by {@code mq-client-redis-fallback}.
 *
 * <p><b>Protocol used by the engine</b> (DESIGN.md §6): an id is recorded as handled only once its handler has
 * <em>succeeded</em>. Before the handler runs, {@link #begin} takes a short <em>in-progress lease</em> on the id;
 * a consumer that dies inside the handler leaves only that lease, which expires on its own, so the message never
 * looks handled. After success {@link #handled} records the id for the long TTL; after a failure {@link #forget}
 * drops the lease so the retry is let in at once.
 *
 * <p>Implementations must be thread-safe. Guards written before {@link #begin} existed (only
 * {@link #firstSeen} and {@link #forget}) still work through the default methods, but with them a message whose
 * handler is in progress elsewhere looks handled: override {@link #begin} and {@link #handled}.
 */
public interface IdempotencyGuard {

    /** What {@link #begin} found for an id. */
    enum Verdict {
        /** Nobody handled or is handling it: the caller now holds the in-progress lease and runs the handler. */
        FIRST,
        /** A handler of the group succeeded on it before: skip it. */
        HANDLED,
        /** Another delivery holds the in-progress lease (a handler is running, or died less than a lease ago). */
        IN_PROGRESS
    }

    /**
     * Takes the in-progress lease of {@code messageId} for {@code group} for {@code lease}, unless the id is
     * already handled or leased.
     */
    default Verdict begin(String group, String messageId, Duration lease) {
        return firstSeen(group, messageId, lease) ? Verdict.FIRST : Verdict.HANDLED;
    }

    /** Records {@code messageId} as handled by {@code group} for {@code ttl} (replaces the in-progress lease). */
    default void handled(String group, String messageId, Duration ttl) {
        forget(group, messageId);
        firstSeen(group, messageId, ttl);
    }

    /**
     * Marks {@code messageId} as seen by {@code group} for {@code ttl}, unconditionally before any handler ran.
     * Kept for guards written against the first version of this interface; the engine uses {@link #begin}.
     *
     * @return {@code true} if this is the first time (handle it), {@code false} if it was seen before
     */
    boolean firstSeen(String group, String messageId, Duration ttl);

    /** Forgets {@code messageId} (its handler failed, so a retry is wanted): drops the lease or the record. */
    void forget(String group, String messageId);
}
