package dev.smartmq.rocketmq.internal;

import dev.smartmq.api.internal.NamedThreadFactory;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport's promise that an async send's future completes within its budget (plus a grace), kept with
 * one lock-free queue swept by one timer thread ({@code smartmq-rocketmq-deadlines-<n>}) instead of
 * {@code CompletableFuture.orTimeout}: that schedules a task on the JDK's shared delayer per send and cancels it
 * from RocketMQ's callback thread, two trips through a locked delay queue per message, which the
 * {@code normal-async} benchmark's JFR profile showed as about 4% of the CPU samples of SmartMQ's rounds. A
 * deadline fires up to one tick late.
 *
 * <p>Thread rules: {@link #watch} from any thread; {@link #sweep} runs on the timer thread only (or a test's
 * thread while no timer runs); {@link #start} and {@link #close} once each.
 */
public final class AsyncSendDeadlines implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AsyncSendDeadlines.class);

    private record Pending(long deadlineNanos, CompletableFuture<?> future, Supplier<? extends Throwable> failure) {
    }

    private final long tickNanos;
    private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
    private final ScheduledThreadPoolExecutor timer;

    /**
     * @param tickNanos  how often pending sends are checked; at least a millisecond
     * @param threadRole the timer thread is {@code smartmq-<threadRole>-1}
     */
    public AsyncSendDeadlines(long tickNanos, String threadRole) {
        if (tickNanos < TimeUnit.MILLISECONDS.toNanos(1)) {
            throw new IllegalArgumentException("tickNanos must be at least 1 ms, but was " + tickNanos);
        }
        this.tickNanos = tickNanos;
        this.timer = new ScheduledThreadPoolExecutor(1, new NamedThreadFactory(threadRole));
    }

    /** Starts the sweeps. */
    public void start() {
        timer.scheduleWithFixedDelay(() -> {
            try {
                sweep(System.nanoTime());
            } catch (RuntimeException e) {
                LOG.warn("async send deadline sweep failed; the next one retries", e);
            }
        }, tickNanos, tickNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Fails {@code future} with {@code failure.get()} if it is still not complete at {@code deadlineNanos}
     * ({@link System#nanoTime()} scale).
     */
    public void watch(CompletableFuture<?> future, long deadlineNanos, Supplier<? extends Throwable> failure) {
        if (!future.isDone()) {
            pending.offer(new Pending(deadlineNanos, future, failure));
        }
    }

    /** Forgets completed sends and fails those past their deadline; returns how many it failed. */
    public int sweep(long nowNanos) {
        int failed = 0;
        // Budgets may differ per send, so the queue is not in deadline order: look at every entry.
        for (Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (p.future().isDone()) {
                it.remove();
            } else if (nowNanos - p.deadlineNanos() >= 0) {
                it.remove();
                if (p.future().completeExceptionally(p.failure().get())) {
                    failed++;
                }
            }
        }
        return failed;
    }

    /** Sends watched and not yet swept away. */
    public int size() {
        return pending.size();
    }

    /** Stops the timer; sends still pending are left to RocketMQ's own timeout and the engine's guard. */
    @Override
    public void close() {
        timer.shutdownNow();
    }
}
