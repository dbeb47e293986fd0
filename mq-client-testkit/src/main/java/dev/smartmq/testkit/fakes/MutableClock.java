package dev.smartmq.testkit.fakes;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that moves only when the test says so (or, {@link #ticking()}, also with real time): hand it to
 * {@code SmartMQ.builder().clock(..)} and the fakes, then {@link #advance} it to pass dwell times, drill expiries
 * and TTLs without waiting.
 *
 * <p>Thread rules: thread-safe; reads and moves are atomic.
 */
public final class MutableClock extends Clock {
    private final AtomicReference<Instant> now;
    /** {@link System#nanoTime()} when a ticking clock was made; -1 for a clock that stands still. */
    private final long tickingSince;

    public MutableClock(Instant start) {
        this(start, -1);
    }

    private MutableClock(Instant start, long tickingSince) {
        this.now = new AtomicReference<>(start);
        this.tickingSince = tickingSince;
    }

    /** A clock that runs with real time from 2030-01-01 and can still be moved by {@link #advance}. */
    public static MutableClock ticking() {
        return new MutableClock(Instant.parse("2030-01-01T00:00:00Z"), System.nanoTime());
    }

    public static MutableClock startingNow() {
        return new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    }

    public void advance(Duration d) {
        now.updateAndGet(i -> i.plus(d));
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        Instant base = now.get();
        return tickingSince < 0 ? base : base.plusNanos(System.nanoTime() - tickingSince);
    }
}
