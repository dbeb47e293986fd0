package dev.smartmq.samples;

import dev.smartmq.api.internal.NamedThreadFactory;
import dev.smartmq.api.SwitchState;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.testkit.checker.DeliveryChecker;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Watches the switch state the order service (the producer) sees, and the state it routes by, every
 * {@value #POLL_MILLIS} ms, and samples the fallback backlog. Once armed (when the fault is injected) every state change is marked in the
 * checker as {@code degraded}, {@code recovering} or {@code normal}, so the report gives fault → DEGRADED and
 * repaired → NORMAL. States are polled, so one shorter than the poll interval could be missed; the dwell time
 * (seconds) makes that impossible here.
 */
final class SwitchWatcher implements AutoCloseable {

    static final long POLL_MILLIS = 25;

    /** A state change the watcher saw. */
    record Change(SwitchState from, SwitchState to, long atMillis, long atNanos, long epoch, String reason) {
    }

    private final SmartMQ producerSide;
    private final DeliveryChecker checker;
    private final LongSupplier totalBacklog;
    private final Thread thread;
    private final List<Change> changes = new ArrayList<>();
    private final AtomicLong peakBacklog = new AtomicLong();
    private volatile boolean armed;
    private volatile boolean running = true;
    private volatile SwitchState state;
    private volatile SwitchState effective;
    private volatile long firstLocalDegradeNanos;

    SwitchWatcher(SmartMQ producerSide, DeliveryChecker checker, LongSupplier totalBacklog) {
        this.producerSide = producerSide;
        this.checker = checker;
        this.totalBacklog = totalBacklog;
        this.state = producerSide.switchStatus().state();
        this.effective = producerSide.effectiveState();
        this.thread = new NamedThreadFactory("drill-watcher").newThread(this::run);
    }

    void start() {
        thread.start();
    }

    /** From now on, state changes are marked in the checker. */
    void arm() {
        armed = true;
    }

    SwitchState state() {
        return state;
    }

    /**
     * The state the order service routes by: the switch's, or DEGRADED as soon as it degraded locally (its
     * detector tripped) while the switch write is still under way or ZooKeeper is slow.
     */
    SwitchState effectiveState() {
        return effective;
    }

    /** {@link System#nanoTime()} when the order service first routed by DEGRADED since armed, or 0. */
    long firstLocalDegradeNanos() {
        return firstLocalDegradeNanos;
    }

    /** Whether the switch has been seen in {@code target} since it was armed. */
    synchronized boolean seenSinceArmed(SwitchState target) {
        return changes.stream().anyMatch(c -> c.to() == target);
    }

    /** {@link System#nanoTime()} when {@code target} was first seen since armed, or now if never. */
    synchronized long firstSeenNanos(SwitchState target) {
        return changes.stream().filter(c -> c.to() == target).mapToLong(Change::atNanos).findFirst()
                .orElse(System.nanoTime());
    }

    synchronized List<Change> changes() {
        return List.copyOf(changes);
    }

    /** Largest total fallback backlog (all groups) sampled. */
    long peakBacklog() {
        return peakBacklog.get();
    }

    private void run() {
        while (running) {
            var status = producerSide.switchStatus();
            SwitchState now = status.state();
            SwitchState before = state;
            if (now != before) {
                state = now;
                if (armed) {
                    long at = checker.mark(now.name().toLowerCase(Locale.ROOT));
                    synchronized (this) {
                        changes.add(new Change(before, now, at, System.nanoTime(), status.epoch(), status.reason()));
                    }
                }
            }
            SwitchState routing = producerSide.effectiveState();
            effective = routing;
            if (armed && routing == SwitchState.DEGRADED && firstLocalDegradeNanos == 0) {
                firstLocalDegradeNanos = System.nanoTime();
            }
            long backlog = totalBacklog.getAsLong();
            peakBacklog.accumulateAndGet(backlog, Math::max);
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS));
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
