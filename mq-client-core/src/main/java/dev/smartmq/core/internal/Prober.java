package dev.smartmq.core.internal;

import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.Leadership;
import dev.smartmq.spi.PrimaryTransport;
import java.time.Clock;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides when the MQ is healthy again (DESIGN.md §7). Runs every {@code probeInterval} on the engine's
 * {@code smartmq-prober} thread; its counters are confined to that thread.
 *
 * <ul>
 *   <li>Leader, switch DEGRADED in AUTO mode: probe; after {@code probeSuccessThreshold} (K) consecutive
 *       successes, and once the state is older than {@code minDwellTime}, CAS to RECOVERING. A failure resets
 *       the count.</li>
 *   <li>Leader, MANUAL state not expired: never moved (a DEGRADED drill is still probed, and the count of
 *       consecutive successes is kept, so that {@link DrillExpiry} can tell at expiry whether the MQ is
 *       healthy). MANUAL state expired: {@link DrillExpiry#check()} (normally already done by its timer).</li>
 *   <li>Any instance that is <em>locally</em> degraded (its DEGRADED transition could not be published, e.g.
 *       the switch is unreachable): probes on its own, and after K consecutive successes, and the dwell time
 *       since it degraded, ends the local degradation. The unpublished transition is then dropped: the MQ
 *       came back before anyone else needed to hear about the outage.</li>
 * </ul>
 *
 * <p>{@link #probeIsolatedBrokers()} runs on the same thread, on every instance: brokers the transport isolated
 * locally are probed there and re-admitted by the transport when they answer.
 */
final class Prober {
    private static final Logger log = LoggerFactory.getLogger(Prober.class);

    private final SmartMQConfig config;
    private final PrimaryTransport transport;
    private final Leadership sw;
    private final SwitchTracker tracker;
    private final Clock clock;
    private final EngineMetrics metrics;

    private final DrillExpiry drillExpiry;

    /** Written by the prober thread only; read by {@link DrillExpiry} on other threads. */
    private volatile int successes;
    private int localSuccesses;

    Prober(SmartMQConfig config, PrimaryTransport transport, Leadership sw, SwitchTracker tracker,
           Clock clock, EngineMetrics metrics, DrillExpiry drillExpiry) {
        this.config = config;
        this.transport = transport;
        this.sw = sw;
        this.tracker = tracker;
        this.clock = clock;
        this.metrics = metrics;
        this.drillExpiry = drillExpiry;
    }

    /** Consecutive successful probes of the leader's current run (0 after a failure or a leadership loss). */
    int consecutiveSuccesses() {
        return successes;
    }

    void tick() {
        try {
            tick0();
        } catch (RuntimeException e) {
            log.error("SmartMQ prober tick failed", e);
        }
    }

    private void tick0() {
        SwitchTracker.LocalDegradation local = tracker.localDegradation();
        if (local != null) {
            successes = 0;
            probeLocally(local);
            return;
        }
        localSuccesses = 0;
        if (!sw.isLeader()) {
            successes = 0;
            return;
        }
        SwitchStatus s = tracker.status();
        Instant now = clock.instant();
        if (s.mode() == SwitchMode.MANUAL) {
            if (tracker.isManualAt(s, now)) {
                successes = s.state() == SwitchState.DEGRADED && probe() ? successes + 1 : 0;
                return;
            }
            drillExpiry.check();
            return;
        }
        if (s.state() != SwitchState.DEGRADED) {
            successes = 0;
            return;
        }
        successes = probe() ? successes + 1 : 0;
        if (successes >= config.probeSuccessThreshold() && tracker.dwellPassed(s, now)) {
            tracker.tryTransition(s, SwitchState.RECOVERING, successes + " consecutive probes of "
                    + config.probeTopic() + " succeeded");
            successes = 0;
        }
    }

    private void probeLocally(SwitchTracker.LocalDegradation local) {
        if (tracker.isSwitchReachable()) {
            // The publication is pending or was refused; try again rather than end it on our own.
            tracker.schedulePublish();
        }
        localSuccesses = probe() ? localSuccesses + 1 : 0;
        if (localSuccesses >= config.probeSuccessThreshold()
                && tracker.dwellPassed(local.since(), clock.instant()) && tracker.localDegradation() == local) {
            tracker.endLocalDegradation(localSuccesses + " consecutive probes succeeded before the switch "
                    + "could be told");
            localSuccesses = 0;
        }
    }

    /**
     * Probes the brokers the transport isolated locally and lets it re-admit those that answer (DESIGN.md §4).
     * Every instance does this for itself, leader or not: isolation is local.
     */
    void probeIsolatedBrokers() {
        try {
            if (!transport.isolatedBrokers().isEmpty()) {
                transport.probeIsolatedBrokers(config.probeTopic(), config.probeTimeout());
            }
        } catch (RuntimeException e) {
            log.warn("SmartMQ: probing isolated brokers failed: {}", e.toString());
        }
    }

    private boolean probe() {
        try {
            transport.probe(config.probeTopic(), config.probeTimeout());
            metrics.probeSuccesses.inc();
            return true;
        } catch (RuntimeException e) {
            metrics.probeFailures.inc();
            log.debug("SmartMQ probe failed: {}", e.getMessage());
            return false;
        }
    }
}
