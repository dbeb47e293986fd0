package dev.smartmq.api;

import java.util.Objects;

/**
 * The message could not be stored durably anywhere: the MQ failed and so did the fallback store. The
 * caller owns the message again; {@link #messageId()} is the id it would have had, for logs and retries.
 */
public class DeliveryException extends SmartMQException {
    private static final long serialVersionUID = 1L;

    private final String messageId;

    public DeliveryException(String messageId, String message, Throwable cause) {
        super(message + " (message id " + messageId + ")", cause);
        this.messageId = Objects.requireNonNull(messageId, "messageId");
    }

    /** The id assigned to the message that was not stored. */
    public String messageId() {
        return messageId;
    }
}
