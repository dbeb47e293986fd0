package dev.smartmq.rocketmq.internal;

import dev.smartmq.api.internal.NamedThreadFactory;
import java.time.Duration;
import java.util.Collection;
import java.util.Objects;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Has RocketMQ replace a push consumer's queue whose pull has waited for its answer longer than any broker holds
 * one, instead of leaving that queue unread until RocketMQ's own time-out.
 *
 * <p>Why: a push consumer keeps one pull in flight per queue; the broker holds it at most 15 s (RocketMQ's
 * {@code BROKER_SUSPEND_MAX_TIME_MILLIS}) and the client waits 30 s for the answer (its
 * {@code CONSUMER_TIMEOUT_MILLIS_WHEN_SUSPEND}, a constant with no setting). When the connection dies under a pull
 * and the client's channel table has already been given a new channel to that broker, RocketMQ 5.5.0 does not fail
 * the pull on the dead one ("has been closed before, and has been created again, nothing to do"): the queue is not
 * read for 30 s + its 3 s retry delay, while every other queue flows. The chaos suite saw it after a broker restart
 * and a flapping broker, every time a row was not the first of its class: 33 s stalls, the whole drain of a row.
 *
 * <p>What: every {@link #TICK} it asks each group to look for queues whose last pull was issued more than
 * {@link #STALLED_AFTER} ago (RocketMQ stamps a queue each time it issues a pull, also when it only re-schedules one
 * for flow control or a paused consumer), which a live broker must have answered by then; those are handed to
 * RocketMQ's own repair path for an expired pull (dropped, offset persisted, a new queue and pull created at the next
 * rebalance, which is asked for at once). At worst the messages a dropped queue had fetched and not yet handed over
 * are fetched again (at-least-once, as after any rebalance).
 *
 * <p>Threads: one daemon thread {@code smartmq-rocketmq-pull-watchdog-<n>}, started by {@link #start()}, ended by
 * {@link #close()}; both are idempotent and thread-safe. The groups supplier is called on that thread.
 */
public final class StalledPullWatchdog implements AutoCloseable {

    /** How long a broker may hold a pull of a push consumer: RocketMQ's {@code BROKER_SUSPEND_MAX_TIME_MILLIS}. */
    static final Duration BROKER_HOLD = Duration.ofSeconds(15);
    /**
     * How often a broker looks at the pulls it holds (RocketMQ's {@code PullRequestHoldService} waits 5 s between
     * checks with long polling on): an idle queue's pull is answered 15 to 20 s after it was issued.
     */
    static final Duration BROKER_HOLD_CHECK = Duration.ofSeconds(5);
    /**
     * A pull unanswered this long is stalled: the broker's hold, its check interval, and room for a loaded host (an
     * idle queue's healthy pull, answered at up to 20 s, must never be taken for a stalled one).
     */
    static final Duration STALLED_AFTER = BROKER_HOLD.plus(BROKER_HOLD_CHECK).plusSeconds(5);
    /** How often the queues are looked at. */
    static final Duration TICK = Duration.ofSeconds(1);

    private static final Logger LOG = LoggerFactory.getLogger(StalledPullWatchdog.class);

    private final Supplier<Collection<GroupConsumer>> groups;
    private ScheduledThreadPoolExecutor executor; // guarded by this
    private boolean closed; // guarded by this

    public StalledPullWatchdog(Supplier<Collection<GroupConsumer>> groups) {
        this.groups = Objects.requireNonNull(groups, "groups");
    }

    /** Starts the checks (once; later calls and calls after {@link #close()} do nothing). */
    public synchronized void start() {
        if (executor != null || closed) {
            return;
        }
        executor = new ScheduledThreadPoolExecutor(1, new NamedThreadFactory("rocketmq-pull-watchdog"));
        executor.scheduleWithFixedDelay(this::checkOnce, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One pass over every group (the scheduled job; also callable directly). */
    void checkOnce() {
        long now = System.currentTimeMillis();
        for (GroupConsumer g : groups.get()) {
            try {
                g.replaceStalledPulls(now, STALLED_AFTER.toMillis());
            } catch (RuntimeException e) {
                // One group's failure must not end the checks of the others (a scheduled job that throws stops).
                LOG.warn("looking for stalled pulls failed: {}", e.toString(), e);
            }
        }
    }

    /** Stops the checks. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        if (executor != null) {
            executor.shutdownNow();
            executor = null;
        }
    }
}
