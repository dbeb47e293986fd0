package dev.smartmq.redis.internal;

import dev.smartmq.redis.ShardBacklog;
import dev.smartmq.redis.internal.KeyLayout.ShardKeys;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Messages appended while no group was known for their topic (the reserved group {@link KeyLayout#UNCLAIMED_GROUP}):
 * records the topic in {@code smq:<ns>:#unclaimed-topics} before its first such append, hands them to the groups
 * that register ({@link #distribute}: all groups of a shard in one atomic script, ahead of what is queued) or to
 * one group ({@link #adopt}, for tools), and counts them (the module README, "Unclaimed messages and late groups").
 *
 * <p>Thread rules: thread-safe; its only state is the set of topics this instance already recorded (bounded by
 * the topics), a concurrent set.
 */
public final class Unclaimed {

    private static final Logger LOG = LoggerFactory.getLogger(Unclaimed.class);
    private static final int ADOPT_CHUNK = 1000;

    private final RedisOps ops;
    private final KeyLayout layout;
    private final int shards;
    private final Backlogs backlogs;
    /** Topics this instance already recorded in the unclaimed-topics set (bounded by the topics). */
    private final Set<String> unclaimedTopicsNoted = ConcurrentHashMap.newKeySet();

    public Unclaimed(RedisOps ops, KeyLayout layout, int shards, Backlogs backlogs) {
        this.ops = ops;
        this.layout = layout;
        this.shards = shards;
        this.backlogs = backlogs;
    }

    /**
     * Moves the topic's unclaimed messages into {@code group}'s shards, shard by shard, ahead of anything
     * already queued there (they are older). Whoever calls this first for a shard takes all that shard's
     * unclaimed messages at that moment; a second group gets what arrived after.
     */
    public long adopt(String topic, String group) {
        Names.checkName("topic", topic);
        Names.checkName("group", group);
        long moved = 0;
        for (int s = 0; s < shards; s++) {
            ShardKeys from = layout.shard(topic, KeyLayout.UNCLAIMED_GROUP, s);
            ShardKeys to = layout.shard(topic, group, s);
            long n;
            do {
                try {
                    n = (Long) ops.eval(Scripts.ADOPT, List.of(from.queue(), to.queue()),
                            List.of(Integer.toString(ADOPT_CHUNK).getBytes(StandardCharsets.US_ASCII)));
                } catch (RuntimeException e) {
                    throw ops.failure("adopt unclaimed messages of " + from.name() + " into group " + group, e);
                }
                moved += n;
            } while (n == ADOPT_CHUNK);
        }
        if (moved > 0) {
            LOG.info("Group {} adopted {} unclaimed messages of topic {}", group, moved, topic);
        }
        return moved;
    }

    /**
     * Records, before the first unclaimed append of a topic by this instance is sent, that the topic may have
     * unclaimed messages, so the leader's drain decision finds them (one round trip per topic and instance;
     * a failure fails the append).
     */
    public void noteTopic(String topic) {
        if (unclaimedTopicsNoted.contains(topic)) {
            return;
        }
        try {
            ops.jedis().sadd(layout.unclaimedTopics(), topic.getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw ops.failure("record topic " + topic + " as having unclaimed messages", e);
        }
        unclaimedTopicsNoted.add(topic);
    }

    /**
     * Copies the topic's unclaimed messages to every group in {@code groups}, shard by shard (one atomic script
     * per non-empty shard, all groups of a shard share its hash tag), ahead of what is queued there.
     */
    public long distribute(String topic, Collection<String> groups) {
        Names.checkName("topic", topic);
        List<String> targets = new ArrayList<>(new LinkedHashSet<>(groups));
        if (targets.isEmpty()) {
            return 0;
        }
        for (String g : targets) {
            Names.checkName("group", g);
        }
        List<ShardBacklog> perShard = backlogs.perShard(topic, KeyLayout.UNCLAIMED_GROUP);
        long moved = 0;
        for (ShardBacklog b : perShard) {
            if (b.queued() == 0) {
                continue;
            }
            List<byte[]> keys = new ArrayList<>(targets.size() + 1);
            keys.add(layout.shard(topic, KeyLayout.UNCLAIMED_GROUP, b.shard()).queue());
            for (String g : targets) {
                keys.add(layout.shard(topic, g, b.shard()).queue());
            }
            long n;
            do {
                try {
                    n = (Long) ops.eval(Scripts.DISTRIBUTE, keys,
                            List.of(Integer.toString(ADOPT_CHUNK).getBytes(StandardCharsets.US_ASCII)));
                } catch (RuntimeException e) {
                    throw ops.failure("distribute unclaimed messages of " + topic + "/" + b.shard() + " to "
                            + targets, e);
                }
                moved += n;
            } while (n == ADOPT_CHUNK);
        }
        if (moved > 0) {
            LOG.info("Groups {} got {} unclaimed messages of topic {}", targets, moved, topic);
        }
        return moved;
    }

    public long backlog(String topic) {
        return backlogs.total(topic, KeyLayout.UNCLAIMED_GROUP);
    }

    public Set<String> topics() {
        Set<byte[]> members;
        try {
            members = ops.jedis().smembers(layout.unclaimedTopics());
        } catch (RuntimeException e) {
            throw ops.failure("list topics with unclaimed messages", e);
        }
        Set<String> topics = new java.util.TreeSet<>();
        for (byte[] m : members) {
            String t = new String(m, StandardCharsets.UTF_8);
            if (Names.isValid(t)) {
                topics.add(t);
            }
        }
        return topics;
    }

}
