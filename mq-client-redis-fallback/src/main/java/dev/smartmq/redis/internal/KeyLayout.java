package dev.smartmq.redis.internal;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Every Redis key the store uses, as a pure function of (namespace, topic, group, shard).
 *
 * <pre>
 * smq:{ns:topic:shard}:group:q   list   queued values, head = oldest
 * smq:{ns:topic:shard}:group:f   hash   in-flight: field "seq(16 hex)|claimToken|consumerId" → value
 * smq:{ns:topic:shard}:group:d   list   dead letters (DeadLetterCodec records)
 * smq:{ns:topic:shard}:group:n   string claim sequence of the shard (orders in-flight entries); deleted by
 *                                        the ack / dead-letter that leaves the shard empty
 * smq:{ns:topic:shard}:group:l   string lease of an ORDERED shard: the consumer id that delivers it (PX TTL)
 * smq:ns:#unclaimed-topics       set    topics whose #unclaimed shards hold or held messages
 * </pre>
 *
 * The hash tag is {@code {ns:topic:shard}}: the five keys of a shard share a slot (so Lua scripts move
 * values atomically between them), the keys of every group of the same (topic, shard) share it too (so a
 * fan-out to all groups is one atomic script, and so is adopting the unclaimed messages), and the shards
 * of a topic spread over the cluster's slots and nodes. Names are validated elsewhere to
 * {@code [A-Za-z0-9_-]}, so they cannot contain the braces or the separator.
 */
public final class KeyLayout {

    /** Reserved group that holds messages sent while no group was registered for the topic. */
    public static final String UNCLAIMED_GROUP = "#unclaimed";

    private final String namespace;
    private final int shards;
    private final ConcurrentMap<String, ShardKeys[]> cache = new ConcurrentHashMap<>();

    public KeyLayout(String namespace, int shards) {
        this.namespace = namespace;
        this.shards = shards;
    }

    /** The keys of one shard of (topic, group). */
    public record ShardKeys(String topic, String group, int shard, byte[] queue, byte[] inFlight,
                            byte[] deadLetters, byte[] sequence) {
        /** A printable name of the shard for logs and messages. */
        public String name() {
            return topic + "/" + group + "/" + shard;
        }
    }

    public ShardKeys shard(String topic, String group, int shard) {
        if (shard < 0 || shard >= shards) {
            throw new IllegalArgumentException("shard must be between 0 and " + (shards - 1) + ", but was " + shard);
        }
        return cache.computeIfAbsent(topic + '\n' + group, k -> build(topic, group))[shard];
    }

    private ShardKeys[] build(String topic, String group) {
        ShardKeys[] result = new ShardKeys[shards];
        for (int s = 0; s < shards; s++) {
            String prefix = "smq:{" + namespace + ":" + topic + ":" + s + "}:" + group + ":";
            result[s] = new ShardKeys(topic, group, s, bytes(prefix + "q"), bytes(prefix + "f"),
                    bytes(prefix + "d"), bytes(prefix + "n"));
        }
        return result;
    }

    /** Key of the lease of an ORDERED shard (same hash tag as the shard's other keys). */
    public byte[] lease(ShardKeys k) {
        return bytes("smq:{" + namespace + ":" + k.topic() + ":" + k.shard() + "}:" + k.group() + ":l");
    }

    /** Key of the set of topics that have (or had) messages in their unclaimed shards. */
    public byte[] unclaimedTopics() {
        return bytes("smq:" + namespace + ":#unclaimed-topics");
    }

    /** Key of the idempotency record of {@code messageId} in {@code group} (no hash tag: spread). */
    public String seen(String group, String messageId) {
        return "smq:" + namespace + ":" + group + ":seen:" + messageId;
    }

    public String namespace() {
        return namespace;
    }

    public int shards() {
        return shards;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
