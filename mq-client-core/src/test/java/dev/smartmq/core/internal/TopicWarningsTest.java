package dev.smartmq.core.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TopicWarningsTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final TopicWarnings warnings = new TopicWarnings(TimeUnit.MINUTES.toNanos(1), now::get);

    @Test
    void oncePerTopicPerPeriod() {
        assertTrue(warnings.due("a"));
        assertFalse(warnings.due("a"));
        assertTrue(warnings.due("b"), "each topic has its own period");
        now.addAndGet(TimeUnit.SECONDS.toNanos(59));
        assertFalse(warnings.due("a"));
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertTrue(warnings.due("a"));
        assertFalse(warnings.due("a"));
    }

    @Test
    void manyTopicsNeverGrowWithoutBound() {
        for (int i = 0; i < TopicWarnings.MAX_TOPICS * 3; i++) {
            assertTrue(warnings.due("t" + i));
        }
        // Forgetting costs at most an extra line for a topic, never a missing first one.
        assertTrue(warnings.due("fresh"));
    }
}
