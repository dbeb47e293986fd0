package dev.smartmq.core.internal;

import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.ConsumerRegistry;
import dev.smartmq.spi.Leadership;
import dev.smartmq.spi.FallbackStore;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's RECOVERING → NORMAL decision (DESIGN.md §7): every {@code drainCheckInterval}, when the
 * fallback backlog of every registered (topic, group) is zero, no topic's unclaimed shards hold a message, and
 * RECOVERING is older than the dwell time, CAS to NORMAL. It also refreshes the cached backlog gauges of every
 * registered group, and hands unclaimed messages to every registered group of their topic
 * ({@link UnclaimedDistribution}): each tick while DEGRADED or RECOVERING, every {@code normalSweepInterval}
 * in NORMAL. A group with no live consumer for {@code abandonedGroupTimeout}, and the unclaimed messages of
 * a topic without any registered group for as long, stop holding RECOVERING (they are kept; see
 * {@link Abandonment}).
 *
 * <p>Thread rules: {@link #tick()} runs on the engine's {@code smartmq-prober} thread only; its state is
 * confined to that thread.
 */
final class DrainDecision {
    private static final Logger log = LoggerFactory.getLogger(DrainDecision.class);

    private final SmartMQConfig config;
    private final Leadership leadership;
    private final ConsumerRegistry sw;
    private final FallbackStore store;
    private final SwitchTracker tracker;
    private final Clock clock;
    private final EngineMetrics metrics;
    private final UnclaimedDistribution distribution;
    private final Abandonment abandonment;
    private long lastDistributionNanos = System.nanoTime();

    DrainDecision(SmartMQConfig config, Leadership leadership, ConsumerRegistry sw, FallbackStore store, SwitchTracker tracker, Clock clock,
                  EngineMetrics metrics) {
        this.config = config;
        this.leadership = leadership;
        this.sw = sw;
        this.store = store;
        this.tracker = tracker;
        this.clock = clock;
        this.metrics = metrics;
        this.distribution = new UnclaimedDistribution(store, sw);
        this.abandonment = new Abandonment(sw, config.abandonedGroupTimeout());
    }

    void tick() {
        try {
            tick0();
        } catch (RuntimeException e) {
            log.warn("SmartMQ drain check failed: {}", e.toString());
        }
    }

    private void tick0() {
        if (!leadership.isLeader() || tracker.isLocallyDegraded()) {
            return;
        }
        SwitchStatus s = tracker.status();
        long now = System.nanoTime();
        if (s.state() != SwitchState.NORMAL || now - lastDistributionNanos >= config.normalSweepInterval().toNanos()) {
            lastDistributionNanos = now;
            distributeUnclaimed();
        }
        if (s.state() != SwitchState.RECOVERING || s.mode() != SwitchMode.AUTO
                || !tracker.dwellPassed(s, clock.instant())) {
            return;
        }
        long total = 0;
        boolean unknown = false;
        long heldDueBefore = heldDueBefore(clock.millis(), config.delayedDrainHorizon());
        Map<String, Set<String>> registered = sw.registeredGroups();
        for (Map.Entry<String, Set<String>> e : registered.entrySet()) {
            for (String group : e.getValue()) {
                try {
                    long backlog = store.backlog(e.getKey(), group)
                            + store.delayedBacklogDueBefore(e.getKey(), group, heldDueBefore);
                    metrics.backlog(e.getKey(), group, backlog);
                    if (backlog > 0 && !abandonment.groupAbandoned(e.getKey(), group, backlog, now)) {
                        total += backlog;
                    }
                } catch (RuntimeException ex) {
                    unknown = true; // one group's failure never blinds the check for the others
                    log.warn("SmartMQ drain check: backlog of {}/{} unknown: {}", e.getKey(), group, ex.toString());
                }
            }
        }
        long unclaimed = 0;
        for (String topic : store.unclaimedTopics()) {
            long waiting = store.unclaimedBacklog(topic);
            boolean noGroup = registered.getOrDefault(topic, Set.of()).isEmpty();
            if (waiting > 0 && !abandonment.topicAbandoned(topic, noGroup, waiting, now)) {
                unclaimed += waiting;
            }
        }
        if (total == 0 && unclaimed == 0 && !unknown) {
            tracker.tryTransition(s, SwitchState.NORMAL, "fallback backlog drained for every registered group");
        } else {
            log.debug("SmartMQ: {} messages left in the fallback store, {} waiting for a group{}", total, unclaimed,
                    unknown ? ", some backlogs unknown" : "");
        }
    }

    private void distributeUnclaimed() {
        for (String topic : store.unclaimedTopics()) {
            try {
                if (store.unclaimedBacklog(topic) > 0) {
                    distribution.distribute(topic, null);
                }
            } catch (RuntimeException e) {
                log.warn("SmartMQ: handing the unclaimed messages of topic {} to its groups failed: {}", topic,
                        e.toString());
            }
        }
    }

    /** The due time before which held delayed messages count (saturated: a horizon of centuries counts them all). */
    static long heldDueBefore(long nowMillis, java.time.Duration horizon) {
        try {
            return Math.addExact(nowMillis, horizon.toMillis());
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
