package dev.smartmq.testkit.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.DeliveryException;
import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CheckerTest {

    private final AtomicLong now = new AtomicLong(1_000);
    private final DeliveryChecker checker = DeliveryChecker.builder().clock(now::get).build();

    private void ack(String id, String key) {
        checker.beginSend(key).ok(id, "MQ");
    }

    @Test
    void lostCountsAcknowledgedMessagesAnExpectedGroupNeverReceived() {
        checker.expectGroups("a", "b");
        ack("m1", null);
        ack("m2", null);
        ack("m3", null);
        checker.beginSend(null).failed(new DeliveryException("m4", "both down", null));
        checker.beginSend(null).unknown(new TimeoutException());
        for (String id : List.of("m1", "m2", "m3")) {
            checker.delivered("a", id, "MQ");
        }
        checker.delivered("b", "m1", "MQ");
        checker.delivered("b", "m3", "FALLBACK");
        checker.delivered("c", "m1", "MQ"); // not expected: never "loses" anything

        CheckReport r = checker.report();
        assertEquals(5, r.sent());
        assertEquals(3, r.acked());
        assertEquals(1, r.failed());
        assertEquals(1, r.unknown());
        assertEquals(0, r.pending());
        assertEquals(0, r.group("a").lost());
        assertEquals(1, r.group("b").lost());
        assertEquals(List.of("m2"), r.group("b").lostIds());
        assertEquals(2, r.group("b").consumed());
        assertEquals(1, r.group("b").deliveredViaFallback());
        assertFalse(r.group("c").expected());
        assertEquals(0, r.group("c").lost());
        assertEquals(1, r.totalLost());
        assertEquals(List.of("m2"), r.lostIds());
        assertFalse(r.isClean());
        assertEquals(List.of("a", "b", "c"), r.groups().stream().map(GroupReport::group).toList());
    }

    @Test
    void everyObservedGroupIsExpectedWhenNoneWasDeclared() {
        ack("m1", null);
        ack("m2", null);
        checker.delivered("x", "m1", "MQ");
        CheckReport r = checker.report();
        assertTrue(r.group("x").expected());
        assertEquals(1, r.group("x").lost());
    }

    @Test
    void acknowledgedMessagesWithNoGroupToCheckAreNotClean() {
        ack("m1", null);
        CheckReport r = checker.report();
        assertEquals(0, r.totalLost());
        assertFalse(r.isClean(), "nothing was checked, so nothing is proven");
        assertFalse(checker.allDelivered());
        assertTrue(DeliveryChecker.create().report().isClean(), "nothing sent, nothing lost");
    }

    @Test
    void duplicatesCountDeliveriesBeyondTheFirst() {
        checker.expectGroups("g");
        ack("m1", null);
        ack("m2", null);
        ack("m3", null);
        for (int i = 0; i < 3; i++) {
            checker.delivered("g", "m1", "MQ");
        }
        checker.delivered("g", "m2", "MQ");
        checker.delivered("g", "m3", "MQ");
        checker.delivered("g", "m3", "FALLBACK");

        GroupReport g = checker.report().group("g");
        assertEquals(3, g.consumed());
        assertEquals(3, g.duplicates());
        assertEquals(5, g.deliveredViaMq());
        assertEquals(1, g.deliveredViaFallback());
        assertEquals(0, g.lost());
    }

    @Test
    void orderViolationsCountEachLateMessageOncePerKey() {
        checker.expectGroups("g1", "g2", "g3");
        for (String id : List.of("a", "b", "c", "d")) {
            ack(id, "k");          // sequence 1..4 in acknowledgement order
        }
        ack("x", "j");
        ack("n", null);

        deliver("g1", "c", "a", "b", "d", "x", "n"); // a and b came after c
        deliver("g2", "n", "d", "c", "b", "a", "x"); // c, b, a came after d: 3 messages, not 6 pairs
        deliver("g3", "x", "a", "b", "c", "d", "a", "n"); // in order; the redelivery of a is a duplicate only

        CheckReport r = checker.report();
        assertEquals(2, r.group("g1").orderViolations());
        assertEquals(3, r.group("g2").orderViolations());
        assertEquals(0, r.group("g3").orderViolations());
        assertEquals(1, r.group("g3").duplicates());
        assertEquals(5, r.totalOrderViolations());
    }

    @Test
    void orderIsJudgedByAcknowledgementOrderNotBeginOrder() {
        checker.expectGroups("g1", "g2");
        SendRecorder.Attempt first = checker.beginSend("k");
        SendRecorder.Attempt second = checker.beginSend("k");
        second.ok("m2", "MQ"); // acknowledged first: sequence 1
        first.ok("m1", "MQ");  // sequence 2
        deliver("g1", "m2", "m1");
        deliver("g2", "m1", "m2");
        CheckReport r = checker.report();
        assertEquals(0, r.group("g1").orderViolations());
        assertEquals(1, r.group("g2").orderViolations());
    }

    @Test
    void deliveriesMayArriveBeforeTheAcknowledgement() {
        checker.expectGroups("g");
        SendRecorder.Attempt a = checker.beginSend("k");
        checker.delivered("g", "m1", "MQ");
        assertFalse(checker.allDelivered(), "the send is still pending");
        a.ok("m1", "MQ");
        assertTrue(checker.allDelivered());
        CheckReport r = checker.report();
        assertEquals(0, r.group("g").lost());
        assertEquals(0, r.group("g").unexpected());
        assertEquals(1, r.group("g").consumed());
        assertTrue(r.isClean());
    }

    @Test
    void unexpectedCountsPhantomsButNotUnknownSends() {
        checker.expectGroups("g");
        ack("m1", null);
        checker.beginSend(null).failed(new CompletionException(new DeliveryException("m-failed", "down", null)));
        checker.beginSend(null).unknown("m-unknown", new TimeoutException());
        checker.beginSend(null).unknown(new TimeoutException()); // no id: may explain one unacknowledged delivery
        deliver("g", "m1", "m-failed", "m-unknown", "ghost-1", "ghost-2");

        CheckReport r = checker.report();
        GroupReport g = r.group("g");
        // m-failed: the SDK said "not stored" yet it arrived; ghost-1/ghost-2: never sent, one explained.
        assertEquals(2, g.unexpected());
        assertEquals(5, g.consumed());
        assertEquals(0, g.lost());
        assertEquals(2, r.unknown());
        assertEquals(1, r.failed());
    }

    @Test
    void unknownAndFailedSendsAreNeverLost() {
        checker.expectGroups("g");
        ack("m1", null);
        checker.beginSend(null).unknown(new TimeoutException());
        checker.beginSend(null).unknown("m3", null);
        checker.beginSend(null).failed(new DeliveryException("m4", "down", null));
        checker.beginSend(null).failed(new InvalidMessageException("empty body"));
        checker.delivered("g", "m1", "MQ");

        CheckReport r = checker.report();
        assertEquals(0, r.totalLost());
        assertEquals(2, r.failed());
        assertEquals(1, r.failedInvalidInput());
        assertTrue(r.isClean());
        assertTrue(checker.allDelivered());
    }

    @Test
    void windowsCoverFailuresFallbacksAndOutages() {
        send(0, 10, a -> a.ok("m1", "MQ"));
        send(100, 150, a -> a.failed(new DeliveryException("m2", "down", null)));
        send(200, 210, a -> a.ok("m3", "FALLBACK"));
        send(300, 320, a -> a.ok("m4", "MQ"));
        send(500, 505, a -> a.failed(new InvalidMessageException("bad input is no outage")));
        send(1000, 1100, a -> a.unknown(new TimeoutException()));
        send(1200, 1250, a -> a.ok("m5", "fallback"));

        CheckReport r = checker.report();
        WindowSummary unavailable = r.windows(WindowKind.UNAVAILABLE);
        assertEquals(List.of(new Window(100, 320, true), new Window(1000, 1250, false)), unavailable.windows());
        assertEquals(2, unavailable.count());
        assertEquals(250, unavailable.longestMillis());
        assertEquals(470, unavailable.totalMillis());
        assertTrue(unavailable.openAtEnd());

        WindowSummary fallback = r.windows(WindowKind.FALLBACK);
        assertEquals(List.of(new Window(200, 320, true), new Window(1200, 1250, false)), fallback.windows());
        assertEquals(120, fallback.longestMillis());
        assertEquals(170, fallback.totalMillis());

        WindowSummary failed = r.windows(WindowKind.FAILED);
        assertEquals(List.of(new Window(100, 210, true), new Window(1000, 1250, true)), failed.windows());
        assertEquals(250, failed.longestMillis());
        assertEquals(360, failed.totalMillis());
        assertFalse(failed.openAtEnd());
    }

    @Test
    void windowsFollowCompletionOrderAcrossConcurrentSends() {
        // A slow send that began before the last success does not stretch the window back past it.
        SendRecorder.Attempt slow = begin(0);
        send(10, 20, a -> a.ok("m1", "MQ"));
        now.set(90);
        slow.failed(new DeliveryException("m0", "timeout", null));
        send(95, 100, a -> a.ok("m2", "MQ"));
        assertEquals(List.of(new Window(20, 100, true)), checker.report().windows(WindowKind.UNAVAILABLE).windows());
    }

    @Test
    void marksGiveTheTimeBetweenConsecutiveEvents() {
        now.set(1_000);
        assertEquals(1_000, checker.mark("broker-killed"));
        now.set(2_500);
        checker.mark("degraded");
        now.set(7_000);
        checker.mark("recovered");

        CheckReport r = checker.report();
        assertEquals(List.of(new MarkInterval("broker-killed", "degraded", 1_500),
                new MarkInterval("degraded", "recovered", 4_500)), r.markIntervals());
        assertEquals(OptionalLong.of(6_000), r.millisBetween("broker-killed", "recovered"));
        assertEquals(OptionalLong.empty(), r.millisBetween("recovered", "broker-killed"));
        assertEquals(OptionalLong.empty(), r.millisBetween("nope", "degraded"));
        assertEquals(3, r.marks().size());
    }

    @Test
    void resultLineIsExact() {
        checker.expectGroups("g1", "g2");
        ack("a", "k");
        ack("b", "k");
        ack("c", "k");
        checker.beginSend("k").failed(new DeliveryException("d", "down", null));
        deliver("g1", "b", "a", "c", "c");   // a late: 1 violation, 1 duplicate
        deliver("g2", "a", "b", "b");        // c lost, 1 duplicate
        assertEquals("RESULT sent=4 acked=3 lost=1 duplicates=2 order_violations=1 degrade_ms=1500 recover_ms=4500",
                checker.report().resultLine(1500, 4500));
    }

    @Test
    void tableShowsEveryGroupAndTheVerdict() {
        checker.expectGroups("orders-billing");
        ack("a", null);
        ack("b", null);
        checker.delivered("orders-billing", "a", "MQ");
        checker.delivered("audit", "a", "MQ");
        String table = checker.report().toTable();
        assertTrue(table.contains("orders-billing"), table);
        assertTrue(table.contains("audit"), table);
        assertTrue(table.contains("TOTAL"), table);
        assertTrue(table.contains("NOT CLEAN: 1 lost, e.g. [b]"), table);
    }

    @Test
    void eachAttemptTakesExactlyOneOutcome() {
        SendRecorder.Attempt a = checker.beginSend(null);
        assertThrows(IllegalArgumentException.class, () -> a.ok("m1", "KAFKA"));
        assertThrows(IllegalArgumentException.class, () -> a.ok(null, "MQ"));
        a.ok("m1", "MQ"); // the bad calls above did not use it up
        assertThrows(IllegalStateException.class, () -> a.failed(new RuntimeException()));
        assertThrows(IllegalStateException.class, () -> a.unknown(null));
        assertEquals(1, checker.report().acked());
        assertThrows(IllegalArgumentException.class, () -> checker.delivered("g", "m1", "SMS"));
        assertThrows(IllegalArgumentException.class, () -> checker.delivered(null, "m1", "MQ"));
    }

    @Test
    void completeMapsFutureOutcomes() {
        checker.beginSend(null).complete(new SendReceipt("m1", Route.FALLBACK, 3, null), null);
        checker.beginSend(null).complete(null, new CompletionException(new DeliveryException("m2", "down", null)));
        checker.beginSend(null).complete(null, new CompletionException(new InvalidMessageException("bad")));
        checker.beginSend(null).complete(null, new TimeoutException());
        CheckReport r = checker.report();
        assertEquals(1, r.ackedViaFallback());
        assertEquals(2, r.failed());
        assertEquals(1, r.failedInvalidInput());
        assertEquals(1, r.unknown());
        assertEquals(3, r.errorSamples().size());
    }

    @Test
    void awaitAllDeliveredWaitsForTheDrainAndGivesUpOnTimeout() throws Exception {
        DeliveryChecker real = DeliveryChecker.create();
        real.expectGroups("g");
        SendRecorder.Attempt pending = real.beginSend(null);
        assertFalse(real.awaitAllDelivered(Duration.ofMillis(200)), "a send is still pending");
        pending.ok("m1", "MQ");
        assertFalse(real.awaitAllDelivered(Duration.ofMillis(200)), "m1 not delivered yet");

        CompletableFuture<Void> consumer = CompletableFuture.runAsync(() -> real.delivered("g", "m1", "MQ"),
                CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));
        assertTrue(real.awaitAllDelivered(Duration.ofSeconds(30)));
        consumer.get(30, TimeUnit.SECONDS);
        assertTrue(real.report().isClean());
    }

    @Test
    void awaitAllDeliveredReturnsFalseWhenInterrupted() {
        DeliveryChecker real = DeliveryChecker.create();
        real.beginSend(null);
        Thread.currentThread().interrupt();
        try {
            assertFalse(real.awaitAllDelivered(Duration.ofSeconds(30)));
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt flag is kept");
        } finally {
            Thread.interrupted();
        }
    }

    private void deliver(String group, String... ids) {
        for (String id : ids) {
            checker.delivered(group, id, "MQ");
        }
    }

    private SendRecorder.Attempt begin(long at) {
        now.set(at);
        return checker.beginSend(null);
    }

    private void send(long begin, long end, java.util.function.Consumer<SendRecorder.Attempt> outcome) {
        SendRecorder.Attempt a = begin(begin);
        now.set(end);
        outcome.accept(a);
    }
}
