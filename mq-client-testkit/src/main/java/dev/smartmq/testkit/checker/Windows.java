package dev.smartmq.testkit.checker;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Computes the windows of a {@link WindowKind} from the attempt log. */
final class Windows {

    private static final int BAD = 1;
    private static final int GOOD = 2;
    private static final int NEUTRAL = 0;
    private static final int INDEX_BITS = 25;

    private Windows() {
    }

    /** Attempts sorted by completion time: indexes into the snapshot. */
    static int[] byCompletion(AttemptLog.Snapshot s) {
        int n = s.size();
        if (n == 0) {
            return new int[0];
        }
        long min = Long.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            min = Math.min(min, s.end()[i]);
        }
        long max = Long.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, s.end()[i]);
        }
        if (max - min >= (1L << (63 - INDEX_BITS))) {
            throw new IllegalStateException("send times span " + (max - min) + " ms, more than the checker supports");
        }
        // (end - min) in the high bits, the index in the low 25: one primitive sort, no boxing.
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            keys[i] = ((s.end()[i] - min) << INDEX_BITS) | i;
        }
        Arrays.sort(keys);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = (int) (keys[i] & ((1L << INDEX_BITS) - 1));
        }
        return order;
    }

    static WindowSummary compute(WindowKind kind, AttemptLog.Snapshot s, int[] order, int maxListed) {
        List<Window> listed = new ArrayList<>();
        long count = 0;
        long longest = 0;
        long total = 0;
        boolean inRun = false;
        long start = 0;
        long lastBadEnd = 0;
        long lastGoodEnd = Long.MIN_VALUE;
        for (int i : order) {
            int c = classify(kind, s.code()[i]);
            if (c == BAD) {
                if (!inRun) {
                    inRun = true;
                    start = Math.max(s.begin()[i], lastGoodEnd);
                }
                lastBadEnd = s.end()[i];
            } else if (c == GOOD) {
                if (inRun) {
                    long d = s.end()[i] - start;
                    count++;
                    longest = Math.max(longest, d);
                    total += d;
                    if (listed.size() < maxListed) {
                        listed.add(new Window(start, s.end()[i], true));
                    }
                    inRun = false;
                }
                lastGoodEnd = s.end()[i];
            }
        }
        boolean open = inRun;
        if (inRun) {
            long d = lastBadEnd - start;
            count++;
            longest = Math.max(longest, d);
            total += d;
            if (listed.size() < maxListed) {
                listed.add(new Window(start, lastBadEnd, false));
            }
        }
        return new WindowSummary(kind, count, longest, total, open, listed);
    }

    private static int classify(WindowKind kind, int code) {
        switch (kind) {
            case UNAVAILABLE:
                return code == AttemptLog.OK_MQ ? GOOD
                        : (code == AttemptLog.OK_FALLBACK || code == AttemptLog.FAILED || code == AttemptLog.UNKNOWN)
                        ? BAD : NEUTRAL;
            case FALLBACK:
                return code == AttemptLog.OK_FALLBACK ? BAD : code == AttemptLog.OK_MQ ? GOOD : NEUTRAL;
            case FAILED:
                return (code == AttemptLog.FAILED || code == AttemptLog.UNKNOWN) ? BAD
                        : (code == AttemptLog.OK_MQ || code == AttemptLog.OK_FALLBACK) ? GOOD : NEUTRAL;
            default:
                throw new IllegalArgumentException("unknown window kind " + kind);
        }
    }
}
