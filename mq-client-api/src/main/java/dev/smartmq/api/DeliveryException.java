package dev.smartmq.api;

import java.util.Objects;

/**
 * Neither the MQ nor the fallback store confirmed the message. {@link #messageId()} is the id it was sent with, for
 * logs and retries.
 *
 * <p>{@link #mayHaveBeenStored()} says what the caller can know: {@code false} when both paths answered that they did
 * not store it (refused, full, never sent): the caller owns the message again. {@code true} when an attempt ended
 * without an answer (a timeout, a connection lost after the request went out): that path may have stored it, so it
 * may still be delivered, once, under this id, and a retry (a new message, a new id) may then be delivered as well —
 * what a raw client's timed-out send means too. A caller that must not act twice keys its side effects on its own
 * business key, or checks for the id before compensating.
 */
public class DeliveryException extends SmartMQException {
    private static final long serialVersionUID = 1L;

    private final String messageId;
    private final boolean mayHaveBeenStored;

    /** A message neither path stored ({@link #mayHaveBeenStored()} {@code false}). */
    public DeliveryException(String messageId, String message, Throwable cause) {
        this(messageId, message, cause, false);
    }

    /**
     * @param mayHaveBeenStored whether an attempt ended without an answer, so the message may have been stored and
     *                          may still be delivered
     */
    public DeliveryException(String messageId, String message, Throwable cause, boolean mayHaveBeenStored) {
        super(message + " (message id " + messageId + ")", cause);
        this.messageId = Objects.requireNonNull(messageId, "messageId");
        this.mayHaveBeenStored = mayHaveBeenStored;
    }

    /** The id of the message. */
    public String messageId() {
        return messageId;
    }

    /**
     * Whether an attempt ended without an answer, so the message may have been stored (and may still be delivered
     * under {@link #messageId()}); {@code false}: neither path stored it.
     */
    public boolean mayHaveBeenStored() {
        return mayHaveBeenStored;
    }
}
