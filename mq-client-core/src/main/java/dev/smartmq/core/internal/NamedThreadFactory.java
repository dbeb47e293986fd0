package dev.smartmq.core.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Names threads {@code smartmq-<role>-<n>} and remembers them, so that {@code close()} can prove (by joining)
 * that it left no thread behind. Threads are daemons: a forgotten {@code close()} must not keep a JVM alive.
 */
final class NamedThreadFactory implements ThreadFactory {
    private static final Logger log = LoggerFactory.getLogger(NamedThreadFactory.class);

    private final String prefix;
    private final AtomicInteger counter = new AtomicInteger();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    NamedThreadFactory(String role) {
        this.prefix = "smartmq-" + role + "-";
    }

    @Override
    public Thread newThread(Runnable r) {
        Thread t = new Thread(r, prefix + counter.incrementAndGet());
        t.setDaemon(true);
        t.setUncaughtExceptionHandler((th, e) -> log.error("SmartMQ thread {} died", th.getName(), e));
        threads.add(t);
        return t;
    }

    List<Thread> threads() {
        return threads;
    }

    /** Waits until every thread made here has ended, or the deadline ({@link System#nanoTime()}) passes. */
    boolean joinAll(long deadlineNanos) {
        boolean all = true;
        for (Thread t : threads) {
            if (t == Thread.currentThread()) {
                continue;
            }
            long waitMillis = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
            try {
                if (waitMillis > 0) {
                    t.join(waitMillis);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            all &= !t.isAlive();
        }
        return all;
    }

    /**
     * Shuts {@code executor} down: lets queued work end until {@code deadlineNanos}, then interrupts it, then
     * joins its threads for at most {@code extraMillis} more.
     */
    static void shutdown(ExecutorService executor, NamedThreadFactory factory, long deadlineNanos, long extraMillis) {
        executor.shutdown();
        try {
            long wait = deadlineNanos - System.nanoTime();
            if (wait <= 0 || !executor.awaitTermination(wait, TimeUnit.NANOSECONDS)) {
                executor.shutdownNow();
                executor.awaitTermination(extraMillis, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
        if (!factory.joinAll(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(extraMillis))) {
            log.warn("SmartMQ: some {} threads did not end in time", factory.prefix);
        }
    }
}
