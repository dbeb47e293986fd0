package dev.smartmq.redis;

import dev.smartmq.redis.internal.DeadLetterCodec;
import dev.smartmq.redis.internal.EnvelopeAuth;
import dev.smartmq.redis.internal.EnvelopeCodec;
import dev.smartmq.redis.internal.EnvelopeFormatException;
import dev.smartmq.redis.internal.KeyLayout;
import dev.smartmq.redis.internal.KeyLayout.ShardKeys;
import dev.smartmq.redis.internal.Names;
import dev.smartmq.redis.internal.RedisOps;
import dev.smartmq.redis.internal.Scripts;
import dev.smartmq.spi.Envelope;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The dead letters of a {@link RedisFallbackStore}, for operators ({@code smartmq-admin dlq list|show|replay|purge}):
 * list them, find one by message id, replay them to the tail of their shard with the attempt count reset, remove
 * one, purge all. The engine never calls it (it dead-letters through the {@code FallbackStore} SPI). With an
 * envelope key on the store, a dead letter whose value fails authentication is listed (its
 * {@link DeadLetter#decodeError()} says why) but never replayed.
 *
 * <pre>{@code
 * RedisDeadLetters dlq = RedisDeadLetters.of(store);   // shares the store's connections and envelope key
 * dlq.list("orders", "billing", 20).forEach(System.out::println);
 * dlq.replayAll("orders", "billing");
 * }</pre>
 *
 * <p>Thread rules: thread-safe, stateless beyond the store it reads; every call needs the store started and
 * fails with {@code FallbackStoreException} ({@code UNAVAILABLE}) when Redis does not answer.
 */
public final class RedisDeadLetters {

    private final RedisFallbackStore store;
    private final RedisOps ops;
    private final KeyLayout layout;
    private final int shards;
    private final EnvelopeAuth auth;

    private RedisDeadLetters(RedisFallbackStore store) {
        this.store = store;
        this.ops = store.ops();
        this.layout = store.layout();
        this.shards = store.shardCount();
        this.auth = store.auth();
    }

    /** The dead letters of {@code store} (which keeps owning the connections). */
    public static RedisDeadLetters of(RedisFallbackStore store) {
        return new RedisDeadLetters(Objects.requireNonNull(store, "store"));
    }

    /** Up to {@code limit} dead letters of (topic, group), shard by shard, oldest first within a shard. */
    public List<DeadLetter> list(String topic, String group, int limit) {
        store.requireStarted();
        Names.checkName("topic", topic);
        Names.checkGroup(group);
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, but was " + limit);
        }
        List<DeadLetter> result = new ArrayList<>();
        for (int s = 0; s < shards && result.size() < limit; s++) {
            ShardKeys k = layout.shard(topic, group, s);
            List<byte[]> entries;
            try {
                entries = ops.jedis().lrange(k.deadLetters(), 0, limit - result.size() - 1);
            } catch (RuntimeException e) {
                throw ops.failure("list dead letters of " + k.name(), e);
            }
            for (byte[] entry : entries) {
                result.add(toDeadLetter(s, entry));
            }
        }
        return result;
    }

    /** The dead letter of (topic, group) with {@code messageId}, if any. */
    public Optional<DeadLetter> find(String topic, String group, String messageId) {
        return findDeadLetter(topic, group, messageId).map(f -> toDeadLetter(f.shard, f.entry));
    }

    /**
     * Moves every decodable dead letter of (topic, group) back to the tail of its shard, with its attempt
     * count reset to 0. Corrupt values stay in the dead-letter list.
     *
     * @return how many were replayed
     */
    public int replayAll(String topic, String group) {
        store.requireStarted();
        Names.checkName("topic", topic);
        Names.checkGroup(group);
        int replayed = 0;
        for (int s = 0; s < shards; s++) {
            ShardKeys k = layout.shard(topic, group, s);
            List<byte[]> entries;
            try {
                entries = ops.jedis().lrange(k.deadLetters(), 0, -1);
            } catch (RuntimeException e) {
                throw ops.failure("list dead letters of " + k.name(), e);
            }
            for (byte[] entry : entries) {
                if (replayEntry(k, entry)) {
                    replayed++;
                }
            }
        }
        return replayed;
    }

    /** Replays the dead letter with {@code messageId} (see {@link #replayAll}); false if not found. */
    public boolean replay(String topic, String group, String messageId) {
        Optional<Found> found = findDeadLetter(topic, group, messageId);
        return found.isPresent() && replayEntry(layout.shard(topic, group, found.get().shard), found.get().entry);
    }

    /**
     * Deletes the dead letter of (topic, group) with {@code messageId}, if any. Exactly the entry that was
     * found is removed ({@code LREM} of its stored bytes), so if it was replayed or purged meanwhile nothing
     * else is deleted. For tools that re-send a dead letter elsewhere and then drop it.
     *
     * @return whether an entry was deleted
     */
    public boolean remove(String topic, String group, String messageId) {
        Optional<Found> found = findDeadLetter(topic, group, messageId);
        if (found.isEmpty()) {
            return false;
        }
        ShardKeys k = layout.shard(topic, group, found.get().shard);
        try {
            return ops.jedis().lrem(k.deadLetters(), 1, found.get().entry) > 0;
        } catch (RuntimeException e) {
            throw ops.failure("remove a dead letter of " + k.name(), e);
        }
    }

    /** Deletes every dead letter of (topic, group). @return how many were deleted */
    public long purge(String topic, String group) {
        store.requireStarted();
        Names.checkName("topic", topic);
        Names.checkGroup(group);
        List<RedisOps.Call> calls = new ArrayList<>(shards);
        for (int s = 0; s < shards; s++) {
            calls.add(new RedisOps.Call(List.of(layout.shard(topic, group, s).deadLetters()), List.of()));
        }
        return ops.sumEach("purge dead letters of " + topic + "/" + group, Scripts.PURGE, calls);
    }

    private boolean replayEntry(ShardKeys k, byte[] entry) {
        DeadLetterCodec.Record r = DeadLetterCodec.decode(entry);
        Envelope env;
        try {
            env = EnvelopeCodec.decode(r.raw(), auth);
        } catch (EnvelopeFormatException e) {
            return false;
        }
        byte[] fresh = EnvelopeCodec.encode(new Envelope(env.id(), env.message(), env.bornTimestamp(), 0), auth);
        try {
            return ((Long) ops.eval(Scripts.REPLAY, List.of(k.deadLetters(), k.queue()), List.of(entry, fresh))) == 1L;
        } catch (RuntimeException e) {
            throw ops.failure("replay a dead letter of " + k.name(), e);
        }
    }

    private record Found(int shard, byte[] entry) {
    }

    private Optional<Found> findDeadLetter(String topic, String group, String messageId) {
        store.requireStarted();
        Names.checkName("topic", topic);
        Names.checkGroup(group);
        Objects.requireNonNull(messageId, "messageId");
        for (int s = 0; s < shards; s++) {
            ShardKeys k = layout.shard(topic, group, s);
            List<byte[]> entries;
            try {
                entries = ops.jedis().lrange(k.deadLetters(), 0, -1);
            } catch (RuntimeException e) {
                throw ops.failure("list dead letters of " + k.name(), e);
            }
            for (byte[] entry : entries) {
                try {
                    if (EnvelopeCodec.decode(DeadLetterCodec.decode(entry).raw(), auth).id().equals(messageId)) {
                        return Optional.of(new Found(s, entry));
                    }
                } catch (EnvelopeFormatException e) {
                    // a corrupt value has no id to match
                }
            }
        }
        return Optional.empty();
    }

    private DeadLetter toDeadLetter(int shard, byte[] entry) {
        DeadLetterCodec.Record r = DeadLetterCodec.decode(entry);
        Envelope env = null;
        String error = null;
        try {
            env = EnvelopeCodec.decode(r.raw(), auth);
        } catch (EnvelopeFormatException e) {
            error = e.getMessage();
        }
        return new DeadLetter(shard, r.reason(), Instant.ofEpochMilli(r.deadAt()), r.consumerId(), env, error,
                r.raw().length);
    }

}
