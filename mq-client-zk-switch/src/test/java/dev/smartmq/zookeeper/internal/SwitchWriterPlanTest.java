package dev.smartmq.zookeeper.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.SwitchTransition;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/** The compare-and-set decision of {@link SwitchWriter#plan}, without a server. */
class SwitchWriterPlanTest {

    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00.123456Z");
    private final SwitchDocumentCodec codec = new SwitchDocumentCodec();

    private static SwitchStatus doc(SwitchState state, long epoch) {
        return new SwitchStatus(state, SwitchMode.AUTO, "r" + epoch, "test", Instant.parse("2026-12-01T11:00:00Z"),
                null, epoch);
    }

    private static SwitchTransition to(SwitchState target, long expectedEpoch) {
        return new SwitchTransition(expectedEpoch, target, SwitchMode.AUTO, "why", "me", null);
    }

    /** Counts how often the history is asked and answers {@code epoch}. */
    private static final class History implements LongSupplier {
        final AtomicInteger calls = new AtomicInteger();
        final long epoch;

        History(long epoch) {
            this.epoch = epoch;
        }

        @Override
        public long getAsLong() {
            calls.incrementAndGet();
            return epoch;
        }
    }

    @Test
    void appliesOnTheEpochReadAndWritesTheNextOne() {
        SwitchStatus stored = doc(SwitchState.NORMAL, 4);
        History history = new History(99);
        SwitchWriter.Plan p = SwitchWriter.plan(to(SwitchState.DEGRADED, 4), stored, codec.encode(stored), codec,
                history, NOW);
        assertFalse(p.refused());
        assertEquals(stored, p.base());
        assertEquals(5, p.next().epoch());
        assertEquals(SwitchState.DEGRADED, p.next().state());
        assertEquals("me", p.next().changedBy());
        assertEquals(Instant.parse("2026-12-01T12:00:00.123Z"), p.next().changedAt(), "truncated to millis");
        assertEquals(0, history.calls.get(), "a readable document needs no history");
    }

    @Test
    void refusesAStaleExpectedEpochAndCarriesTheStoredDocument() {
        SwitchStatus stored = doc(SwitchState.DEGRADED, 7);
        SwitchWriter.Plan p = SwitchWriter.plan(to(SwitchState.NORMAL, 6), doc(SwitchState.NORMAL, 6),
                codec.encode(stored), codec, new History(0), NOW);
        assertTrue(p.refused());
        assertNull(p.next());
        assertEquals(stored, p.base());
    }

    @Test
    void aDocumentGoingBackwardsIsCheckedAgainstTheLastGoodOne() {
        SwitchStatus lastGood = doc(SwitchState.DEGRADED, 9);
        byte[] older = codec.encode(doc(SwitchState.NORMAL, 3));
        assertTrue(SwitchWriter.plan(to(SwitchState.NORMAL, 3), lastGood, older, codec, new History(0), NOW)
                .refused(), "the older document's epoch is not the base");
        SwitchWriter.Plan p = SwitchWriter.plan(to(SwitchState.NORMAL, 9), lastGood, older, codec, new History(2), NOW);
        assertSame(lastGood, p.base());
        assertEquals(10, p.next().epoch());
    }

    @Test
    void anUnreadableDocumentKeepsItsSalvagedEpochAndTheHistorysAsFloor() {
        SwitchStatus lastGood = doc(SwitchState.NORMAL, 2);
        byte[] broken = "{\"v\":1,\"state\":\"HALF_OPEN\",\"epoch\":12}".getBytes(StandardCharsets.UTF_8);
        History history = new History(15);
        SwitchWriter.Plan p = SwitchWriter.plan(to(SwitchState.DEGRADED, 2), lastGood, broken, codec, history, NOW);
        assertSame(lastGood, p.base());
        assertEquals(16, p.next().epoch(), "one above the highest known epoch (history 15 > salvaged 12 > 2)");
        assertEquals(1, history.calls.get());

        SwitchWriter.Plan salvaged = SwitchWriter.plan(to(SwitchState.DEGRADED, 2), lastGood, broken, codec,
                new History(0), NOW);
        assertEquals(13, salvaged.next().epoch(), "the salvaged epoch is kept");

        byte[] garbage = "not json".getBytes(StandardCharsets.UTF_8);
        assertEquals(3, SwitchWriter.plan(to(SwitchState.DEGRADED, 2), lastGood, garbage, codec, new History(0), NOW)
                .next().epoch());
    }

    @Test
    void aMissingOrEmptyDocumentTakesTheEpochFloorFromHistory() {
        SwitchStatus lastGood = SwitchStatus.initial();
        for (byte[] data : new byte[][] {null, new byte[0]}) {
            History history = new History(20);
            SwitchWriter.Plan p = SwitchWriter.plan(to(SwitchState.DEGRADED, 0), lastGood, data, codec, history, NOW);
            assertFalse(p.refused());
            assertEquals(21, p.next().epoch(), "epochs never repeat after the document was deleted");
            assertEquals(1, history.calls.get());
        }
        assertEquals(1, SwitchWriter.plan(to(SwitchState.DEGRADED, 0), lastGood, null, codec, new History(0), NOW)
                .next().epoch(), "the first transition of a namespace writes epoch 1");
    }

    @Test
    void aManualTransitionKeepsItsExpiry() {
        Instant until = Instant.parse("2026-12-01T13:00:00Z");
        SwitchStatus stored = doc(SwitchState.NORMAL, 1);
        SwitchWriter.Plan p = SwitchWriter.plan(
                new SwitchTransition(1, SwitchState.DEGRADED, SwitchMode.MANUAL, "drill", "ops", until),
                stored, codec.encode(stored), codec, new History(0), NOW);
        assertEquals(SwitchMode.MANUAL, p.next().mode());
        assertEquals(until, p.next().expiresAt());
        assertEquals("drill", p.next().reason());
    }
}
