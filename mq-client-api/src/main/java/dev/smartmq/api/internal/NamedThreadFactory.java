package dev.smartmq.api.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread factory of SmartMQ: names threads {@code smartmq-<role>-<n>} ({@code n} from 1, per factory, no
 * global counter), makes them daemons (a forgotten {@code close()} must not keep a JVM alive), logs a thread that
 * dies of an uncaught throwable, and remembers its live threads so that {@code close()} can prove (by joining)
 * that it left none behind.
 *
 * <p>Threads: safe for use from any thread. A thread is forgotten when its runnable returns, so a factory behind a
 * cached pool does not grow without bound.
 *
 * <p>Not API: {@code internal} packages may change in any release.
 */
public final class NamedThreadFactory implements ThreadFactory {
    private static final Logger log = LoggerFactory.getLogger(NamedThreadFactory.class);

    private final String prefix;
    private final AtomicInteger counter = new AtomicInteger();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    /** @param role what the threads do, e.g. {@code consumer}: threads are {@code smartmq-consumer-1, -2, ...} */
    public NamedThreadFactory(String role) {
        if (role == null || role.isBlank()) {
            throw new IllegalArgumentException("role must not be blank, but was '" + role + "'");
        }
        this.prefix = "smartmq-" + role + "-";
    }

    @Override
    public Thread newThread(Runnable r) {
        Thread[] self = new Thread[1];
        Thread t = new Thread(() -> {
            try {
                r.run();
            } finally {
                threads.remove(self[0]);
            }
        }, prefix + counter.incrementAndGet());
        self[0] = t;
        t.setDaemon(true);
        t.setUncaughtExceptionHandler((th, e) -> log.error("SmartMQ thread {} died", th.getName(), e));
        threads.add(t);
        return t;
    }

    /** The threads made here that have not ended yet (including those not started). */
    public List<Thread> threads() {
        return List.copyOf(threads);
    }

    /** Waits until every thread made here has ended, or the deadline ({@link System#nanoTime()}) passes. */
    public boolean joinAll(long deadlineNanos) {
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
     * joins the threads of {@code factory} for at most {@code extraMillis} more.
     */
    public static void shutdown(ExecutorService executor, NamedThreadFactory factory, long deadlineNanos,
                                long extraMillis) {
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
