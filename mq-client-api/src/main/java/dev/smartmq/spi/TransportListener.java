package dev.smartmq.spi;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.ReceivedMessage;

/**
 * Receives messages the MQ delivers for one subscription. The adapter maps the result onto the MQ's
 * acknowledgement ({@code RETRY_LATER} → RocketMQ's reconsume-later / suspend-queue for ordered).
 * A thrown exception counts as {@code RETRY_LATER}.
 */
@FunctionalInterface
public interface TransportListener {
    ConsumeResult onMessage(ReceivedMessage message) throws Exception;
}
