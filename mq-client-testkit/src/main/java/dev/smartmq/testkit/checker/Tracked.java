package dev.smartmq.testkit.checker;

import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * What the checker knows about one message id. Guarded by its own monitor; about 32 bytes plus 8 per group
 * that saw it, so a million messages stay small.
 */
final class Tracked {

    static final byte NONE = 0;
    static final byte FAILED = 1;
    static final byte UNKNOWN = 2;
    static final byte ACKED = 3;

    private static final int COUNT_BITS = 20;
    private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;
    private static final long[] NO_GROUPS = new long[0];

    byte state = NONE;
    KeySequence key;
    int seq;
    /** Per group index: first-delivery order (high 44 bits) and delivery count (low 20 bits, saturating). */
    private long[] perGroup = NO_GROUPS;

    int groupSlots() {
        return perGroup.length;
    }

    int count(int group) {
        return group < perGroup.length ? (int) (perGroup[group] & COUNT_MASK) : 0;
    }

    long firstOrder(int group) {
        return group < perGroup.length ? perGroup[group] >>> COUNT_BITS : 0;
    }

    /** Counts one delivery to {@code group}; returns {@code true} if it was the first. */
    boolean deliver(int group, LongSupplier nextOrder) {
        if (group >= perGroup.length) {
            perGroup = Arrays.copyOf(perGroup, group + 1);
        }
        long packed = perGroup[group];
        if (packed == 0) {
            perGroup[group] = (nextOrder.getAsLong() << COUNT_BITS) | 1;
            return true;
        }
        if ((packed & COUNT_MASK) < COUNT_MASK) {
            perGroup[group] = packed + 1;
        }
        return false;
    }
}
