package dev.smartmq.core.internal;

import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.Leadership;
import dev.smartmq.spi.LeadershipListener;
import dev.smartmq.spi.SwitchListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends an operator's MANUAL state at its {@code expiresAt} (DESIGN.md §3), on the leader, and hands it back to
 * automation: an expired MANUAL {@code DEGRADED} becomes {@code RECOVERING} only if the prober's last
 * {@code probeSuccessThreshold} probes succeeded, otherwise {@code DEGRADED} in AUTO (producers must not return
 * to a dead MQ); any other expired MANUAL state becomes the same state in AUTO.
 *
 * <p>Timing: a timer fires at {@code expiresAt} (by this instance's clock) and the check runs on the switch
 * thread; an instance that becomes the leader, or sees the switch again, after the expiry checks at once; the
 * prober's tick checks too, as a safety net. So the drill ends within the timer's latency (milliseconds) plus
 * one switch write of {@code expiresAt}, as judged by the leader's clock, whoever holds the leadership.
 *
 * <p>Thread rules: {@link #check()} is synchronized and may be called from any engine thread (the switch
 * thread, the prober thread); the CAS on the switch makes concurrent callers in other instances safe too.
 */
final class DrillExpiry implements SwitchListener, LeadershipListener {
    private static final Logger log = LoggerFactory.getLogger(DrillExpiry.class);

    private final SmartMQConfig config;
    private final Leadership sw;
    private final SwitchTracker tracker;
    private final Clock clock;
    private final IntSupplier consecutiveProbeSuccesses;
    private volatile ScheduledExecutorService timer;
    private volatile Executor switchExecutor;
    // guarded by this
    private ScheduledFuture<?> pending;
    private long pendingEpoch = -1;

    DrillExpiry(SmartMQConfig config, Leadership sw, SwitchTracker tracker, Clock clock,
                IntSupplier consecutiveProbeSuccesses) {
        this.config = config;
        this.sw = sw;
        this.tracker = tracker;
        this.clock = clock;
        this.consecutiveProbeSuccesses = consecutiveProbeSuccesses;
    }

    /** Starts timing: {@code timer} only hands the check over to {@code switchExecutor}, it never blocks. */
    void bind(ScheduledExecutorService timer, Executor switchExecutor) {
        this.timer = timer;
        this.switchExecutor = switchExecutor;
        schedule(tracker.status());
    }

    /** Arms the timer for {@code s}'s expiry (once per epoch). */
    synchronized void schedule(SwitchStatus s) {
        ScheduledExecutorService t = timer;
        if (t == null || s == null || s.mode() != SwitchMode.MANUAL || s.expiresAt() == null) {
            return;
        }
        if (pendingEpoch == s.epoch() && pending != null && !pending.isDone()) {
            return;
        }
        if (pending != null) {
            pending.cancel(false);
        }
        long delayNanos = Math.max(0, Duration.between(clock.instant(), tracker.expiryOf(s)).toNanos());
        try {
            pendingEpoch = s.epoch();
            pending = t.schedule(this::handOver, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closing) {
            pending = null;
        }
    }

    private void handOver() {
        Executor e = switchExecutor;
        try {
            e.execute(this::check);
        } catch (RejectedExecutionException closing) {
            // the engine is closing
        }
    }

    /** If this instance leads and the MANUAL state has expired, hands it back to automation. */
    synchronized void check() {
        try {
            check0();
        } catch (RuntimeException e) {
            log.error("SmartMQ: ending an expired manual switch state failed", e);
        }
    }

    private void check0() {
        SwitchStatus s = tracker.status();
        if (s.mode() != SwitchMode.MANUAL || s.expiresAt() == null) {
            return;
        }
        Instant now = clock.instant();
        if (now.isBefore(tracker.expiryOf(s))) {
            // Woke early (the expiry moved to when this instance saw the drill, or the clock moved differently
            // from the timer's): re-arm for the rest. The timer task calling us counts as not done yet.
            pending = null;
            schedule(s);
            return;
        }
        if (!sw.isLeader()) {
            return; // the leader ends it; a new leader checks when elected
        }
        SwitchState target = s.state();
        int successes = consecutiveProbeSuccesses.getAsInt();
        String outcome;
        if (s.state() == SwitchState.DEGRADED) {
            if (successes >= config.probeSuccessThreshold()) {
                target = SwitchState.RECOVERING;
                outcome = "the last " + successes + " probes succeeded";
            } else {
                outcome = "only " + successes + " of the last " + config.probeSuccessThreshold()
                        + " probes succeeded, staying DEGRADED";
            }
        } else {
            outcome = "kept as is";
        }
        String reason = "manual " + s.state() + " by " + s.changedBy() + " expired at " + s.expiresAt()
                + "; automation takes over (" + outcome + ")";
        tracker.tryTransition(s, target, reason);
    }

    // SwitchListener, called on the engine's switch thread.

    @Override
    public void onStatusChanged(SwitchStatus previous, SwitchStatus current) {
        schedule(current);
        if (current != null && current.mode() == SwitchMode.MANUAL && current.expiresAt() != null
                && !clock.instant().isBefore(tracker.expiryOf(current))) {
            check();
        }
    }

    @Override
    public void onReachabilityChanged(boolean reachable) {
        if (reachable) {
            check();
        }
    }

    @Override
    public void leadershipChanged(boolean leader) {
        if (leader) {
            check();
        }
    }
}
