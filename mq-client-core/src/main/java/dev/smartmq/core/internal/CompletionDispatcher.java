package dev.smartmq.core.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Runs callers' {@code sendAsync} completions off the internal I/O threads at batch cost: completions go to
 * one lock-free queue, and a drainer task on the completion executor runs whatever it finds there until the
 * queue is empty. Under load one drainer stays busy and the hand-off costs a queue offer and poll per message;
 * handing every completion to the executor on its own cost a thread wake-up (and a context switch) per message,
 * which the {@code normal-async} benchmark's profile showed as the largest share of SmartMQ's own CPU.
 *
 * <p>What a slow or blocking callback costs others: a drainer that has made no progress for {@link #STALL_NANOS}
 * while completions wait is taken as stuck, and another drainer starts on another executor thread — checked at
 * every {@link #execute} and by {@link #checkStalled()} (which the engine's timer calls every
 * {@link #CHECK_NANOS}), so a blocking callback delays the completions queued behind it by at most about 70 ms
 * (20 while sends keep completing), and never blocks the thread that completed the send. A long queue (more than {@link #BACKLOG_PER_DRAINER}
 * per running drainer) starts another drainer too, so callbacks that cost CPU run in parallel. If the executor
 * refuses a drainer (shut down, or a caller's saturated executor), the queued completions run on the thread that
 * submitted, rather than never.
 *
 * <p>Thread rules: {@link #execute} and {@link #checkStalled} from any thread; lock-free.
 */
final class CompletionDispatcher implements Executor {

    /** No progress for this long while completions wait: the running drainers are taken as stuck. */
    static final long STALL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** How often the engine's timer calls {@link #checkStalled()}. */
    static final long CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** Completions waiting per running drainer beyond which another one starts. */
    static final int BACKLOG_PER_DRAINER = 32;

    private final Executor threads;
    private final LongSupplier nanoTime;
    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicInteger drainers = new AtomicInteger();
    private volatile long lastProgressNanos;
    private final Runnable drainer = this::drain;

    CompletionDispatcher(Executor threads, LongSupplier nanoTime) {
        this.threads = threads;
        this.nanoTime = nanoTime;
        this.lastProgressNanos = nanoTime.getAsLong();
    }

    @Override
    public void execute(Runnable completion) {
        int n = waiting.incrementAndGet();
        queue.offer(completion);
        int running = drainers.get();
        if (running == 0 || n > BACKLOG_PER_DRAINER * running || stalled()) {
            startDrainer();
        }
    }

    /** Starts another drainer if completions wait behind drainers that made no progress lately. */
    void checkStalled() {
        if (waiting.get() > 0 && (drainers.get() == 0 || stalled())) {
            startDrainer();
        }
    }

    /** Drainers running now (stuck ones included). */
    int drainers() {
        return drainers.get();
    }

    private boolean stalled() {
        return nanoTime.getAsLong() - lastProgressNanos > STALL_NANOS;
    }

    private void startDrainer() {
        drainers.incrementAndGet();
        // Counts as progress: a second check right after this one must not start a third drainer at once.
        lastProgressNanos = nanoTime.getAsLong();
        try {
            threads.execute(drainer);
        } catch (RejectedExecutionException e) {
            drainers.decrementAndGet();
            runQueuedHere();
        }
    }

    private void drain() {
        while (true) {
            Runnable r = queue.poll();
            if (r == null) {
                drainers.decrementAndGet();
                // A completion offered after the poll may have seen this drainer still counted: look again.
                if (queue.isEmpty()) {
                    return;
                }
                drainers.incrementAndGet();
                continue;
            }
            waiting.decrementAndGet();
            lastProgressNanos = nanoTime.getAsLong();
            try {
                run(r);
            } catch (Error e) {
                drainers.decrementAndGet();
                checkStalled();
                throw e;
            }
        }
    }

    private void runQueuedHere() {
        for (Runnable r = queue.poll(); r != null; r = queue.poll()) {
            waiting.decrementAndGet();
            run(r);
        }
    }

    private static void run(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            // A completion only completes a caller's future; dependent stages catch their own throwables.
            // Anything else reaching here is a bug in that runnable; it must not end the drainer.
            Thread t = Thread.currentThread();
            t.getUncaughtExceptionHandler().uncaughtException(t, e);
        }
    }
}
