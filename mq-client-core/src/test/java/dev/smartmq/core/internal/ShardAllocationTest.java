package dev.smartmq.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShardAllocationTest {

    @Test
    void liveInstancesGetDisjointContiguousRangesCoveringEveryShard() {
        List<String> live = List.of("a", "b", "c");
        BitSet union = new BitSet();
        int[] sizes = new int[3];
        for (int i = 0; i < 3; i++) {
            BitSet mine = ShardAllocation.averagely(128, live, live.get(i));
            assertFalse(union.intersects(mine));
            union.or(mine);
            sizes[i] = mine.cardinality();
        }
        assertEquals(128, union.cardinality());
        assertEquals(43, sizes[0]);
        assertEquals(43, sizes[1]);
        assertEquals(42, sizes[2]);
        assertTrue(ShardAllocation.averagely(128, live, "a").get(0));
    }

    @Test
    void moreInstancesThanShardsLeaveSomeIdleAndAStrangerOwnsNothing() {
        List<String> live = List.of("a", "b", "c");
        assertEquals(1, ShardAllocation.averagely(2, live, "a").cardinality());
        assertEquals(1, ShardAllocation.averagely(2, live, "b").cardinality());
        assertEquals(0, ShardAllocation.averagely(2, live, "c").cardinality());
        assertEquals(0, ShardAllocation.averagely(8, live, "not-live").cardinality());
    }
}
