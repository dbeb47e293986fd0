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
 * per-shard counts operators read, and deleting a group that is gone for good (with its delayed messages). Each is one pipeline over the
 * shards (one round trip per node).
 *
 * <p>Thread rules: stateless, thread-safe; callers check the store is started and the names are valid.
 */
public final class Backlogs {

    private static final Logger LOG = LoggerFactory.getLogger(Backlogs.class);

    private final RedisOps ops;
    private final KeyLayout layout;
    private final int shards;
    private final DelayedKeys delayedKeys;

    public Backlogs(RedisOps ops, KeyLayout layout, int shards) {
        this.ops = ops;
        this.layout = layout;
        this.shards = shards;
        this.delayedKeys = new DelayedKeys(layout);
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

    /** Queued, in-flight, dead-lettered and delayed counts of every shard; one pipeline. */
    public List<ShardBacklog> perShard(String topic, String group) {
        List<Response<Long>> rs = ops.runPipeline("backlog of " + topic + "/" + group, p -> {
            List<Response<Long>> list = new ArrayList<>(shards * 4);
            for (int s = 0; s < shards; s++) {
                ShardKeys k = layout.shard(topic, group, s);
                list.add(p.llen(k.queue()));
                list.add(p.hlen(k.inFlight()));
                list.add(p.llen(k.deadLetters()));
                list.add(p.zcard(delayedKeys.zset(k)));
            }
            return list;
        });
        List<ShardBacklog> result = new ArrayList<>(shards);
        for (int s = 0; s < shards; s++) {
            result.add(new ShardBacklog(s, rs.get(4 * s).get(), rs.get(4 * s + 1).get(), rs.get(4 * s + 2).get(),
                    rs.get(4 * s + 3).get()));
        }
        return result;
    }

    /**
     * Deletes every key of (topic, group) on every shard — queue, in flight, dead letters, claim sequence and the
     * delayed set — and the group's entries in the namespace's delayed index; returns the messages deleted (queued +
     * in flight + dead + delayed).
     *
     * <p>Cluster-safe: the index entries go first, by one ZREM on the index key (its own slot); then one script per
     * shard counts and deletes that shard's five keys (one hash tag), all shards in one pipeline. Index first, so a
     * mover never finds the group again: one that read an entry before the ZREM either moved values into the queue
     * before the shard's script (deleted and counted with it) or finds the delayed set gone; it never re-adds a
     * removed entry (DelayedMessages writes the index with XX after a move).
     */
    public long deleteGroup(String topic, String group) {
        String what = "delete group " + topic + "/" + group;
        byte[][] members = new byte[shards][];
        List<RedisOps.Call> calls = new ArrayList<>(shards);
        for (int s = 0; s < shards; s++) {
            ShardKeys k = layout.shard(topic, group, s);
            members[s] = DelayedKeys.member(k);
            calls.add(new RedisOps.Call(List.of(k.queue(), k.inFlight(), k.deadLetters(), k.sequence(),
                    delayedKeys.zset(k)), List.of()));
        }
        try {
            ops.jedis().zrem(delayedKeys.index(), members);
        } catch (RuntimeException e) {
            throw ops.failure(what, e);
        }
        long messages = ops.sumEach(what, Scripts.DELETE_SHARD, calls);
        LOG.warn("Deleted group {} of topic {} from the fallback store: {} messages (queued, in flight, delayed and "
                + "dead-lettered)", group, topic, messages);
        return messages;
    }
}
