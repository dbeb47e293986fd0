package dev.smartmq.api;

import java.util.Objects;

/**
 * Proof that a message was stored durably: on the MQ, or in the fallback store.
 *
 * @param messageId          the stable, time-ordered id SmartMQ assigned; consumers see the same id
 * @param route              where it was stored
 * @param switchEpoch        epoch of the switch state the producer routed by
 * @param transportMessageId the MQ's own message id when {@code route} is {@code MQ}, otherwise {@code null}
 */
public record SendReceipt(String messageId, Route route, long switchEpoch, String transportMessageId) {
    public SendReceipt {
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(route, "route");
    }
}
