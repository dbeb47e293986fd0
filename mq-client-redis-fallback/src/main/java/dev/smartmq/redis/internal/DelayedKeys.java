package dev.smartmq.redis.internal;

import dev.smartmq.redis.internal.KeyLayout.ShardKeys;
import java.nio.charset.StandardCharsets;

/**
 * The Redis side of delayed messages, without the moving: the key names (each shard's zset, the namespace's
 * index and its {@code topic/group/shard} members) and the two Lua scripts (hold, move). The layout is
 * described on {@link DelayedMessages}; this class only names and parses, it never talks to Redis.
 *
 * <p>Public (in this internal package) for the admin tool, which reads the delayed sets itself
 * ({@code smartmq-admin messages find}).
 *
 * <p>Thread rules: immutable, safe from any thread.
 */
public final class DelayedKeys {

    /**
     * Holds a value. KEYS = z1, z2, ... (one zset per group of the same shard); ARGV = cap, due, value. A group whose
     * zset is full is skipped (as the append skips a full queue); -1 when every one is full (nothing written), else 1.
     * Every zset is read before the first write, so a key of the wrong type fails the script before it wrote any
     * group's copy (its {@code REJECTED} then truly means "not stored").
     */
    static final Scripts.Script HOLD = script("delay-hold", """
            #!lua
            local cap = tonumber(ARGV[1])
            local room = {}
            for i = 1, #KEYS do
              room[i] = redis.call('ZCARD', KEYS[i]) < cap
            end
            local wrote = 0
            for i = 1, #KEYS do
              if room[i] then
                redis.call('ZADD', KEYS[i], ARGV[2], ARGV[3])
                wrote = wrote + 1
              end
            end
            if wrote == 0 then return -1 end
            return 1
            """);

    /**
     * Moves what is due. KEYS = z, q; ARGV = now, limit. Pushes the due values, oldest due first, to the tail of the
     * queue and removes them from the zset. Returns {moved, next due score or ''}.
     */
    static final Scripts.Script MOVE = script("delay-move", """
            #!lua flags=allow-oom
            local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
            for i = 1, #due do
              redis.call('RPUSH', KEYS[2], due[i])
              redis.call('ZREM', KEYS[1], due[i])
            end
            local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
            if #nxt == 0 then return {#due, ''} end
            return {#due, nxt[2]}
            """);

    private final KeyLayout layout;

    public DelayedKeys(KeyLayout layout) {
        this.layout = layout;
    }

    /** The namespace's index of shards holding delayed values: {@code smq:ns:#delayed}. */
    public byte[] index() {
        return bytes("smq:" + layout.namespace() + ":#delayed");
    }

    /** The zset of a shard's held values (same hash tag as the shard). */
    public byte[] zset(ShardKeys k) {
        return bytes("smq:{" + layout.namespace() + ":" + k.topic() + ":" + k.shard() + "}:" + k.group() + ":z");
    }

    /** The shard an index member names, or null if it is not {@code topic/group/shard} of this layout. */
    ShardKeys parse(byte[] member) {
        String[] parts = new String(member, StandardCharsets.UTF_8).split("/", -1);
        if (parts.length != 3) {
            return null;
        }
        try {
            return layout.shard(parts[0], parts[1], Integer.parseInt(parts[2]));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The index member of a shard: {@code topic/group/shard}. */
    static byte[] member(ShardKeys k) {
        return bytes(k.topic() + "/" + k.group() + "/" + k.shard());
    }

    private static Scripts.Script script(String name, String body) {
        try {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            byte[] digest = java.security.MessageDigest.getInstance("SHA-1").digest(b);
            return new Scripts.Script(name, b, java.util.HexFormat.of().formatHex(digest).getBytes(StandardCharsets.US_ASCII));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by the JDK", e);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
