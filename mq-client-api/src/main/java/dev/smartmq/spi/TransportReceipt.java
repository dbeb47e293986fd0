package dev.smartmq.spi;

/**
 * The MQ accepted a message.
 *
 * @param transportMessageId the MQ's own id (RocketMQ's msgId), for logs and tracing
 */
public record TransportReceipt(String transportMessageId) {
}
