package dev.smartmq.redis.internal;

/** A stored value is not a valid envelope; the message is the reason that goes to the dead-letter list. */
public final class EnvelopeFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public EnvelopeFormatException(String message) {
        super(message);
    }

    public EnvelopeFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
