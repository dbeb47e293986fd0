package dev.smartmq.core.internal;

import java.util.BitSet;
import java.util.List;

/**
 * Which shards of an ORDERED subscription this instance drains, so that one shard is drained by one instance
 * of the group at a time. Same rule as RocketMQ's "allocate averagely": the sorted live instances get
 * contiguous ranges, the first {@code shards mod n} instances one shard more.
 */
final class ShardAllocation {
    private ShardAllocation() {
    }

    /**
     * @param sortedLive live consumer ids of the group, sorted
     * @return the shards {@code me} owns; empty when {@code me} is not live (others own everything then)
     */
    static BitSet averagely(int shards, List<String> sortedLive, String me) {
        BitSet owned = new BitSet(shards);
        int index = sortedLive.indexOf(me);
        int n = sortedLive.size();
        if (index < 0 || n == 0) {
            return owned;
        }
        int mod = shards % n;
        int size = shards <= n ? 1 : (mod > 0 && index < mod ? shards / n + 1 : shards / n);
        int start = (mod > 0 && index < mod) ? index * size : index * size + mod;
        int range = Math.min(size, shards - start);
        for (int i = 0; i < range; i++) {
            owned.set(start + i);
        }
        return owned;
    }
}
