package dev.smartmq.core;

import static dev.smartmq.core.Rig.msg;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.testkit.fakes.FakeTransport;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Where callers' {@code sendAsync} callbacks run (DESIGN.md §4), and who owns that executor. The MQ hangs, so
 * the engine's timer fails the attempt and the fake store completes the fallback write: without the hand-off
 * the caller's callback would run on {@code smartmq-timer-1}. (The Redis writer case is
 * {@code AsyncSendCompletionIT} in mq-client-redis-fallback, against a real redis-server.)
 */
class AsyncCompletionTest {

    @Test
    void callbacksRunOnTheEnginesCallbackThreadsWhichCloseEnds() throws Exception {
        try (Rig rig = new Rig(4)) {
            rig.transport.mode(FakeTransport.Mode.HANG);
            rig.start(Rig.fastConfig().build());
            CompletableFuture<String> thread = rig.mq.producer().sendAsync(msg("t"))
                    .thenApply(r -> r.route() + " " + Thread.currentThread().getName());
            String seen = thread.get(10, TimeUnit.SECONDS);
            assertTrue(seen.startsWith("FALLBACK smartmq-callback-"), seen);
            rig.mq.close();
            assertFalse(Rig.anySmartMqThreadAlive(), "close() ended the engine's callback threads");
        }
    }

    @Test
    void aCallersExecutorRunsTheCallbacksAndStaysTheCallers() throws Exception {
        AtomicInteger n = new AtomicInteger();
        ExecutorService mine = Executors.newFixedThreadPool(2, r -> new Thread(r, "app-cb-" + n.incrementAndGet()));
        try (Rig rig = new Rig(4)) {
            rig.transport.mode(FakeTransport.Mode.HANG);
            rig.start(Rig.fastConfig().build(), b -> b.completionExecutor(mine));
            CompletableFuture<SendReceipt> f = rig.mq.producer().sendAsync(msg("t"));
            String seen = f.thenApply(r -> Thread.currentThread().getName()).get(10, TimeUnit.SECONDS);
            assertEquals(Route.FALLBACK, f.join().route());
            assertTrue(seen.startsWith("app-cb-"), seen);
            rig.mq.close();
            assertFalse(mine.isShutdown(), "SmartMQ never shuts down an executor it was given");
            assertEquals("still mine", mine.submit(() -> "still mine").get(5, TimeUnit.SECONDS));
        } finally {
            mine.shutdownNow();
        }
    }

    @Test
    void aRefusingExecutorStillCompletesTheFuture() throws Exception {
        try (Rig rig = new Rig(4)) {
            rig.transport.mode(FakeTransport.Mode.HANG);
            rig.start(Rig.fastConfig().build(), b -> b.completionExecutor(r -> {
                throw new java.util.concurrent.RejectedExecutionException("full");
            }));
            SendReceipt r = rig.mq.producer().sendAsync(msg("t")).get(10, TimeUnit.SECONDS);
            assertEquals(Route.FALLBACK, r.route());
        }
    }
}
