package dev.smartmq.api;

/**
 * The message was rejected before any I/O because it breaks an input rule (missing or illegal topic,
 * empty or oversized body, illegal property). Nothing was written anywhere, and the rejection never
 * counts as an infrastructure failure: bad input never degrades anyone.
 */
public class InvalidMessageException extends SmartMQException {
    private static final long serialVersionUID = 1L;

    public InvalidMessageException(String message) {
        super(message);
    }

    public InvalidMessageException(String message, Throwable cause) {
        super(message, cause);
    }
}
