package dev.smartmq.testkit.checker;

import java.util.Arrays;

/** A growable primitive list, for the order check at report time. */
final class LongList {

    private long[] values = new long[4];
    private int size;

    void add(long v) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = v;
    }

    /** Sorts and returns the backing array; only the first {@link #size()} values count. */
    long[] sorted() {
        Arrays.sort(values, 0, size);
        return values;
    }

    int size() {
        return size;
    }
}
