package dev.smartmq.core.internal;

import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.core.internal.SwitchTracker.EffectiveStateObserver;
import dev.smartmq.core.internal.SwitchTracker.LocalDegradation;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fan-out of {@link SwitchTracker}'s changes to its {@link EffectiveStateObserver}s, in the order the
 * tracker adopted them. Its one job: deliver each queued change to every observer exactly once, in order,
 * isolating observer failures (logged, never thrown back). It holds no switch state and never writes the
 * switch; {@link SwitchTracker} remains the only writer.
 *
 * <p>Thread rules: thread-safe. The tracker enqueues ({@link #stateChanged}, {@link #localDegradation},
 * {@link #document}) while holding its own lock, so the queue order is the adoption order; it then calls
 * {@link #run()} outside that lock, on whichever engine thread made the change. {@code run()} never blocks
 * or waits: the first thread to get there runs the queue, any other leaves its entries to it. Observers
 * are added at any time (copy-on-write list) and must not block.
 */
final class SwitchObservers {
    private static final Logger log = LoggerFactory.getLogger(SwitchTracker.class);

    private final List<EffectiveStateObserver> observers = new CopyOnWriteArrayList<>();
    /** Observer calls in adoption order: appended under the tracker's lock, run by {@link #run()}. */
    private final Queue<Runnable> fires = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean firing = new AtomicBoolean();

    void add(EffectiveStateObserver observer) {
        observers.add(observer);
    }

    /** Queues an effective-state change (nothing is told if {@code before == after}). */
    void stateChanged(SwitchState before, SwitchState after) {
        fires.add(() -> fire(before, after));
    }

    /** Queues an adopted document: the effective-state change, then the document itself. */
    void document(SwitchState before, SwitchState after, SwitchStatus previous, SwitchStatus current,
                  boolean byThisInstance) {
        fires.add(() -> {
            fire(before, after);
            fireDocument(previous, current, byThisInstance);
        });
    }

    /** Queues the start of a local degradation (nothing is told if {@code before} was already DEGRADED). */
    void localDegradation(SwitchState before, LocalDegradation started) {
        fires.add(() -> fireLocal(before, started));
    }

    /**
     * Runs the queued observer calls in the order they were queued, on whichever thread gets here first; a
     * thread that finds another one running them leaves its own to it. Nothing waits, so an observer that reads
     * the tracker (or holds a lock a reader of the tracker holds) cannot deadlock, and two threads adopting two
     * documents can no longer tell the observers RECOVERING after NORMAL.
     */
    void run() {
        while (!fires.isEmpty()) {
            if (!firing.compareAndSet(false, true)) {
                return; // the running thread re-checks the queue after it stops
            }
            try {
                Runnable r;
                while ((r = fires.poll()) != null) {
                    r.run();
                }
            } finally {
                firing.set(false);
            }
        }
    }

    private void fire(SwitchState before, SwitchState after) {
        if (before == after) {
            return;
        }
        for (EffectiveStateObserver o : observers) {
            try {
                o.onEffectiveStateChanged(before, after);
            } catch (RuntimeException e) {
                log.error("SmartMQ: effective-state observer failed", e);
            }
        }
    }

    private void fireLocal(SwitchState before, LocalDegradation started) {
        if (before == SwitchState.DEGRADED) {
            return;
        }
        for (EffectiveStateObserver o : observers) {
            try {
                o.onLocalDegradation(before, started);
            } catch (RuntimeException e) {
                log.error("SmartMQ: effective-state observer failed", e);
            }
        }
    }

    private void fireDocument(SwitchStatus previous, SwitchStatus current, boolean ours) {
        for (EffectiveStateObserver o : observers) {
            try {
                o.onSwitchDocument(previous, current, ours);
            } catch (RuntimeException e) {
                log.error("SmartMQ: switch-document observer failed", e);
            }
        }
    }
}
