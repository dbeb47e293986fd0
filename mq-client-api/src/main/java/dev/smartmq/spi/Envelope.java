package dev.smartmq.spi;

import dev.smartmq.api.Message;
import java.util.Objects;

/**
 * A message with the identity SmartMQ gave it when {@code send} accepted it. The same envelope travels
 * on both paths: as a RocketMQ message with the id in user property {@link #ID_PROPERTY}, or encoded in
 * a fallback-store value.
 *
 * @param id            stable, time-ordered id (UUIDv7 text)
 * @param message       the user's message
 * @param bornTimestamp when {@code send} accepted it, epoch milliseconds
 * @param attempts      deliveries already made (0 for a fresh message)
 */
public record Envelope(String id, Message message, long bornTimestamp, int attempts) {

    /** User property that carries the SmartMQ message id on the MQ path. */
    public static final String ID_PROPERTY = "SMQ_ID";
    /** User property that carries the born timestamp on the MQ path. */
    public static final String BORN_PROPERTY = "SMQ_BORN";

    public Envelope {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(message, "message");
        if (attempts < 0) {
            throw new IllegalArgumentException("attempts must be >= 0, but was " + attempts);
        }
    }

    public String topic() {
        return message.topic();
    }

    /** The same envelope with {@code attempts + 1}. */
    public Envelope withAttempt() {
        return new Envelope(id, message, bornTimestamp, attempts + 1);
    }
}
