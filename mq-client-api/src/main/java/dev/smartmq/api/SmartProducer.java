package dev.smartmq.api;

import java.util.concurrent.CompletableFuture;

/**
 * Sends messages to the MQ, or to the fallback store while the MQ is degraded, and never loses one it
 * acknowledged (DESIGN.md §4).
 *
 * <p>Thread-safe; share one instance per application. Obtain it from {@code SmartMQ#producer()} in
 * {@code mq-client-core}; closing the {@code SmartMQ} closes it.
 */
public interface SmartProducer extends AutoCloseable {

    /**
     * Sends a message and returns once it is stored durably: on the MQ, or — if the MQ failed for an
     * infrastructure reason or the switch is degraded — in the fallback store.
     *
     * @return the message id and the route taken
     * @throws InvalidMessageException if the message breaks an input rule (nothing written, nothing counted)
     * @throws DeliveryException       if neither the MQ nor the fallback store stored it
     * @throws IllegalStateException   if the producer is closed
     */
    SendReceipt send(Message message);

    /**
     * Sends without blocking the calling thread, even on a dead broker. The future completes with the
     * receipt, or exceptionally with {@link InvalidMessageException} or {@link DeliveryException}.
     */
    CompletableFuture<SendReceipt> sendAsync(Message message);

    /** Waits for sends in progress to finish, then releases the producer. Idempotent. */
    @Override
    void close();
}
