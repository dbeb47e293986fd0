package dev.smartmq.core.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/**
 * Says whether a WARN about one topic is due: at most one per topic per {@code period}, so a misconfigured topic
 * sending thousands of messages a second is loud without flooding the log. Remembers at most
 * {@value #MAX_TOPICS} topics (then forgets them all and starts over: a few extra lines, never unbounded memory).
 *
 * <p>Thread rules: safe for concurrent callers; lock-free.
 */
final class TopicWarnings {
    static final int MAX_TOPICS = 1_000;

    private final long periodNanos;
    private final LongSupplier nanoTime;
    private final ConcurrentMap<String, Long> lastWarned = new ConcurrentHashMap<>();

    TopicWarnings(long periodNanos, LongSupplier nanoTime) {
        this.periodNanos = periodNanos;
        this.nanoTime = nanoTime;
    }

    /** Whether the caller should log about {@code topic} now; if so, the next one is due a period later. */
    boolean due(String topic) {
        long now = nanoTime.getAsLong();
        Long last = lastWarned.get(topic);
        if (last != null && now - last < periodNanos) {
            return false;
        }
        if (lastWarned.size() >= MAX_TOPICS) {
            lastWarned.clear();
        }
        return last == null ? lastWarned.putIfAbsent(topic, now) == null : lastWarned.replace(topic, last, now);
    }
}
