package dev.smartmq.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.spi.FailureKind;
import dev.smartmq.spi.TransportException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The async send guard, driven with explicit clock readings (no timers, no sleeps). */
class AsyncSendGuardTest {

    private static final long GUARD = TimeUnit.SECONDS.toNanos(3);

    @Test
    void failsOnlyWhatIsUnansweredPastItsDeadline() {
        AsyncSendGuard guard = new AsyncSendGuard(GUARD);
        CompletableFuture<String> answered = new CompletableFuture<>();
        CompletableFuture<String> hung = new CompletableFuture<>();
        CompletableFuture<String> later = new CompletableFuture<>();
        guard.watch(answered, 0);
        guard.watch(hung, 1);
        guard.watch(later, GUARD);
        answered.complete("ok");

        assertEquals(0, guard.sweep(GUARD), "nothing is due one guard time after the first watch");
        assertFalse(hung.isDone());
        assertEquals(2, guard.size(), "the answered head was forgotten");

        assertEquals(1, guard.sweep(GUARD + 1));
        TransportException e = assertInstanceOf(TransportException.class,
                assertThrows(CompletionException.class, hung::join).getCause());
        assertEquals(FailureKind.INFRASTRUCTURE, e.kind());
        assertTrue(e.getMessage().contains("no answer from the MQ"), e.getMessage());
        assertFalse(later.isDone(), "a later send keeps its own deadline");

        later.complete("late but fine");
        assertEquals(0, guard.sweep(2 * GUARD + 1), "an answered send is never failed");
        assertEquals("late but fine", later.join());
        assertEquals(0, guard.size());
    }

    @Test
    void anAlreadyAnsweredSendIsNotQueued() {
        AsyncSendGuard guard = new AsyncSendGuard(GUARD);
        guard.watch(CompletableFuture.completedFuture("done"), 0);
        assertEquals(0, guard.size());
    }

    @Test
    void tickIsATwentiethOfTheGuardWithinBounds() {
        assertEquals(TimeUnit.MILLISECONDS.toNanos(150), new AsyncSendGuard(GUARD).tickNanos());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(10), new AsyncSendGuard(TimeUnit.MILLISECONDS.toNanos(50)).tickNanos());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(250), new AsyncSendGuard(TimeUnit.MINUTES.toNanos(1)).tickNanos());
        assertThrows(IllegalArgumentException.class, () -> new AsyncSendGuard(0));
    }
}
