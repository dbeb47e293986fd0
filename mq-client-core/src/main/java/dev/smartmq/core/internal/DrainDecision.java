package dev.smartmq.core.internal;

import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.DegradationSwitch;
import dev.smartmq.spi.FallbackStore;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's RECOVERING → NORMAL decision (DESIGN.md §7): every {@code drainCheckInterval}, when the
 * fallback backlog of every registered (topic, group) is zero and RECOVERING is older than the dwell time,
 * CAS to NORMAL. It also refreshes the cached backlog gauges of every registered group.
 */
final class DrainDecision {
    private static final Logger log = LoggerFactory.getLogger(DrainDecision.class);

    private final DegradationSwitch sw;
    private final FallbackStore store;
    private final SwitchTracker tracker;
    private final Clock clock;
    private final EngineMetrics metrics;

    DrainDecision(DegradationSwitch sw, FallbackStore store, SwitchTracker tracker, Clock clock,
                  EngineMetrics metrics) {
        this.sw = sw;
        this.store = store;
        this.tracker = tracker;
        this.clock = clock;
        this.metrics = metrics;
    }

    void tick() {
        try {
            tick0();
        } catch (RuntimeException e) {
            log.warn("SmartMQ drain check failed: {}", e.toString());
        }
    }

    private void tick0() {
        if (!sw.isLeader() || tracker.isLocallyDegraded()) {
            return;
        }
        SwitchStatus s = tracker.status();
        if (s.state() != SwitchState.RECOVERING || s.mode() != SwitchMode.AUTO
                || !tracker.dwellPassed(s.changedAt(), clock.instant())) {
            return;
        }
        long total = 0;
        for (Map.Entry<String, Set<String>> e : sw.registeredGroups().entrySet()) {
            for (String group : e.getValue()) {
                long backlog = store.backlog(e.getKey(), group);
                metrics.backlog(e.getKey(), group, backlog);
                total += backlog;
            }
        }
        if (total == 0) {
            tracker.tryTransition(s, SwitchState.NORMAL, "fallback backlog drained for every registered group");
        } else {
            log.debug("SmartMQ: {} messages left in the fallback store", total);
        }
    }
}
