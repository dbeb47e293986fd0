package dev.smartmq.core.internal;

import dev.smartmq.api.SwitchState;
import dev.smartmq.spi.FallbackStore;
import dev.smartmq.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a subscription's fallback backlog into the backlog gauge and, for ORDERED, opens or closes its MQ side:
 * paused while the effective state is DEGRADED, and while RECOVERING until the group's fallback backlog is zero
 * (once drained it stays open until the next degradation), so no MQ message overtakes the fallback backlog.
 *
 * <p>Threads: runs on the maintenance thread; the gate and the MQ pause/resume change together under the gate's
 * monitor, so a transport subscription made concurrently sees the gate's current position.
 */
final class BacklogGate {
    private static final Logger log = LoggerFactory.getLogger(BacklogGate.class);

    private final FallbackStore store;
    private final SwitchTracker tracker;
    private final EngineMetrics metrics;

    BacklogGate(FallbackStore store, SwitchTracker tracker, EngineMetrics metrics) {
        this.store = store;
        this.tracker = tracker;
        this.metrics = metrics;
    }

    /** Where a new ORDERED subscription's gate starts: open only in NORMAL. */
    void initialise(ConsumerSubscription sub) {
        if (sub.ordered) {
            sub.gate.set(tracker.effectiveState() == SwitchState.NORMAL);
        }
    }

    void refresh(ConsumerSubscription sub) {
        long backlog = -1;
        try {
            backlog = store.backlog(sub.topic, sub.group);
            metrics.backlog(sub.topic, sub.group, backlog);
        } catch (RuntimeException e) {
            log.debug("SmartMQ: backlog of {} unknown: {}", sub.subscription, e.getMessage());
        }
        if (sub.ordered) {
            apply(sub, backlog);
        }
    }

    private void apply(ConsumerSubscription sub, long backlog) {
        SwitchState state = tracker.effectiveState();
        boolean open;
        if (state == SwitchState.DEGRADED) {
            open = false;
        } else if (state == SwitchState.RECOVERING) {
            // Once drained it stays open until the next degradation: later per-message fallbacks are
            // swept like in NORMAL rather than pausing the MQ again.
            open = sub.gate.isOpen() || backlog == 0;
        } else {
            open = true;
        }
        synchronized (sub.gate) {
            if (sub.cancelled || sub.gate.isOpen() == open) {
                return;
            }
            sub.gate.set(open);
            TransportSubscription t = sub.transportSub;
            if (t != null) {
                if (open) {
                    t.resume();
                } else {
                    t.pause();
                }
            }
        }
        log.info("SmartMQ: MQ side of ordered {} {} ({}, fallback backlog {})", sub.subscription,
                open ? "resumed" : "paused", state, backlog < 0 ? "unknown" : backlog);
    }
}
