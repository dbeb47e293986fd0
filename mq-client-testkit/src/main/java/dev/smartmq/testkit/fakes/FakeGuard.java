package dev.smartmq.testkit.fakes;

import dev.smartmq.spi.IdempotencyGuard;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory {@link IdempotencyGuard}, for testing that a handler runs once per message id. Entries expire on the given clock (never with the no-argument constructor,
 * which keeps the old "no TTL" behaviour). Thread-safe; shared by several rigs it models one Redis.
 */
public final class FakeGuard implements IdempotencyGuard {
    private final Map<String, Instant> seen = new ConcurrentHashMap<>();
    /** Ids whose entry is an in-progress lease, not a handled record. */
    private final Map<String, Boolean> inProgress = new ConcurrentHashMap<>();
    private final AtomicInteger forgets = new AtomicInteger();
    private final Clock clock;

    public FakeGuard() {
        this(null);
    }

    public FakeGuard(Clock clock) {
        this.clock = clock;
    }

    private Instant expiry(Duration ttl) {
        return clock == null ? Instant.MAX : clock.instant().plus(ttl);
    }

    private boolean live(Instant expiresAt) {
        return expiresAt != null && (clock == null || clock.instant().isBefore(expiresAt));
    }

    @Override
    public synchronized boolean firstSeen(String group, String messageId, Duration ttl) {
        String k = group + "|" + messageId;
        if (live(seen.get(k))) {
            return false;
        }
        seen.put(k, expiry(ttl));
        inProgress.remove(k);
        return true;
    }

    @Override
    public synchronized Verdict begin(String group, String messageId, Duration lease) {
        String k = group + "|" + messageId;
        if (live(seen.get(k))) {
            return inProgress.containsKey(k) ? Verdict.IN_PROGRESS : Verdict.HANDLED;
        }
        seen.put(k, expiry(lease));
        inProgress.put(k, Boolean.TRUE);
        return Verdict.FIRST;
    }

    @Override
    public synchronized void handled(String group, String messageId, Duration ttl) {
        String k = group + "|" + messageId;
        seen.put(k, expiry(ttl));
        inProgress.remove(k);
    }

    @Override
    public synchronized void forget(String group, String messageId) {
        forgets.incrementAndGet();
        seen.remove(group + "|" + messageId);
        inProgress.remove(group + "|" + messageId);
    }

    public int forgets() {
        return forgets.get();
    }
}
