package dev.smartmq.testkit.checker;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Append-only, lock-free log of completed send attempts: 16 bytes per attempt (begin time, end time and
 * outcome code), in chunks allocated on demand, at most {@link #CAPACITY} attempts (later ones are counted
 * as dropped, so windows say they are incomplete).
 */
final class AttemptLog {

    static final int OK_MQ = 1;
    static final int OK_FALLBACK = 2;
    static final int FAILED = 3;
    static final int FAILED_INPUT = 4;
    static final int UNKNOWN = 5;

    private static final int CHUNK_BITS = 15;
    private static final int RECORDS_PER_CHUNK = 1 << CHUNK_BITS;
    private static final int MAX_CHUNKS = 1 << 10;
    /** 33,554,432 attempts; indexes fit in 25 bits, which the window sort relies on. */
    static final long CAPACITY = (long) RECORDS_PER_CHUNK * MAX_CHUNKS;

    private final AtomicReferenceArray<AtomicLongArray> chunks = new AtomicReferenceArray<>(MAX_CHUNKS);
    private final AtomicLong next = new AtomicLong();

    void add(long beginMillis, long endMillis, int code) {
        long i = next.getAndIncrement();
        if (i >= CAPACITY) {
            return;
        }
        int c = (int) (i >>> CHUNK_BITS);
        AtomicLongArray chunk = chunks.get(c);
        if (chunk == null) {
            AtomicLongArray fresh = new AtomicLongArray(2 * RECORDS_PER_CHUNK);
            chunk = chunks.compareAndSet(c, null, fresh) ? fresh : chunks.get(c);
        }
        int slot = (int) (i & (RECORDS_PER_CHUNK - 1)) * 2;
        chunk.set(slot, beginMillis);
        // Written last and never 0 (code is 1..5): a reader that sees it non-zero sees the begin time too.
        chunk.set(slot + 1, (endMillis << 3) | code);
    }

    /** Attempts that did not fit. */
    long dropped() {
        return Math.max(0, next.get() - CAPACITY);
    }

    /** Completed attempts readable now, in append order. */
    Snapshot snapshot() {
        long n = Math.min(next.get(), CAPACITY);
        long[] begin = new long[(int) n];
        long[] end = new long[(int) n];
        byte[] code = new byte[(int) n];
        int size = 0;
        for (long i = 0; i < n; i++) {
            AtomicLongArray chunk = chunks.get((int) (i >>> CHUNK_BITS));
            if (chunk == null) {
                continue;
            }
            int slot = (int) (i & (RECORDS_PER_CHUNK - 1)) * 2;
            long packed = chunk.get(slot + 1);
            if (packed == 0) {
                continue; // claimed but not yet written
            }
            begin[size] = chunk.get(slot);
            end[size] = packed >> 3;
            code[size] = (byte) (packed & 7);
            size++;
        }
        return new Snapshot(size, begin, end, code);
    }

    record Snapshot(int size, long[] begin, long[] end, byte[] code) {
    }
}
