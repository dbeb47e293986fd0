package dev.smartmq.core.fake;

import dev.smartmq.spi.IdempotencyGuard;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** An in-memory idempotency guard (no TTL). */
public final class FakeGuard implements IdempotencyGuard {
    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    private final AtomicInteger forgets = new AtomicInteger();

    @Override
    public boolean firstSeen(String group, String messageId, Duration ttl) {
        return seen.add(group + "|" + messageId);
    }

    @Override
    public void forget(String group, String messageId) {
        forgets.incrementAndGet();
        seen.remove(group + "|" + messageId);
    }

    public int forgets() {
        return forgets.get();
    }
}
