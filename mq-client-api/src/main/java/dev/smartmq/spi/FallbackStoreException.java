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

    public FallbackStoreException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
