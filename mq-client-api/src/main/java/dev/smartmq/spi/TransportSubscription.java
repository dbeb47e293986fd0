package dev.smartmq.spi;

/**
 * A live MQ subscription. {@link #pause()} stops delivering: no new fetches, and messages already fetched are
 * held until {@link #resume()} (a handler call already running finishes); it is how an ordered subscription
 * drains the fallback store before it takes MQ messages again. Thread-safe.
 */
public interface TransportSubscription extends AutoCloseable {

    void pause();

    void resume();

    boolean isPaused();

    /** Stops the subscription and releases its MQ resources. Idempotent. */
    @Override
    void close();

    /**
     * Closes in order: stop fetching, let handler calls already running finish within {@code timeout}, start no
     * new one, then persist what was consumed. Idempotent. The default ignores the timeout.
     */
    default void close(java.time.Duration timeout) {
        close();
    }
}
