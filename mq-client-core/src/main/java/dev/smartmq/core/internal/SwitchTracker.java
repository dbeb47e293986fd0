package dev.smartmq.core.internal;

import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.LeadershipListener;
import dev.smartmq.spi.SwitchAccessDeniedException;
import dev.smartmq.spi.SwitchListener;
import dev.smartmq.spi.SwitchStore;
import dev.smartmq.spi.SwitchTransition;
import dev.smartmq.spi.SwitchUnavailableException;
import dev.smartmq.spi.TransitionResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This instance's view of the degradation switch, and the only place that writes it.
 *
 * <p>The <em>effective</em> state routes sends and paces consumers. It is the switch's state, except while
 * this instance is <em>locally degraded</em>: its failure detector tripped, and the DEGRADED transition is
 * not published yet (the switch is unreachable, or the write is in flight). A locally degraded instance
 * routes to the fallback store at once, publishes the transition when the switch is reachable, and adopts
 * any newer document someone else wrote in the meantime instead of its own.
 *
 * <p>Anti-flapping: no automatic transition leaves a state younger than {@code minDwellTime}, measured on the
 * injected clock from the moment this instance saw the state begin ({@link #since}: clock skew between the
 * writer and this instance plays no part); a drill's expiry is likewise its TTL from then ({@link #expiryOf}). A MANUAL state is never moved by automation
 * before it expires, not even by the failure detector (sends still fall back message by message).
 *
 * <p>Epochs only grow: a document with an epoch not above the known one is ignored, so late events and
 * stale reads never move the view backwards.
 *
 * <p>Observers are told by {@link SwitchObservers}, in the order this tracker adopted the changes (queued
 * under {@link #lock}, run outside it).
 */
final class SwitchTracker implements SwitchListener, LeadershipListener {
    private static final Logger log = LoggerFactory.getLogger(SwitchTracker.class);

    /** Called on whichever engine thread saw the change; must not block. */
    interface EffectiveStateObserver {
        void onEffectiveStateChanged(SwitchState previous, SwitchState current);

        /**
         * This instance degraded on its own ({@code local} is the degradation it started, passed here because the
         * tracker's own field may already be cleared by the publication when an observer looks). Must not block.
         */
        default void onLocalDegradation(SwitchState previous, LocalDegradation local) {
            onEffectiveStateChanged(previous, SwitchState.DEGRADED);
        }

        /** A newer switch document was adopted; {@code byThisInstance}: this instance wrote it. Must not block. */
        default void onSwitchDocument(SwitchStatus previous, SwitchStatus current, boolean byThisInstance) {
        }
    }

    record LocalDegradation(long baseEpoch, Instant since, String reason) {
    }

    /** The local instant at which the document with {@code epoch} was first seen while running. */
    private record Observed(long epoch, Instant at) {
    }

    private final SwitchStore sw;
    private final SmartMQConfig config;
    private final Clock clock;
    private final String actor;
    private final EngineMetrics metrics;
    private final FailureDetector detector;
    private final SwitchObservers observers = new SwitchObservers();
    private final AtomicBoolean publishing = new AtomicBoolean();
    /** A publish task is queued and has not started: a hung switch write never gets a queue behind it. */
    private final AtomicBoolean publishQueued = new AtomicBoolean();
    private final Object lock = new Object();
    private volatile Executor switchExecutor;

    private volatile SwitchStatus known;
    private volatile LocalDegradation local;
    private volatile Observed observed;

    SwitchTracker(SwitchStore sw, SmartMQConfig config, Clock clock, String actor, EngineMetrics metrics,
                  FailureDetector detector) {
        this.sw = sw;
        this.config = config;
        this.clock = clock;
        this.actor = actor;
        this.metrics = metrics;
        this.detector = detector;
        this.known = SwitchStatus.initial();
    }

    /** Whether the switch store is reachable now (for the prober, which must not hold the switch itself). */
    boolean isSwitchReachable() {
        return sw.isReachable();
    }

    /** The executor for switch writes and callbacks (the engine's {@code smartmq-switch} thread). */
    void bind(Executor executor) {
        this.switchExecutor = executor;
        SwitchStatus first = sw.current();
        if (first != null) {
            synchronized (lock) {
                known = first;
            }
        }
    }

    void addObserver(EffectiveStateObserver observer) {
        observers.add(observer);
    }

    String actor() {
        return actor;
    }

    /** The newest switch document seen (the adapter's cache is consulted, never the store itself). */
    SwitchStatus status() {
        SwitchStatus current = sw.current();
        if (current != null && current.epoch() > known.epoch()) {
            observe(current);
        }
        return known;
    }

    SwitchState effectiveState() {
        SwitchStatus s = status();
        return local != null ? SwitchState.DEGRADED : s.state();
    }

    boolean isLocallyDegraded() {
        return local != null;
    }

    LocalDegradation localDegradation() {
        return local;
    }

    boolean dwellPassed(Instant since, Instant now) {
        return !now.isBefore(since.plus(config.minDwellTime()));
    }

    /** Whether {@code s} is older than the dwell time, judged on this instance's clock (see {@link #since}). */
    boolean dwellPassed(SwitchStatus s, Instant now) {
        return dwellPassed(since(s), now);
    }

    /**
     * When {@code s} began, on this instance's clock: the moment this instance first saw it, for a document it
     * saw change while running (its writer's clock plays no part, so clock skew neither shortens nor stretches
     * the dwell; it is late by the propagation delay, milliseconds). For the document read at start, its
     * {@code changedAt} (the writer's clock), never later than now.
     */
    Instant since(SwitchStatus s) {
        if (s.epoch() == 0) {
            return s.changedAt();
        }
        Observed o = observed;
        if (o != null && o.epoch() == s.epoch()) {
            return o.at();
        }
        Instant now = clock.instant();
        return s.changedAt().isAfter(now) ? now : s.changedAt();
    }

    /**
     * When a MANUAL {@code s} expires on this instance's clock, or null if it never does: for a document seen
     * changing, the moment it was seen plus its TTL ({@code expiresAt - changedAt}, both on the operator's clock,
     * so the skew cancels out); for the document read at start, {@code expiresAt} itself.
     */
    Instant expiryOf(SwitchStatus s) {
        if (s.expiresAt() == null) {
            return null;
        }
        Observed o = observed;
        if (o == null || o.epoch() != s.epoch()) {
            return s.expiresAt();
        }
        Duration ttl = Duration.between(s.changedAt(), s.expiresAt());
        return ttl.isNegative() ? o.at() : o.at().plus(ttl);
    }

    /** Whether an operator holds the switch at {@code now}, with the expiry of {@link #expiryOf}. */
    boolean isManualAt(SwitchStatus s, Instant now) {
        Instant expiry = expiryOf(s);
        return s.mode() == SwitchMode.MANUAL && (expiry == null || now.isBefore(expiry));
    }

    /** Adopts {@code s} if it is newer than what we know; logs and counts the transition. */
    void observe(SwitchStatus s) {
        SwitchState before;
        SwitchState after;
        SwitchStatus previous;
        boolean droppedLocal = false;
        synchronized (lock) {
            previous = known;
            if (s == null || s.epoch() <= previous.epoch()) {
                return;
            }
            before = local != null ? SwitchState.DEGRADED : previous.state();
            known = s;
            observed = new Observed(s.epoch(), clock.instant());
            if (local != null) {
                // Our own publication, or someone else's move: either way the switch now speaks for us.
                local = null;
                droppedLocal = true;
            }
            after = s.state();
            boolean oursNow = actor.equals(s.changedBy());
            observers.document(before, after, previous, s, oursNow);
        }
        metrics.transitionsSeen.inc();
        detector.reset();
        boolean ours = actor.equals(s.changedBy());
        log.warn("SmartMQ switch of namespace '{}': {} -> {} (epoch {}, mode {}, reason '{}', by {}{}{})",
                config.namespace(), previous.state(), s.state(), s.epoch(), s.mode(), s.reason(), s.changedBy(),
                ours ? ", this instance" : "",
                droppedLocal && !ours ? "; local degradation of this instance replaced by it" : "");
        observers.run();
    }

    /**
     * The failure detector tripped: degrade locally now and publish DEGRADED to the switch. Refused while an
     * operator holds the switch or the current state is younger than the dwell time.
     */
    void requestDegrade(String reason) {
        SwitchStatus s = status();
        if (s.state() == SwitchState.DEGRADED || local != null) {
            return;
        }
        Instant now = clock.instant();
        if (isManualAt(s, now)) {
            log.debug("SmartMQ: failure threshold reached, but an operator holds the switch in {} until {}",
                    s.state(), s.expiresAt());
            return;
        }
        if (!dwellPassed(s, now)) {
            log.debug("SmartMQ: failure threshold reached, but {} is younger than minDwellTime {}", s.state(),
                    config.minDwellTime());
            return;
        }
        SwitchState before;
        LocalDegradation started;
        synchronized (lock) {
            if (local != null || known.epoch() != s.epoch()) {
                return;
            }
            before = known.state();
            started = new LocalDegradation(s.epoch(), now, reason);
            local = started;
            observers.localDegradation(before, started);
        }
        metrics.localDegradations.inc();
        log.warn("SmartMQ namespace '{}': {} -> DEGRADED locally ({}), publishing to the switch (by {})",
                config.namespace(), before, reason, actor);
        observers.run();
        schedulePublish();
    }

    /** Ends a local degradation that was never published (the MQ recovered first). */
    void endLocalDegradation(String reason) {
        SwitchState after;
        synchronized (lock) {
            if (local == null) {
                return;
            }
            local = null;
            after = known.state();
            observers.stateChanged(SwitchState.DEGRADED, after);
        }
        detector.reset();
        log.warn("SmartMQ namespace '{}': local DEGRADED -> {} ({}; by {})", config.namespace(), after, reason,
                actor);
        observers.run();
    }

    void schedulePublish() {
        Executor executor = switchExecutor;
        if (local == null || executor == null || !publishQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(() -> {
                publishQueued.set(false);
                publishLocalDegradation();
            });
        } catch (RejectedExecutionException e) {
            publishQueued.set(false);
            log.debug("SmartMQ: closing, local degradation not published");
        }
    }

    private void publishLocalDegradation() {
        if (!publishing.compareAndSet(false, true)) {
            return;
        }
        try {
            status();
            LocalDegradation l = local;
            if (l == null) {
                return;
            }
            if (!sw.isReachable()) {
                log.warn("SmartMQ: switch unreachable; this instance stays DEGRADED locally and publishes the "
                        + "transition when the switch is back");
                return;
            }
            SwitchStatus base = known;
            if (base.epoch() != l.baseEpoch()) {
                // Defensive: observe() already drops the local state when a newer document arrives.
                endLocalDegradation("the switch moved to epoch " + base.epoch() + " meanwhile");
                return;
            }
            TransitionResult r = sw.transition(new SwitchTransition(base.epoch(), SwitchState.DEGRADED,
                    SwitchMode.AUTO, l.reason(), actor, null));
            if (r.applied()) {
                metrics.transitionsMade.inc();
            } else {
                log.info("SmartMQ: another writer moved the switch first; adopting {} (epoch {})",
                        r.current().state(), r.current().epoch());
            }
            observe(r.current());
        } catch (SwitchUnavailableException e) {
            log.warn("SmartMQ: switch unreachable ({}); staying DEGRADED locally until it is back", e.getMessage());
        } catch (SwitchAccessDeniedException e) {
            log.error("SmartMQ: this identity may not write the switch ({}); staying DEGRADED locally",
                    e.getMessage());
        } catch (RuntimeException e) {
            log.error("SmartMQ: publishing DEGRADED to the switch failed; staying DEGRADED locally", e);
        } finally {
            publishing.set(false);
        }
    }

    /**
     * Compare-and-set from {@code from} to {@code target} (AUTO). Called on the prober thread.
     *
     * @return whether this call made the transition
     */
    boolean tryTransition(SwitchStatus from, SwitchState target, String reason) {
        try {
            TransitionResult r = sw.transition(new SwitchTransition(from.epoch(), target, SwitchMode.AUTO, reason,
                    actor, null));
            if (r.applied()) {
                metrics.transitionsMade.inc();
            }
            observe(r.current());
            return r.applied();
        } catch (SwitchUnavailableException e) {
            log.warn("SmartMQ: cannot move the switch to {} now, it is unreachable ({})", target, e.getMessage());
        } catch (SwitchAccessDeniedException e) {
            log.error("SmartMQ: this identity may not move the switch to {} ({})", target, e.getMessage());
        }
        return false;
    }

    // SwitchListener, called on the engine's switch thread.

    @Override
    public void onStatusChanged(SwitchStatus previous, SwitchStatus current) {
        observe(current);
    }

    @Override
    public void onReachabilityChanged(boolean reachable) {
        if (reachable) {
            log.info("SmartMQ: switch reachable again");
            status();
            publishLocalDegradation();
        } else {
            log.warn("SmartMQ: switch unreachable; keeping the last known state {}", known.state());
        }
    }

    @Override
    public void leadershipChanged(boolean leader) {
        log.info("SmartMQ: this instance {} the namespace leader (prober and drain decision)",
                leader ? "is now" : "is no longer");
    }
}
