package dev.smartmq.spi;

import java.time.Duration;

/**
 * Remembers message ids a group has handled, so a handler can skip a duplicate delivery. Implemented on
 * Redis ({@code SET NX} with a TTL) by {@code mq-client-redis-fallback}.
 */
public interface IdempotencyGuard {

    /**
     * Marks {@code messageId} as seen by {@code group} for {@code ttl}.
     *
     * @return {@code true} if this is the first time (handle it), {@code false} if it was seen before
     */
    boolean firstSeen(String group, String messageId, Duration ttl);

    /** Forgets {@code messageId} (e.g. the handler failed after {@link #firstSeen}, so a retry is wanted). */
    void forget(String group, String messageId);
}
