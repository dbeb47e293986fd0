package dev.smartmq.api;

import java.util.Map;
import java.util.Objects;

/**
 * A message as a {@link MessageHandler} sees it, whichever path delivered it.
 *
 * @param id              the stable id assigned at send time (the same on both paths)
 * @param message         topic, key, tags, properties and body as sent
 * @param bornTimestamp   when the producer accepted the send, epoch milliseconds
 * @param deliveryAttempt 1 for the first delivery, 2 for the first redelivery, and so on
 * @param route           the path that delivered it
 */
public record ReceivedMessage(String id, Message message, long bornTimestamp, int deliveryAttempt, Route route) {

    public ReceivedMessage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(route, "route");
    }

    public String topic() {
        return message.topic();
    }

    public String key() {
        return message.key();
    }

    public String tags() {
        return message.tags();
    }

    public Map<String, String> properties() {
        return message.properties();
    }

    /** The body; do not modify the array. */
    public byte[] body() {
        return message.body();
    }
}
