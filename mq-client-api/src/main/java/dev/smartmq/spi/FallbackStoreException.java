package dev.smartmq.spi;

import dev.smartmq.api.SmartMQException;
import java.util.Objects;

/** A fallback-store call failed. The message says why; {@link #reason()} classifies it. */
public class FallbackStoreException extends SmartMQException {
    private static final long serialVersionUID = 1L;

    /** Why the store failed. */
    public enum Reason {
        /** The store did not answer or refused the connection; the write may or may not have happened. */
        UNAVAILABLE,
        /** A shard reached its configured maximum backlog; nothing was written, nothing evicted. */
        BACKLOG_FULL,
        /** The store rejected the request (e.g. a value over a size limit, out of memory). */
        REJECTED
    }

    private final Reason reason;
    private final boolean notStored;

    /** A failure of {@code reason}; {@code UNAVAILABLE} counts as "may have been stored" ({@link #notStored()}). */
    public FallbackStoreException(Reason reason, String message, Throwable cause) {
        this(reason, message, cause, reason != Reason.UNAVAILABLE);
    }

    /**
     * @param notStored whether the store knows the write did not happen ({@link #notStored()}); ignored (always
     *                  {@code true}) for {@code BACKLOG_FULL} and {@code REJECTED}, which write nothing
     */
    public FallbackStoreException(Reason reason, String message, Throwable cause, boolean notStored) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.notStored = notStored || reason != Reason.UNAVAILABLE;
    }

    /** An {@code UNAVAILABLE} failure of a write that never left the client (closed, queue full, timed out queued). */
    public static FallbackStoreException notSent(String message, Throwable cause) {
        return new FallbackStoreException(Reason.UNAVAILABLE, message, cause, true);
    }

    public Reason reason() {
        return reason;
    }

    /**
     * Whether the store knows it did not store the message: {@code BACKLOG_FULL} and {@code REJECTED} always, an
     * {@code UNAVAILABLE} one when the write never left the client (the store was closed, its writer queue was full,
     * the write waited past its deadline before it was sent) or the server refused it before running it (Redis:
     * {@code READONLY}, {@code LOADING}, {@code MOVED}…). {@code false} means the write may have happened (the
     * request went out and no answer came back) and the message may still be delivered. The engine tells its caller
     * which ({@code DeliveryException#mayHaveBeenStored}).
     */
    public boolean notStored() {
        return notStored;
    }
}
