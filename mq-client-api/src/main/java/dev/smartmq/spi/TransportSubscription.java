package dev.smartmq.spi;

/**
 * A live MQ subscription. {@link #pause()} stops fetching new messages (messages already fetched may
 * still be delivered); it is how an ordered subscription drains the fallback store before it takes MQ
 * messages again.
 */
public interface TransportSubscription extends AutoCloseable {

    void pause();

    void resume();

    boolean isPaused();

    /** Stops the subscription and releases its MQ resources. Idempotent. */
    @Override
    void close();
}
