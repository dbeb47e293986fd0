package dev.smartmq.api.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one {@code closeQuietly} of SmartMQ: closes a resource during a shutdown where one failing close must not
 * keep the others open. A failure is logged (never swallowed silently) and does not propagate.
 *
 * <p>Threads: stateless, callable from any thread.
 *
 * <p>Not API: {@code internal} packages may change in any release.
 */
public final class Closeables {
    private static final Logger log = LoggerFactory.getLogger(Closeables.class);

    private Closeables() {
    }

    /** Closes {@code c} (nothing for {@code null}); a failure is logged as "closing the {what} failed". */
    public static void closeQuietly(AutoCloseable c, String what) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("SmartMQ: closing the {} was interrupted", what);
        } catch (Exception e) {
            log.warn("SmartMQ: closing the {} failed", what, e);
        }
    }

    /** {@link #closeQuietly(AutoCloseable, String)} naming the resource by its {@code toString()}. */
    public static void closeQuietly(AutoCloseable c) {
        closeQuietly(c, String.valueOf(c));
    }
}
