package dev.smartmq.core.internal;

import dev.smartmq.spi.ClaimedMessage;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The consumer's one queue of work, ordered by due time and, among work due at the same time, by when it was
 * scheduled: each (subscription, shard) is one {@link ShardWork}, a failed CONCURRENT message waiting for its
 * in-memory retry is a {@link RetryWork}, and {@link #stopWorkers} hands each worker a {@link StopWork}. Work
 * put back due <em>now</em> goes behind every item already due, so no shard starves; idle workers block in
 * {@link #take()}, nothing spins.
 *
 * <p>Threads: safe for any number of threads. A work item is in the queue at most once, and only the thread that
 * took it (or removed it in {@link #wake}) may schedule it again.
 */
final class ShardScheduler {
    private final DelayQueue<Work> queue = new DelayQueue<>();
    private final AtomicLong order = new AtomicLong();

    /** Queues {@code w} due in {@code delayNanos}, behind everything already due by then. */
    void schedule(Work w, long delayNanos) {
        w.dueNanos = System.nanoTime() + delayNanos;
        w.order = order.incrementAndGet();
        queue.add(w);
    }

    /** The earliest due work, waiting until some is due. */
    Work take() throws InterruptedException {
        return queue.take();
    }

    /** The earliest due work, or {@code null} if none is due now. */
    Work poll() {
        return queue.poll();
    }

    /** Hands {@code workers} workers a stop item each, due now (behind what is due already). */
    void stopWorkers(int workers) {
        for (int i = 0; i < workers; i++) {
            queue.add(new StopWork(order.incrementAndGet()));
        }
    }

    /**
     * Pulls the shards of {@code sub} due later than {@code soonNanos} from now forward to now, with their
     * empty-shard back-off reset (a state change made them interesting). Returns how many moved.
     */
    int wake(ConsumerSubscription sub, long soonNanos) {
        long now = System.nanoTime();
        int moved = 0;
        for (Work w : queue.toArray(new Work[0])) {
            if (w instanceof ShardWork s && s.sub == sub && s.dueNanos - now > soonNanos && queue.remove(s)) {
                s.emptyBackoffNanos = 0;
                schedule(s, 0);
                moved++;
            }
        }
        return moved;
    }

    int size() {
        return queue.size();
    }

    void clear() {
        queue.clear();
    }

    /** A queued item of work; {@link #sub} is {@code null} only for {@link StopWork}. */
    abstract static class Work implements Delayed {
        final ConsumerSubscription sub;
        volatile long dueNanos;
        volatile long order;

        Work(ConsumerSubscription sub) {
            this.sub = sub;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            Work w = (Work) o;
            int c = Long.compare(dueNanos - w.dueNanos, 0);
            return c != 0 ? c : Long.compare(order, w.order);
        }
    }

    /** Claim and handle a batch of one shard of a subscription. */
    static final class ShardWork extends Work {
        final int shard;
        /** Back-off after empty claims; only the worker holding the item (or {@link #wake}) touches it. */
        long emptyBackoffNanos;

        ShardWork(ConsumerSubscription sub, int shard) {
            super(sub);
            this.shard = shard;
        }
    }

    /** Deliver again a claimed CONCURRENT message whose delivery failed. */
    static final class RetryWork extends Work {
        final ClaimedMessage message;
        final int attempt;

        RetryWork(ConsumerSubscription sub, ClaimedMessage message, int attempt) {
            super(sub);
            this.message = message;
            this.attempt = attempt;
        }
    }

    /** Ends the worker that takes it. */
    static final class StopWork extends Work {
        StopWork(long order) {
            super(null);
            this.dueNanos = System.nanoTime();
            this.order = order;
        }
    }
}
