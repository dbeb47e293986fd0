package dev.smartmq.rocketmq.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The async deadline sweep, driven by hand (the timer is never started): no threads, no waiting. */
class AsyncSendDeadlinesTest {

    private final AsyncSendDeadlines deadlines = new AsyncSendDeadlines(TimeUnit.MILLISECONDS.toNanos(100), "t");

    @Test
    void failsWhatIsUnansweredPastItsDeadlineAndForgetsWhatWasAnswered() {
        CompletableFuture<String> answered = new CompletableFuture<>();
        CompletableFuture<String> late = new CompletableFuture<>();
        CompletableFuture<String> notYet = new CompletableFuture<>();
        deadlines.watch(answered, 1_000, () -> new IllegalStateException("answered"));
        deadlines.watch(late, 1_000, () -> new IllegalStateException("late"));
        deadlines.watch(notYet, 5_000, () -> new IllegalStateException("not yet"));
        answered.complete("ok");
        assertEquals(3, deadlines.size());

        assertEquals(1, deadlines.sweep(1_000), "only the unanswered send past its deadline fails");
        assertEquals("ok", answered.join());
        ExecutionException e = assertThrows(ExecutionException.class, late::get);
        assertEquals("late", e.getCause().getMessage());
        assertFalse(notYet.isDone(), "a later deadline (another budget) is not failed by an earlier one");
        assertEquals(1, deadlines.size(), "answered and failed sends are forgotten");

        notYet.complete("in time");
        assertEquals(0, deadlines.sweep(10_000));
        assertEquals("in time", notYet.join());
        assertEquals(0, deadlines.size());
    }

    @Test
    void aFutureAlreadyDoneIsNotWatched() {
        deadlines.watch(CompletableFuture.completedFuture("x"), 0, () -> new IllegalStateException());
        assertEquals(0, deadlines.size());
    }

    @Test
    void aTickBelowOneMillisecondIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AsyncSendDeadlines(1000, "t"));
        assertTrue(e.getMessage().contains("tickNanos"), e.getMessage());
    }
}
