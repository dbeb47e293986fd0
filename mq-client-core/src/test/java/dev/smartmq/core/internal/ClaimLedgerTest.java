package dev.smartmq.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import dev.smartmq.api.Message;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FallbackStore;
import dev.smartmq.spi.FallbackStoreException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The ledger's invariant (whoever removes an entry owns its outcome), against a recording store stub; no waiting. */
class ClaimLedgerTest {

    /** Store writes in call order: "ack m-1,m-2", "release m-1 counted", "dead-letter m-1 ...". */
    private final List<String> writes = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean storeDown;
    private final EngineMetrics metrics = new EngineMetrics(new MetricRegistry(), "t");
    private final ClaimLedger ledger = new ClaimLedger(store(), metrics, 3);

    @AfterEach
    void closeMetrics() {
        metrics.close();
    }

    private FallbackStore store() {
        return (FallbackStore) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {FallbackStore.class},
                (proxy, method, args) -> {
                    if (storeDown) {
                        throw new FallbackStoreException(FallbackStoreException.Reason.UNAVAILABLE, "down", null);
                    }
                    switch (method.getName()) {
                        case "ackAll" -> {
                            @SuppressWarnings("unchecked")
                            List<ClaimedMessage> ms = (List<ClaimedMessage>) args[0];
                            writes.add("ack " + String.join(",", ms.stream().map(m -> m.envelope().id()).toList()));
                        }
                        case "release" -> writes.add("release " + ((ClaimedMessage) args[0]).envelope().id()
                                + ((Boolean) args[1] ? " counted" : " uncounted"));
                        case "deadLetter" -> writes.add("dead-letter " + ((ClaimedMessage) args[0]).envelope().id()
                                + ": " + args[1]);
                        default -> throw new UnsupportedOperationException(method.getName());
                    }
                    return null;
                });
    }

    private static ClaimedMessage claimed(String id) {
        return new ClaimedMessage(new Envelope(id, Message.builder("orders").key("k").body("b").build(), 1L, 0),
                "orders", "billing", 0, "c-1", new Object());
    }

    @Test
    void onlyTheFirstOfTwoOutcomesForOneClaimIsWritten() {
        ClaimedMessage a = claimed("m-1");
        ClaimedMessage b = claimed("m-2");
        ledger.track(List.of(a, b));

        ledger.ack(List.of(a));
        ledger.release(a, false);          // a worker racing close(): a is settled already
        ledger.deadLetter(a, 3, "boom");
        ledger.ack(List.of(a, b));         // only b is still ours

        assertEquals(List.of("ack m-1", "ack m-2"), writes);
        assertEquals(0, ledger.size());
        assertEquals(2, metrics.drained.getCount());
    }

    @Test
    void releasingUnhandledMessagesReturnsTheLastFirstSoTheShardKeepsItsOrder() {
        List<ClaimedMessage> batch = List.of(claimed("m-1"), claimed("m-2"), claimed("m-3"));
        ledger.track(batch);

        ledger.releaseUnhandled(batch);

        assertEquals(List.of("release m-3 uncounted", "release m-2 uncounted", "release m-1 uncounted"), writes);
    }

    @Test
    void releaseAllCountsTheAttemptOfMessagesAwaitingARetryOnly() {
        ClaimedMessage failed = claimed("m-1");
        ClaimedMessage untouched = claimed("m-2");
        ledger.track(List.of(failed, untouched));
        ledger.awaitRetry(failed);

        assertEquals(2, ledger.releaseAll(m -> true));

        assertEquals(2, writes.size());
        assertTrue(writes.contains("release m-1 counted"), writes.toString());
        assertTrue(writes.contains("release m-2 uncounted"), writes.toString());
        assertFalse(ledger.startRetry(failed), "a released message is no longer ours to retry");
    }

    @Test
    void aDeadLetterSaysWhichAttemptOfHowManyFailed() {
        ClaimedMessage m = claimed("m-1");
        ledger.track(List.of(m));

        ledger.deadLetter(m, 3, "handler returned RETRY_LATER");

        assertEquals(List.of("dead-letter m-1: delivery attempt 3 of 3 failed: handler returned RETRY_LATER"), writes);
        assertEquals(1, metrics.deadLettered.getCount());
    }

    @Test
    void anOutcomeTheStoreRefusedIsKeptAndWrittenLaterNeverDropped() {
        ClaimedMessage a = claimed("m-1");
        ClaimedMessage b = claimed("m-2");
        ledger.track(List.of(a, b));
        storeDown = true;

        ledger.ack(List.of(a));
        ledger.release(b, true);
        ledger.retryPendingStoreOps(); // still down: both stay pending

        assertEquals(0, ledger.size(), "settled in memory: nobody else may write an outcome for them");
        assertEquals(2, ledger.pendingStoreOps());
        assertTrue(writes.isEmpty());

        storeDown = false;
        ledger.retryPendingStoreOps();

        assertEquals(2, writes.size(), writes.toString());
        assertTrue(writes.containsAll(List.of("ack m-1", "release m-2 counted")), writes.toString());
        assertEquals(0, ledger.pendingStoreOps());
    }

    @Test
    void racingSettlersWriteExactlyOneOutcomePerClaim() throws Exception {
        List<ClaimedMessage> batch = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            batch.add(claimed("m-" + i));
        }
        ledger.track(batch);
        CountDownLatch go = new CountDownLatch(1);
        Thread acker = new Thread(() -> {
            await(go);
            for (ClaimedMessage m : batch) {
                ledger.ack(List.of(m));
            }
        });
        Thread releaser = new Thread(() -> {
            await(go);
            ledger.releaseAll(m -> true);
        });
        acker.start();
        releaser.start();
        go.countDown();
        acker.join(TimeUnit.SECONDS.toMillis(10));
        releaser.join(TimeUnit.SECONDS.toMillis(10));

        assertFalse(acker.isAlive() || releaser.isAlive());
        assertEquals(500, writes.size(), "one outcome per claim, never two, never none");
        assertEquals(0, ledger.size());
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
