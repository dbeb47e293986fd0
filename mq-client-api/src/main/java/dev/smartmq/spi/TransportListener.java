package dev.smartmq.spi;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.ReceivedMessage;

/**
 * Receives messages the MQ delivers for one subscription. The adapter maps the result onto the MQ's
 * acknowledgement ({@code RETRY_LATER} → RocketMQ's reconsume-later / suspend-queue for ordered).
 * A thrown exception counts as {@code RETRY_LATER}, except {@link NotDeliveredException}: the message never
 * reached the handler and is redelivered without counting an attempt where the MQ allows it.
 *
 * <p>Called on the transport's consumer threads, possibly several at once (CONCURRENT).
 */
@FunctionalInterface
public interface TransportListener {
    ConsumeResult onMessage(ReceivedMessage message) throws Exception;

    /**
     * The redelivery rule the transport applies to {@code RETRY_LATER}: the attempt count at which the MQ stops
     * redelivering (its own dead-letter queue as the last resort) and the back-off, as close as the MQ allows.
     * The engine passes its {@code maxDeliveryAttempts} and {@code retryBackoff*}.
     */
    default RedeliveryPolicy redelivery() {
        return RedeliveryPolicy.DEFAULT;
    }
}
