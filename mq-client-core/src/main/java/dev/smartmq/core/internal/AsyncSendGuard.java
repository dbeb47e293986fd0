package dev.smartmq.core.internal;

import dev.smartmq.spi.TransportException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * Fails the async MQ sends a transport leaves unanswered for longer than the guard time, so that they go to the
 * fallback store instead of hanging.
 *
 * <p>One lock-free queue and a periodic {@link #sweep} instead of a scheduled task per send. Every send gets the
 * same guard time, so the queue is in deadline order and a sweep stops at the first entry that is neither
 * answered nor due. A task per send cost two round trips through the timer's locked queue per message
 * (schedule, then cancel from the transport's callback thread), contended by every sender and callback thread;
 * in the {@code normal-async} benchmark's profile those were the engine's largest own cost. A guard fires up to
 * one {@link #tickNanos() tick} late, which is fine for a backstop behind the transport's own timeout.
 *
 * <p>{@link #watch} may be called from any thread; {@link #sweep} from one thread at a time (the engine's timer).
 */
final class AsyncSendGuard {

    private static final long MIN_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long MAX_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private record Pending(long deadlineNanos, CompletableFuture<?> future) {
    }

    private final long guardNanos;
    private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();

    AsyncSendGuard(long guardNanos) {
        if (guardNanos <= 0) {
            throw new IllegalArgumentException("guardNanos must be positive: " + guardNanos);
        }
        this.guardNanos = guardNanos;
    }

    /** The guard time. */
    long guardNanos() {
        return guardNanos;
    }

    /** How often {@link #sweep} should run: a twentieth of the guard time, between 10 and 250 ms. */
    long tickNanos() {
        return Math.max(MIN_TICK_NANOS, Math.min(MAX_TICK_NANOS, guardNanos / 20));
    }

    /** Fails {@code future} if it is still not complete one guard time after {@code nowNanos}. */
    void watch(CompletableFuture<?> future, long nowNanos) {
        if (!future.isDone()) {
            pending.offer(new Pending(nowNanos + guardNanos, future));
        }
    }

    /**
     * Forgets answered sends at the head of the queue and fails those whose deadline is past, up to the first
     * one that is neither. Returns how many it failed.
     */
    int sweep(long nowNanos) {
        int failed = 0;
        for (Pending p = pending.peek(); p != null; p = pending.peek()) {
            boolean done = p.future().isDone();
            if (!done && p.deadlineNanos() - nowNanos > 0) {
                break;
            }
            pending.poll(); // the only consumer: this is p
            if (!done && p.future().completeExceptionally(TransportException.infrastructure(
                    "no answer from the MQ within " + Duration.ofNanos(guardNanos), null))) {
                failed++;
            }
        }
        return failed;
    }

    /** Sends watched and not yet swept away (answered ones included until a sweep reaches them). */
    int size() {
        return pending.size();
    }
}
