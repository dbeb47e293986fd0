package dev.smartmq.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Multi-threaded load: closed-loop sync calls, or async calls with a bounded number in flight. Latencies go to
 * HdrHistogram in microseconds. Only operations that complete inside the window count; errors are counted
 * apart and never recorded as latencies. Threads are named {@code bench-load-<n>} and end with the round.
 */
public final class LoadGenerator {

    /** One synchronous operation; a thrown exception counts as an error. */
    @FunctionalInterface
    public interface SyncOp {
        void call() throws Exception;
    }

    /** Starts one asynchronous operation; it must call {@code done} exactly once (null = success). */
    @FunctionalInterface
    public interface AsyncOp {
        void start(Consumer<Throwable> done) throws Exception;
    }

    private LoadGenerator() {
    }

    /** {@code threads} threads call {@code op} back to back for {@code seconds}. */
    public static RoundResult closedLoop(int threads, double seconds, SyncOp op) throws InterruptedException {
        ErrorSampler sampler = new ErrorSampler();
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        Histogram[] hist = new Histogram[threads];
        long[] ops = new long[threads];
        long[] errors = new long[threads];
        long durationNanos = (long) (seconds * 1e9);
        long[] window = new long[2];
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int idx = t;
            hist[t] = RoundResult.newHistogram();
            Thread th = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                long end = window[1];
                Histogram h = hist[idx];
                long n = 0;
                long err = 0;
                while (true) {
                    long t0 = System.nanoTime();
                    if (t0 - end >= 0) {
                        break;
                    }
                    try {
                        op.call();
                        long t1 = System.nanoTime();
                        if (t1 - end < 0) {
                            n++;
                            h.recordValue(Math.min(RoundResult.MAX_LATENCY_MICROS, Math.max(1, (t1 - t0) / 1000)));
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    } catch (Exception e) {
                        err++;
                        sampler.note(e);
                    }
                }
                ops[idx] = n;
                errors[idx] = err;
            }, "bench-load-" + (t + 1));
            th.setDaemon(true);
            workers.add(th);
            th.start();
        }
        ready.await();
        window[0] = System.nanoTime();
        window[1] = window[0] + durationNanos;
        go.countDown();
        for (Thread th : workers) {
            th.join();
        }
        Histogram all = RoundResult.newHistogram();
        long total = 0;
        long err = 0;
        for (int t = 0; t < threads; t++) {
            all.add(hist[t]);
            total += ops[t];
            err += errors[t];
        }
        return RoundResult.measured(total, err, seconds, all);
    }

    /**
     * {@code submitters} threads start {@code op} as fast as a shared semaphore of {@code inflight} permits
     * allows, for {@code seconds}; then waits (up to 60 s) for what is still in flight, which does not count.
     */
    public static RoundResult boundedAsync(int submitters, int inflight, double seconds, AsyncOp op)
            throws InterruptedException {
        ErrorSampler sampler = new ErrorSampler();
        Semaphore permits = new Semaphore(inflight);
        Recorder recorder = new Recorder(RoundResult.MAX_LATENCY_MICROS, 3);
        AtomicLong ops = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < submitters; t++) {
            Thread th = new Thread(() -> {
                while (System.nanoTime() - end < 0) {
                    try {
                        if (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                            continue;
                        }
                    } catch (InterruptedException e) {
                        return;
                    }
                    long t0 = System.nanoTime();
                    try {
                        op.start(error -> {
                            long t1 = System.nanoTime();
                            if (error != null) {
                                errors.incrementAndGet();
                                sampler.note(error);
                            } else if (t1 - end < 0) {
                                ops.incrementAndGet();
                                recorder.recordValue(Math.min(RoundResult.MAX_LATENCY_MICROS, Math.max(1, (t1 - t0) / 1000)));
                            }
                            permits.release();
                        });
                    } catch (Exception e) {
                        errors.incrementAndGet();
                        sampler.note(e);
                        permits.release();
                    }
                }
            }, "bench-load-" + (t + 1));
            th.setDaemon(true);
            workers.add(th);
            th.start();
        }
        for (Thread th : workers) {
            th.join();
        }
        if (!permits.tryAcquire(inflight, 60, TimeUnit.SECONDS)) {
            System.out.println("  warning: async sends still in flight 60 s after the round ended");
        } else {
            permits.release(inflight);
        }
        return RoundResult.measured(ops.get(), errors.get(), seconds, recorder.getIntervalHistogram());
    }
}
