package dev.smartmq.redis;

import dev.smartmq.redis.internal.KeyLayout;
import dev.smartmq.redis.internal.RedisOps;
import dev.smartmq.redis.internal.Scripts;
import dev.smartmq.spi.IdempotencyGuard;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.SetParams;

/**
 * Remembers handled message ids per consumer group in Redis, one string per id at
 * {@code smq:<namespace>:<group>:seen:<id>}: {@link #begin} writes the in-progress lease {@code p} with
 * {@code SET NX PX lease} (one script), {@link #handled} replaces it by the record {@code d} with the long TTL,
 * {@link #forget} deletes it. A consumer that dies inside its handler leaves only {@code p}, which expires after
 * the lease: the message never looks handled. ({@link #firstSeen}, the first version's call, writes {@code 1},
 * read as handled.) Every key expires, so the key set is bounded by (ids handled per TTL). The keys carry no hash tag on purpose: nothing reads two of them together, so on a
 * cluster they spread over every node instead of loading one slot.
 *
 * <p>The one way to it is {@link RedisFallbackStore#idempotencyGuard()} (it shares the store's connections and
 * namespace). Failures are {@code FallbackStoreException} ({@code UNAVAILABLE} when Redis does not answer).
 * Thread rules: stateless beyond the client, thread-safe; callable from any thread, never blocks longer than the
 * store's socket timeout.
 */
public final class RedisIdempotencyGuard implements IdempotencyGuard {


    private final UnifiedJedis jedis;
    private final KeyLayout layout;
    private final RedisOps ops;

    RedisIdempotencyGuard(UnifiedJedis jedis, KeyLayout layout) {
        this.jedis = jedis;
        this.layout = layout;
        this.ops = new RedisOps(jedis, false, null);
    }

    @Override
    public boolean firstSeen(String group, String messageId, Duration ttl) {
        check(group, messageId);
        if (ttl == null || ttl.toMillis() < 1) {
            throw new IllegalArgumentException("ttl must be at least 1 ms, but was " + ttl);
        }
        try {
            return "OK".equals(jedis.set(layout.seen(group, messageId), "1",
                    SetParams.setParams().nx().px(ttl.toMillis())));
        } catch (RuntimeException e) {
            throw ops.failure("idempotency check of " + messageId + " in group " + group, e);
        }
    }

    @Override
    public Verdict begin(String group, String messageId, Duration lease) {
        check(group, messageId);
        if (lease == null || lease.toMillis() < 1) {
            throw new IllegalArgumentException("lease must be at least 1 ms, but was " + lease);
        }
        Object reply;
        try {
            reply = ops.eval(Scripts.GUARD_BEGIN, List.of(layout.seen(group, messageId).getBytes(StandardCharsets.UTF_8)),
                    List.of(Long.toString(lease.toMillis()).getBytes(StandardCharsets.US_ASCII)));
        } catch (RuntimeException e) {
            throw ops.failure("idempotency lease of " + messageId + " in group " + group, e);
        }
        long r = (Long) reply;
        return r == 1 ? Verdict.FIRST : r == 2 ? Verdict.IN_PROGRESS : Verdict.HANDLED;
    }

    @Override
    public void handled(String group, String messageId, Duration ttl) {
        check(group, messageId);
        if (ttl == null || ttl.toMillis() < 1) {
            throw new IllegalArgumentException("ttl must be at least 1 ms, but was " + ttl);
        }
        try {
            jedis.set(layout.seen(group, messageId), "d", SetParams.setParams().px(ttl.toMillis()));
        } catch (RuntimeException e) {
            throw ops.failure("record " + messageId + " as handled in group " + group, e);
        }
    }

    @Override
    public void forget(String group, String messageId) {
        check(group, messageId);
        try {
            jedis.del(layout.seen(group, messageId));
        } catch (RuntimeException e) {
            throw ops.failure("forget " + messageId + " in group " + group, e);
        }
    }

    /** The key that records {@code messageId} for {@code group}. */
    public String key(String group, String messageId) {
        check(group, messageId);
        return layout.seen(group, messageId);
    }

    private static void check(String group, String messageId) {
        if (group == null || group.isEmpty()) {
            throw new IllegalArgumentException("group must not be empty, but was '" + group + "'");
        }
        if (messageId == null || messageId.isEmpty()) {
            throw new IllegalArgumentException("messageId must not be empty, but was '" + messageId + "'");
        }
    }
}
