package dev.smartmq.redis.internal;

import dev.smartmq.redis.ShardBacklog;
import dev.smartmq.redis.internal.KeyLayout.ShardKeys;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Response;

/**
 * What the shards of a (topic, group) hold: the backlog the drain decision needs (queued + in flight), the
 * per-shard counts operators read, and deleting a group that is gone for good. Each is one pipeline over the
 * shards (one round trip per node).
 *
 * <p>Thread rules: stateless, thread-safe; callers check the store is started and the names are valid.
 */
public final class Backlogs {

    private static final Logger LOG = LoggerFactory.getLogger(Backlogs.class);

    private final RedisOps ops;
    private final KeyLayout layout;
    private final int shards;

    public Backlogs(RedisOps ops, KeyLayout layout, int shards) {
        this.ops = ops;
        this.layout = layout;
        this.shards = shards;
    }

    /** Queued + in flight over every shard: one pipeline of LLEN + HLEN per shard (dead letters are not read). */
    public long total(String topic, String group) {
        List<Response<Long>> rs = ops.runPipeline("backlog of " + topic + "/" + group, p -> {
            List<Response<Long>> list = new ArrayList<>(shards * 2);
            for (int s = 0; s < shards; s++) {
                ShardKeys k = layout.shard(topic, group, s);
                list.add(p.llen(k.queue()));
                list.add(p.hlen(k.inFlight()));
            }
            return list;
        });
        long total = 0;
        for (Response<Long> r : rs) {
            total += r.get();
        }
        return total;
    }

    /** Queued, in-flight and dead-lettered counts of every shard; one pipeline. */
    public List<ShardBacklog> perShard(String topic, String group) {
        List<Response<Long>> rs = ops.runPipeline("backlog of " + topic + "/" + group, p -> {
            List<Response<Long>> list = new ArrayList<>(shards * 3);
            for (int s = 0; s < shards; s++) {
                ShardKeys k = layout.shard(topic, group, s);
                list.add(p.llen(k.queue()));
                list.add(p.hlen(k.inFlight()));
                list.add(p.llen(k.deadLetters()));
            }
            return list;
        });
        List<ShardBacklog> result = new ArrayList<>(shards);
        for (int s = 0; s < shards; s++) {
            result.add(new ShardBacklog(s, rs.get(3 * s).get(), rs.get(3 * s + 1).get(), rs.get(3 * s + 2).get()));
        }
        return result;
    }

    /** Deletes every key of (topic, group) on every shard; returns the messages (queued + in flight + dead) deleted. */
    public long deleteGroup(String topic, String group) {
        long messages = 0;
        for (ShardBacklog b : perShard(topic, group)) {
            messages += b.pending() + b.deadLettered();
        }
        ops.runPipeline("delete group " + topic + "/" + group, p -> {
            List<Response<Long>> list = new ArrayList<>(shards);
            for (int s = 0; s < shards; s++) {
                ShardKeys k = layout.shard(topic, group, s);
                list.add(p.del(k.queue(), k.inFlight(), k.deadLetters(), k.sequence()));
            }
            return list;
        });
        LOG.warn("Deleted group {} of topic {} from the fallback store: {} messages", group, topic, messages);
        return messages;
    }
}
