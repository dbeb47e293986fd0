package dev.smartmq.redis;

import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.redis.internal.KeyLayout;
import dev.smartmq.redis.internal.RedisOps;
import dev.smartmq.spi.IdempotencyGuard;
import java.time.Duration;
import java.util.Objects;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.SetParams;

/**
 * Remembers handled message ids per consumer group in Redis: {@code SET key 1 NX PX ttl} on
 * {@code smq:<namespace>:<group>:seen:<id>}. Every key expires after its TTL, so the key set is bounded by
 * (ids handled per TTL). The keys carry no hash tag on purpose: nothing reads two of them together, so on a
 * cluster they spread over every node instead of loading one slot.
 *
 * <p>Obtain it from {@link RedisFallbackStore#idempotencyGuard()} (shares the store's connections) or
 * {@link #of(UnifiedJedis, String)} (a client you own). Failures are {@code FallbackStoreException}
 * ({@code UNAVAILABLE} when Redis does not answer). Thread-safe.
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

    /** A guard on a client the caller owns (and closes). */
    public static RedisIdempotencyGuard of(UnifiedJedis client, String namespace) {
        Objects.requireNonNull(client, "client");
        if (!SmartMQConfig.isValidNamespace(namespace)) {
            throw new IllegalArgumentException("namespace " + SmartMQConfig.NAMESPACE_RULE + ", but was '"
                    + namespace + "'");
        }
        return new RedisIdempotencyGuard(client, new KeyLayout(namespace, 1));
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
