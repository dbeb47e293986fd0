package dev.smartmq.api;

/**
 * Business logic for one subscription. Called on SmartMQ's consumer threads, possibly concurrently
 * (unless the subscription is {@link Ordering#ORDERED}, where one key is never handled concurrently).
 *
 * <p>Delivery is at least once: a message can arrive twice (after a crash, a timeout, or a recovery
 * that raced a redelivery). {@link ReceivedMessage#id()} is stable across both paths, so handlers that
 * must not see a duplicate can keep it, or use the idempotency guard of the subscription.
 */
@FunctionalInterface
public interface MessageHandler {

    /**
     * Handles one message. Throwing is the same as returning {@link ConsumeResult#RETRY_LATER}.
     *
     * @return {@code SUCCESS} to acknowledge, {@code RETRY_LATER} to have it redelivered later
     */
    ConsumeResult handle(ReceivedMessage message) throws Exception;
}
