package dev.smartmq.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The batched completion hand-off, on a hand-run executor and a hand-moved clock: no threads, no waiting. */
class CompletionDispatcherTest {

    /** Holds submitted tasks until the test runs them. */
    static final class HandExecutor implements Executor {
        final Deque<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable command) {
            tasks.add(command);
        }

        void runAll() {
            while (!tasks.isEmpty()) {
                tasks.poll().run();
            }
        }
    }

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final HandExecutor executor = new HandExecutor();
    private final CompletionDispatcher dispatcher = new CompletionDispatcher(executor, now::get);

    @Test
    void oneDrainerRunsEveryCompletionQueuedWhileItWasComing() {
        List<Integer> ran = new ArrayList<>();
        int count = CompletionDispatcher.BACKLOG_PER_DRAINER;
        for (int i = 0; i < count; i++) {
            int n = i;
            dispatcher.execute(() -> ran.add(n));
        }
        assertEquals(1, executor.tasks.size(), "one executor task for " + count + " completions");
        assertEquals(List.of(), ran, "nothing ran on the submitting thread");
        executor.runAll();
        assertEquals(count, ran.size());
        assertEquals(0, ran.get(0));
        assertEquals(count - 1, ran.get(count - 1), "in submission order");
        assertEquals(0, dispatcher.drainers(), "the drainer ended with the queue empty");
        dispatcher.execute(() -> ran.add(count));
        assertEquals(1, executor.tasks.size(), "the next completion starts a new drainer");
    }

    @Test
    void drainersThatMadeNoProgressForTheStallTimeAreHelped() {
        dispatcher.execute(() -> { });
        assertEquals(1, executor.tasks.size());
        now.addAndGet(CompletionDispatcher.STALL_NANOS - 1);
        dispatcher.execute(() -> { });
        assertEquals(1, executor.tasks.size(), "not stalled yet");
        now.addAndGet(2);
        dispatcher.execute(() -> { });
        assertEquals(2, executor.tasks.size(), "a second drainer after the stall time without progress");

        // Without new completions, the timer's check does it.
        now.addAndGet(CompletionDispatcher.STALL_NANOS + 1);
        dispatcher.checkStalled();
        assertEquals(3, executor.tasks.size());
        executor.runAll();
        assertEquals(0, dispatcher.drainers());
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        dispatcher.checkStalled();
        assertEquals(0, executor.tasks.size(), "nothing waits: no drainer");
    }

    @Test
    void aLongQueueStartsAnotherDrainer() {
        for (int i = 0; i < CompletionDispatcher.BACKLOG_PER_DRAINER; i++) {
            dispatcher.execute(() -> { });
        }
        assertEquals(1, executor.tasks.size());
        dispatcher.execute(() -> { });
        assertEquals(2, executor.tasks.size(), "more than " + CompletionDispatcher.BACKLOG_PER_DRAINER
                + " waiting for one drainer");
    }

    @Test
    void aRefusingExecutorMeansTheCompletionsRunOnTheSubmittingThread() {
        CompletionDispatcher refusing = new CompletionDispatcher(r -> {
            throw new RejectedExecutionException("shut down");
        }, now::get);
        List<Thread> ranOn = new ArrayList<>();
        refusing.execute(() -> ranOn.add(Thread.currentThread()));
        assertEquals(1, ranOn.size());
        assertSame(Thread.currentThread(), ranOn.get(0));
        assertEquals(0, refusing.drainers());
    }

    @Test
    void aThrowingCompletionDoesNotEndTheDrainer() {
        List<String> ran = new ArrayList<>();
        Thread.UncaughtExceptionHandler before = Thread.currentThread().getUncaughtExceptionHandler();
        List<Throwable> reported = new ArrayList<>();
        Thread.currentThread().setUncaughtExceptionHandler((t, e) -> reported.add(e));
        try {
            dispatcher.execute(() -> {
                throw new IllegalStateException("bug in a completion");
            });
            dispatcher.execute(() -> ran.add("next"));
            executor.runAll();
        } finally {
            Thread.currentThread().setUncaughtExceptionHandler(before);
        }
        assertEquals(List.of("next"), ran);
        assertEquals(1, reported.size());
        assertEquals("bug in a completion", reported.get(0).getMessage());
    }
}
