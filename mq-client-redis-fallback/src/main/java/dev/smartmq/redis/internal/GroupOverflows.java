package dev.smartmq.redis.internal;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts and reports the messages a full group did not get while the other groups of the same append did
 * (the append never fails healthy groups because one is full). Logged at ERROR, at most once a minute per
 * group with the running count, so an abandoned group cannot flood the log; never silent.
 *
 * <p>Thread rules: thread-safe; called by the writer threads.
 */
final class GroupOverflows {
    private static final Logger LOG = LoggerFactory.getLogger(GroupOverflows.class);
    private static final long LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private record Entry(AtomicLong count, AtomicLong lastLoggedNanos) {
    }

    private final ConcurrentMap<String, Entry> byGroup = new ConcurrentHashMap<>();

    void report(String where, List<String> groups, long maxBacklog) {
        long now = System.nanoTime();
        for (String g : groups) {
            Entry e = byGroup.computeIfAbsent(g, k -> new Entry(new AtomicLong(), new AtomicLong(now - LOG_EVERY_NANOS)));
            long n = e.count.incrementAndGet();
            long last = e.lastLoggedNanos.get();
            if (now - last >= LOG_EVERY_NANOS && e.lastLoggedNanos.compareAndSet(last, now)) {
                LOG.error("Fallback message NOT stored for group '{}': its shard reached maxBacklogPerShard={} "
                        + "(stored for the other groups of {}); {} messages skipped for this group so far. Is the "
                        + "group abandoned? smartmq-admin groups list / remove", g, maxBacklog, where, n);
            }
        }
    }

    Map<String, Long> counts() {
        Map<String, Long> out = new TreeMap<>();
        byGroup.forEach((g, e) -> out.put(g, e.count.get()));
        return out;
    }
}
