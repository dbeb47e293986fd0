package dev.smartmq.core;

import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.Leadership;
import dev.smartmq.spi.SwitchStore;
import dev.smartmq.spi.SwitchTransition;
import dev.smartmq.spi.TransitionResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;

/**
 * An operator's calls on a namespace's switch (issue 22): start a drill ({@link #degrade}), hand the switch back
 * ({@link #restore}), read {@link #status()} and {@link #history}, without handling epochs: each call reads the
 * current document and compare-and-sets from it, and when another writer wins the race it re-reads and decides
 * again (a few times at most). {@code smartmq-admin switch degrade|restore} make the same calls.
 *
 * <p>Get one from {@link SmartMQ#operator()} (it uses that instance's switch) or {@link #of} over a switch of your
 * own (a monitor's, built with {@code joinElection(false)}). Thread-safe; calls block for at most the switch's
 * operation timeout per attempt.
 */
public final class SwitchOperator {

    /** Longest drill {@link #degrade} accepts. */
    public static final Duration MAX_TTL = Duration.ofDays(7);
    private static final int ATTEMPTS = 3;

    /** What a call did: {@code applied} false when there was nothing to do; the documents before and after. */
    public record Outcome(boolean applied, SwitchStatus previous, SwitchStatus current) {
    }

    private final SwitchStore sw;
    private final Leadership leadership; // null: no leadership view
    private final Clock clock;

    private SwitchOperator(SwitchStore sw, Leadership leadership, Clock clock) {
        this.sw = Objects.requireNonNull(sw, "sw");
        this.leadership = leadership;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Operations on a started switch; the caller keeps owning it. {@link #leader()} is known only if the store is
     * also a {@link Leadership} (use {@link #of(SwitchStore, Leadership, Clock)} otherwise).
     */
    public static SwitchOperator of(SwitchStore sw, Clock clock) {
        return new SwitchOperator(sw, sw instanceof Leadership l ? l : null, clock);
    }

    /** Operations on a started switch with the namespace's leadership view; the caller keeps owning both. */
    public static SwitchOperator of(SwitchStore sw, Leadership leadership, Clock clock) {
        return new SwitchOperator(sw, Objects.requireNonNull(leadership, "leadership"), clock);
    }

    /** The switch document last seen (never blocks). */
    public SwitchStatus status() {
        return sw.current();
    }

    /**
     * Which instance of the fleet leads the namespace (this one or another), from the switch's cached registry view
     * ({@link Leadership#fleetLeader()}; never blocks); empty when none is known to, or when this operator was
     * given no leadership view. A namespace without a
     * leader runs no prober and no drain decision: it stays DEGRADED or RECOVERING until one is elected.
     */
    public java.util.Optional<String> leader() {
        return leadership == null ? java.util.Optional.empty() : leadership.fleetLeader();
    }

    /** The last {@code limit} transitions, newest first. */
    public List<SwitchStatus> history(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, but was " + limit);
        }
        return sw.history(limit);
    }

    /**
     * A drill: MANUAL DEGRADED until now + {@code ttl} (whole seconds). Automation never reverts it before then.
     *
     * @throws IllegalArgumentException for a blank reason or operator, or a ttl outside 1 s .. {@link #MAX_TTL}
     * @throws IllegalStateException    if other writers kept winning the compare-and-set
     */
    public Outcome degrade(String reason, Duration ttl, String operator) {
        checkText("reason", reason);
        checkText("operator", operator);
        if (ttl == null || ttl.compareTo(Duration.ofSeconds(1)) < 0 || ttl.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("ttl must be between 1s and " + MAX_TTL + ", but was " + ttl);
        }
        Instant expiresAt = clock.instant().plus(ttl).truncatedTo(ChronoUnit.SECONDS);
        return apply(before -> new Decision(SwitchState.DEGRADED, SwitchMode.MANUAL, expiresAt), reason, operator);
    }

    /**
     * Ends a drill: DEGRADED becomes RECOVERING (AUTO), another MANUAL state goes back to AUTO unchanged; an AUTO
     * NORMAL/RECOVERING switch needs nothing ({@code applied} false). An AUTO DEGRADED switch (a real outage the
     * prober has not seen healthy yet) is restored only with {@code force}.
     *
     * @throws IllegalStateException for AUTO DEGRADED without {@code force}, or if other writers kept winning
     */
    public Outcome restore(String reason, String operator, boolean force) {
        checkText("reason", reason);
        checkText("operator", operator);
        return apply(before -> {
            if (before.state() == SwitchState.DEGRADED) {
                if (before.mode() == SwitchMode.AUTO && !force) {
                    throw new IllegalStateException("the switch is DEGRADED in AUTO mode (epoch " + before.epoch()
                            + ", by " + before.changedBy() + ": " + before.reason() + "): the SDK detected an outage "
                            + "and its prober recovers it when the MQ is healthy; restore with force to override");
                }
                return new Decision(SwitchState.RECOVERING, SwitchMode.AUTO, null);
            }
            if (before.mode() == SwitchMode.MANUAL) {
                return new Decision(before.state(), SwitchMode.AUTO, null);
            }
            return null;
        }, reason, operator);
    }

    private record Decision(SwitchState target, SwitchMode mode, Instant expiresAt) {
    }

    private Outcome apply(java.util.function.Function<SwitchStatus, Decision> decide, String reason, String operator) {
        SwitchStatus before = sw.current();
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            Decision d = decide.apply(before);
            if (d == null) {
                return new Outcome(false, before, before);
            }
            TransitionResult r = sw.transition(new SwitchTransition(before.epoch(), d.target(), d.mode(),
                    reason.strip(), operator, d.expiresAt()));
            if (r.applied()) {
                return new Outcome(true, before, r.current());
            }
            before = r.current(); // someone else moved it: decide again from what they wrote
        }
        throw new IllegalStateException("other writers kept moving the switch (" + ATTEMPTS + " attempts); now "
                + before.state() + " at epoch " + before.epoch() + ", nothing changed by this call");
    }

    private static void checkText(String what, String v) {
        if (v == null || v.isBlank() || v.length() > 500) {
            throw new IllegalArgumentException(what + " must be 1-500 characters, not blank, but was '" + v + "'");
        }
    }
}
