package dev.smartmq.core;

import static dev.smartmq.core.Rig.msg;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.DeliveryException;
import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.testkit.fakes.FakeTransport.Mode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ProducerRoutingTest {
    private final Rig rig = new Rig(8);

    @AfterEach
    void close() {
        rig.close();
    }

    @Test
    void everyMessageWhoseMqSendFailedIsInTheFallbackStoreWhenSendReturns() {
        // Every other send fails: the brownout rule (on by default) would degrade; this test is about per-message
        // fallback while NORMAL, so both rules are out of reach.
        rig.start(Rig.fastConfig().failureThreshold(1000).brownoutWindowSize(0).build());
        SmartProducer producer = rig.mq.producer();
        int fallbacks = 0;
        for (int i = 0; i < 200; i++) {
            if (i % 2 == 0) {
                rig.transport.failNext(1);
            }
            SendReceipt r = producer.send(msg("orders"));
            if (r.route() == Route.FALLBACK) {
                fallbacks++;
                assertTrue(rig.store.contains(r.messageId()), "in the fallback store when send returned");
                assertFalse(rig.transport.wasSent(r.messageId()));
                assertNull(r.transportMessageId());
            } else {
                assertTrue(rig.transport.wasSent(r.messageId()));
                assertEquals("mq-" + r.messageId(), r.transportMessageId());
            }
        }
        assertEquals(100, fallbacks);
        assertEquals(100, rig.count("smartmq.producer.sends.fallback"));
        assertEquals(100, rig.count("smartmq.producer.sends.mq"));
    }

    @Test
    void asyncSendsThatFailOnTheMqAreInTheFallbackStoreWhenTheFutureCompletes() {
        rig.start(Rig.fastConfig().failureThreshold(1000).build());
        rig.transport.mode(Mode.FAIL_INFRA);
        List<CompletableFuture<SendReceipt>> futures = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            futures.add(rig.mq.producer().sendAsync(msg("orders")));
        }
        for (CompletableFuture<SendReceipt> f : futures) {
            // Bounded: without the engine's guard these would never complete.
            SendReceipt r = f.orTimeout(10, TimeUnit.SECONDS).join();
            assertEquals(Route.FALLBACK, r.route());
            assertTrue(rig.store.contains(r.messageId()));
        }
    }

    @Test
    void mqAndFallbackBothFailingGivesDeliveryExceptionWithTheId() {
        rig.start(Rig.fastConfig().failureThreshold(1000).build());
        rig.transport.mode(Mode.FAIL_INFRA);
        rig.store.failAppends(true);
        DeliveryException e = assertThrows(DeliveryException.class, () -> rig.mq.producer().send(msg("orders")));
        assertEquals(7, UUID.fromString(e.messageId()).version());
        assertTrue(e.getMessage().contains(e.messageId()));
        assertFalse(rig.store.contains(e.messageId()));

        CompletionException ce = assertThrows(CompletionException.class,
                () -> rig.mq.producer().sendAsync(msg("orders")).join());
        DeliveryException async = assertInstanceOf(DeliveryException.class, ce.getCause());
        assertEquals(7, UUID.fromString(async.messageId()).version());
        assertEquals(2, rig.count("smartmq.producer.sends.failed"));
    }

    /**
     * A DeliveryException must not tell the caller "stored nowhere" when an attempt ended without an answer: the fake
     * store's UNAVAILABLE ("the write may or may not have happened") may have stored it, and it may still be delivered
     * (the chaos suite saw such sends delivered: phantoms). The caller is told so.
     */
    @Test
    void aDeliveryExceptionSaysWhenTheMessageMayStillHaveBeenStored() {
        rig.start(Rig.fastConfig().failureThreshold(1000).build());
        rig.transport.mode(Mode.FAIL_INFRA);
        rig.store.failAppends(true);
        DeliveryException e = assertThrows(DeliveryException.class, () -> rig.mq.producer().send(msg("orders")));
        assertTrue(e.getMessage().contains("may have been stored"), e.getMessage());
        assertTrue(e.mayHaveBeenStored());

        // The MQ refused it (connection refused: known not stored) and the store was full: stored nowhere.
        rig.store.failAppends(true, FallbackStoreException.Reason.BACKLOG_FULL);
        DeliveryException nowhere = assertThrows(DeliveryException.class, () -> rig.mq.producer().send(msg("orders")));
        assertFalse(nowhere.mayHaveBeenStored(), nowhere.getMessage());
        assertTrue(nowhere.getMessage().contains("neither stored it"), nowhere.getMessage());
        CompletionException async = assertThrows(CompletionException.class,
                () -> rig.mq.producer().sendAsync(msg("orders")).join());
        assertFalse(assertInstanceOf(DeliveryException.class, async.getCause()).mayHaveBeenStored());

        // An MQ attempt that got no answer (outcome unknown) makes it "may have been stored" whatever the store said.
        rig.transport.mode(Mode.HANG);
        DeliveryException timedOut = assertThrows(DeliveryException.class, () -> rig.mq.producer().send(msg("orders")));
        assertTrue(timedOut.mayHaveBeenStored(), timedOut.getMessage());
    }

    /**
     * A store that says its write never left the client (closed, writer queue full, timed out while queued:
     * {@link FallbackStoreException#notStored()}) stored nothing; with an MQ that refused the message too, the caller
     * is told "stored nowhere" and may resend without making a duplicate.
     */
    @Test
    void aStoreWriteThatNeverLeftTheClientCountsAsStoredNowhere() {
        rig.start(Rig.fastConfig().failureThreshold(1000).build());
        rig.transport.mode(Mode.FAIL_INFRA);
        rig.store.failAppends(true, FallbackStoreException.Reason.UNAVAILABLE, true);
        DeliveryException sync = assertThrows(DeliveryException.class, () -> rig.mq.producer().send(msg("orders")));
        assertFalse(sync.mayHaveBeenStored(), sync.getMessage());
        assertTrue(sync.getMessage().contains("neither stored it"), sync.getMessage());
        CompletionException async = assertThrows(CompletionException.class,
                () -> rig.mq.producer().sendAsync(msg("orders")).join());
        assertFalse(assertInstanceOf(DeliveryException.class, async.getCause()).mayHaveBeenStored());
    }

    @Test
    void asyncFailuresReachTheCallersStagesAsCompletionExceptions() {
        // What a caller's whenComplete/handle sees (not only join()): the failure wrapped in a CompletionException,
        // as the relay of a dependent stage holds it.
        rig.start(Rig.fastConfig().failureThreshold(1000).build());
        rig.transport.rejectAsInput(m -> true);
        Throwable input = seenByStage(rig.mq.producer().sendAsync(msg("orders")));
        assertInstanceOf(CompletionException.class, input);
        assertInstanceOf(InvalidMessageException.class, input.getCause());

        rig.transport.rejectAsInput(m -> false);
        rig.transport.mode(Mode.FAIL_INFRA);
        rig.store.failAppends(true);
        Throwable neither = seenByStage(rig.mq.producer().sendAsync(msg("orders")));
        assertInstanceOf(CompletionException.class, neither);
        assertInstanceOf(DeliveryException.class, neither.getCause());
    }

    private static Throwable seenByStage(CompletableFuture<SendReceipt> f) {
        CompletableFuture<Throwable> seen = new CompletableFuture<>();
        f.whenComplete((r, e) -> seen.complete(e));
        return seen.orTimeout(10, TimeUnit.SECONDS).join();
    }

    @Test
    void degradedSendsNeverTouchTheMq() {
        rig.start(Rig.fastConfig().build());
        rig.sw.setLeader(false);
        rig.sw.force(SwitchState.DEGRADED, SwitchMode.AUTO, null, "test");
        await().until(() -> rig.mq.effectiveState() == SwitchState.DEGRADED);
        for (int i = 0; i < 50; i++) {
            assertEquals(Route.FALLBACK, rig.mq.producer().send(msg("orders")).route());
            assertEquals(Route.FALLBACK, rig.mq.producer().sendAsync(msg("orders")).join().route());
        }
        assertEquals(0, rig.transport.mqCalls());
        assertEquals(100, rig.store.appendCalls());
    }

    @Test
    void recoveringSendsGoToTheMq() {
        rig.start(Rig.fastConfig().build());
        rig.sw.setLeader(false);
        rig.sw.force(SwitchState.RECOVERING, SwitchMode.AUTO, null, "test");
        await().until(() -> rig.mq.effectiveState() == SwitchState.RECOVERING);
        for (int i = 0; i < 20; i++) {
            SendReceipt r = rig.mq.producer().send(msg("orders"));
            assertEquals(Route.MQ, r.route());
            assertEquals(rig.sw.current().epoch(), r.switchEpoch());
            assertEquals(Route.MQ, rig.mq.producer().sendAsync(msg("orders")).join().route());
        }
        assertEquals(40, rig.transport.mqCalls());
        assertEquals(0, rig.store.appendCalls());
    }

    @Test
    void asyncSendsToAHangingMqDoNotBlockTheCallerThread() {
        rig.start(Rig.fastConfig().failureThreshold(1000).sendTimeout(Duration.ofMillis(200)).build());
        rig.transport.mode(Mode.HANG);
        List<CompletableFuture<SendReceipt>> futures = new ArrayList<>();
        // The hang lasts until the test ends: if sendAsync waited for the MQ, this would never return.
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (int i = 0; i < 50; i++) {
                futures.add(rig.mq.producer().sendAsync(msg("orders")));
            }
        });
        assertEquals(50, rig.transport.asyncCalls());
        for (CompletableFuture<SendReceipt> f : futures) {
            // Bounded: without the engine's guard these would never complete.
            SendReceipt r = f.orTimeout(10, TimeUnit.SECONDS).join();
            assertEquals(Route.FALLBACK, r.route());
            assertTrue(rig.store.contains(r.messageId()));
        }
    }

    @Test
    void closedProducerRefusesSends() {
        rig.start(Rig.fastConfig().build());
        rig.mq.producer().close();
        assertThrows(IllegalStateException.class, () -> rig.mq.producer().send(msg("orders")));
        assertThrows(IllegalStateException.class, () -> rig.mq.producer().sendAsync(msg("orders")));
    }
}
