package dev.smartmq.chaos.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every campaign checker on hand-made histories: each passes a clean history and fails the defect it is for
 * (a checker that cannot fail proves nothing), including the planted defect — fallback writes dropped for
 * 1 in 1,000 sends — and a reordered pair.
 */
class CampaignCheckersTest {

    private static final Set<String> GROUPS = Set.of("g-plain", "g-ordered");

    /** A producer p0 sending {@code n} sync keyed messages of key k, each consumed once by both groups. */
    private static History.Builder clean(int n) {
        History.Builder b = History.builder();
        b.add("p0", 1, "START", 100, "producer", "-");
        b.add("c0", 1, "START", 200, "consumer", "g-plain");
        b.add("c1", 1, "START", 300, "consumer", "g-ordered");
        long t = 10;
        for (int i = 0; i < n; i++) {
            String cid = "p0.100.s1." + i;
            b.add("p0", t, "INVOKE", cid, "k", "sync-keyed");
            b.add("p0", t + 2, "OK", cid, "MQ", "id" + i, 2);
            for (String[] c : new String[][] {{"c0", "g-plain"}, {"c1", "g-ordered"}}) {
                b.add(c[0], t + 3, "BEGIN", c[1], cid, "MQ", 1, "id" + i);
                b.add(c[0], t + 3, "DONE", c[1], cid);
            }
            t += 5;
        }
        b.add("p0", t, "CLOSED", 0);
        b.add("c0", t + 1, "CLOSED", 0);
        b.add("c1", t + 1, "CLOSED", 0);
        return b;
    }

    @Test
    void cleanHistoryPassesEveryChecker() {
        History h = clean(50).build();
        assertTrue(LostChecker.check(h, GROUPS).ok());
        assertTrue(DeliveryCheckerCrossCheck.check(h, GROUPS, 0).ok());
        assertTrue(CallerViewChecker.check(h, Duration.ofSeconds(5)).ok());
        Verdict d = DuplicateChecker.check(h, GROUPS, List.of());
        assertTrue(d.ok());
        assertEquals(0, d.violations());
        assertTrue(OrderChecker.check(h, Set.of("g-ordered"), List.of()).ok());
        assertEquals(0, LostChecker.outstanding(h, GROUPS));
    }

    @Test
    void fallbackWritesDroppedForOneInAThousandSendsAreReportedAsLost() {
        // The planted defect: 5,000 sends acknowledged via FALLBACK, every 1,000th never stored (never delivered).
        History.Builder b = History.builder();
        b.add("p0", 1, "START", 100, "producer", "-");
        b.add("c0", 1, "START", 200, "consumer", "g-plain");
        long t = 10;
        for (int i = 1; i <= 5_000; i++) {
            String cid = "p0.100.s1." + i;
            b.add("p0", t, "INVOKE", cid, "-", "sync-keyless");
            b.add("p0", t + 1, "OK", cid, "FALLBACK", "id" + i, 1);
            if (i % 1_000 != 0) {
                b.add("c0", t + 2, "BEGIN", "g-plain", cid, "FALLBACK", 1, "id" + i);
                b.add("c0", t + 2, "DONE", "g-plain", cid);
            }
            t += 3;
        }
        History h = b.build();
        Verdict v = LostChecker.check(h, Set.of("g-plain"));
        assertFalse(v.ok());
        assertEquals(5, v.violations(), v.toString());
        assertTrue(v.examples().get(0).contains("never delivered"), v.toString());
        Verdict second = DeliveryCheckerCrossCheck.check(h, Set.of("g-plain"), 5);
        assertFalse(second.ok());
        assertEquals(5, second.violations(), "the testkit's DeliveryChecker agrees: " + second);
    }

    @Test
    void aHandlerThatNeverCompletedIsNotConsumption() {
        History.Builder b = clean(3);
        b.add("p0", 100, "INVOKE", "p0.100.s1.x", "k", "sync-keyed");
        b.add("p0", 101, "OK", "p0.100.s1.x", "MQ", "idx", 1);
        b.add("c0", 102, "BEGIN", "g-plain", "p0.100.s1.x", "MQ", 1, "idx"); // killed mid-handler, never redelivered
        b.add("c1", 102, "BEGIN", "g-ordered", "p0.100.s1.x", "MQ", 1, "idx");
        b.add("c1", 102, "DONE", "g-ordered", "p0.100.s1.x");
        Verdict v = LostChecker.check(b.build(), GROUPS);
        assertEquals(1, v.violations(), v.toString());
        assertTrue(v.examples().get(0).contains("never completed"), v.toString());
    }

    @Test
    void failedAndUnfinishedSendsAreNeverLostButPhantomsAre() {
        History.Builder b = clean(2);
        b.add("p0", 100, "INVOKE", "p0.100.s1.f", "k", "sync-keyed");
        b.add("p0", 101, "FAIL", "p0.100.s1.f", "DeliveryException", 1, "both down");
        b.add("p0", 102, "INVOKE", "p0.100.s1.u", "k", "sync-keyed"); // no outcome
        assertTrue(LostChecker.check(b.build(), GROUPS).ok());
        b.add("c0", 103, "BEGIN", "g-plain", "ghost", "MQ", 1, "x");
        b.add("c0", 103, "DONE", "g-plain", "ghost");
        Verdict v = LostChecker.check(b.build(), GROUPS);
        assertFalse(v.ok());
        assertEquals(1L, v.breakdown().get("phantoms"));
    }

    @Test
    void aReorderedPairIsAnOrderViolationButACrossPathOvertakeIsAnException() {
        History.Builder b = History.builder();
        b.add("p0", 1, "START", 100, "producer", "-");
        b.add("c1", 1, "START", 300, "consumer", "g-ordered");
        for (int i = 0; i < 4; i++) {
            b.add("p0", 10 + i * 10, "INVOKE", "m" + i, "k", "sync-keyed");
            b.add("p0", 11 + i * 10, "OK", "m" + i, "MQ", "id" + i, 1);
        }
        // delivered m0, m2, m1, m3: m1 overtaken by m2 on the same path
        for (String m : List.of("m0", "m2", "m1", "m3")) {
            b.add("c1", 60, "BEGIN", "g-ordered", m, "MQ", 1, "x");
            b.add("c1", 60, "DONE", "g-ordered", m);
        }
        Verdict v = OrderChecker.check(b.build(), Set.of("g-ordered"), List.of());
        assertFalse(v.ok());
        assertEquals(1, v.violations(), v.toString());

        History.Builder x = History.builder();
        x.add("p0", 1, "START", 100, "producer", "-");
        x.add("c1", 1, "START", 300, "consumer", "g-ordered");
        x.add("p0", 10, "INVOKE", "a", "k", "sync-keyed");
        x.add("p0", 11, "OK", "a", "FALLBACK", "ia", 1);
        x.add("p0", 12, "INVOKE", "b", "k", "sync-keyed");
        x.add("p0", 13, "OK", "b", "MQ", "ib", 1);
        x.add("c1", 20, "BEGIN", "g-ordered", "b", "MQ", 1, "ib");
        x.add("c1", 21, "BEGIN", "g-ordered", "a", "FALLBACK", 1, "ia");
        Verdict cross = OrderChecker.check(x.build(), Set.of("g-ordered"), List.of());
        assertTrue(cross.ok(), cross.toString());
        assertEquals(1L, cross.breakdown().get("fallback-after-newer-mq"));
    }

    @Test
    void sameRouteOvertakeDuringABrokerFaultIsTheQueueMovedException() {
        History.Builder b = History.builder();
        b.add("p0", 1, "START", 100, "producer", "-");
        b.add("c1", 1, "START", 300, "consumer", "g-ordered");
        b.add("p0", 10, "INVOKE", "a", "k", "sync-keyed");
        b.add("p0", 11, "OK", "a", "MQ", "ia", 1);
        b.add("p0", 12, "INVOKE", "b", "k", "sync-keyed");
        b.add("p0", 13, "OK", "b", "MQ", "ib", 1);
        b.add("c1", 20, "BEGIN", "g-ordered", "b", "MQ", 1, "ib");
        b.add("c1", 50, "BEGIN", "g-ordered", "a", "MQ", 1, "ia");
        List<FaultRecord> kill = List.of(new FaultRecord(FaultKind.BROKER_KILL, "broker-0", 12, 40));
        Verdict v = OrderChecker.check(b.build(), Set.of("g-ordered"), kill);
        assertTrue(v.ok(), v.toString());
        assertEquals(1L, v.breakdown().get("mq-queue-moved"));
        assertFalse(OrderChecker.check(b.build(), Set.of("g-ordered"), List.of()).ok());
    }

    @Test
    void slowAndHungSendsFailTheCallerView() {
        History.Builder b = clean(2);
        b.add("p0", 100, "INVOKE", "slow", "-", "async-keyless");
        b.add("p0", 9_100, "OK", "slow", "FALLBACK", "is", 9_000);
        assertEquals(1, CallerViewChecker.check(b.build(), Duration.ofSeconds(5)).violations());

        History.Builder h = History.builder();
        h.add("p0", 1, "START", 100, "producer", "-");
        h.add("p0", 10, "INVOKE", "hung", "-", "sync-keyless");
        h.add("p0", 20, "CLOSED", 0); // closed gracefully, the send never returned
        Verdict v = CallerViewChecker.check(h.build(), Duration.ofSeconds(5));
        assertEquals(1L, v.breakdown().get("hung"), v.toString());

        History.Builder k = History.builder();
        k.add("p0", 1, "START", 100, "producer", "-");
        k.add("p0", 10, "INVOKE", "cut", "-", "sync-keyless");
        k.add("p0", 20, "INVOKE", "other", "-", "sync-keyless"); // then kill -9: no outcome, within budget
        Verdict cut = CallerViewChecker.check(k.build(), Duration.ofSeconds(5));
        assertTrue(cut.ok(), cut.toString());
        assertEquals(2L, cut.breakdown().get("cut_by_kill"));
    }

    @Test
    void duplicatesGetACauseAndTooManyFailTheBound() {
        History.Builder b = clean(1);
        String cid = "p0.100.s1.0";
        b.add("c0", 400, "START", 201, "consumer", "g-plain"); // a second incarnation of c0 (the first was closed)
        b.add("c0", 401, "BEGIN", "g-plain", cid, "FALLBACK", 1, "id0");
        b.add("c0", 401, "DONE", "g-plain", cid);
        Verdict v = DuplicateChecker.check(b.build(), GROUPS, List.of());
        assertTrue(v.ok(), v.toString());
        assertEquals(1, v.violations());
        assertEquals(1L, v.breakdown().get("other-path"));
        for (int i = 0; i < 2; i++) {
            b.add("c0", 402 + i, "BEGIN", "g-plain", cid, "FALLBACK", 1, "id0");
        }
        Verdict many = DuplicateChecker.check(b.build(), GROUPS, List.of());
        assertFalse(many.ok(), "4 deliveries with no fault: over the bound of 2");
        Verdict withFault = DuplicateChecker.check(b.build(), GROUPS,
                List.of(new FaultRecord(FaultKind.CONSUMER_KILL, "c0", 0, 500)));
        assertTrue(withFault.ok(), "one overlapping fault allows 4: " + withFault);
    }

    @Test
    void switchHistoryRules() {
        Instant t = Instant.parse("2026-12-01T10:00:00Z");
        SwitchStatus n0 = new SwitchStatus(SwitchState.NORMAL, SwitchMode.AUTO, "", "p0/1", t, null, 0);
        SwitchStatus d1 = new SwitchStatus(SwitchState.DEGRADED, SwitchMode.AUTO, "", "p0/1", t.plusSeconds(5), null, 1);
        SwitchStatus r2 = new SwitchStatus(SwitchState.RECOVERING, SwitchMode.AUTO, "", "c0/2", t.plusSeconds(8), null, 2);
        SwitchStatus n3 = new SwitchStatus(SwitchState.NORMAL, SwitchMode.AUTO, "", "c0/2", t.plusSeconds(11), null, 3);
        Duration dwell = Duration.ofSeconds(2);
        assertTrue(SwitchHistoryChecker.check(List.of(n0, d1, r2, n3), dwell).ok());

        SwitchStatus fast = new SwitchStatus(SwitchState.NORMAL, SwitchMode.AUTO, "", "c0/2", t.plusMillis(8_500), null, 3);
        assertEquals(1L, SwitchHistoryChecker.check(List.of(n0, d1, r2, fast), dwell).breakdown().get("dwell"));

        SwitchStatus gap = new SwitchStatus(SwitchState.NORMAL, SwitchMode.AUTO, "", "c0/2", t.plusSeconds(11), null, 5);
        assertEquals(1L, SwitchHistoryChecker.check(List.of(n0, d1, r2, gap), dwell).breakdown().get("epoch"));
        SwitchStatus twice = new SwitchStatus(SwitchState.RECOVERING, SwitchMode.AUTO, "", "p1/3", t.plusSeconds(9), null, 2);
        assertFalse(SwitchHistoryChecker.check(List.of(n0, d1, r2, twice), dwell).ok());

        SwitchStatus drill = new SwitchStatus(SwitchState.DEGRADED, SwitchMode.MANUAL, "", "operator-x", t.plusSeconds(20),
                t.plusSeconds(30), 4);
        SwitchStatus early = new SwitchStatus(SwitchState.RECOVERING, SwitchMode.AUTO, "", "c0/2", t.plusSeconds(25), null, 5);
        SwitchStatus onTime = new SwitchStatus(SwitchState.RECOVERING, SwitchMode.AUTO, "", "c0/2", t.plusSeconds(30), null, 5);
        SwitchStatus byOperator = new SwitchStatus(SwitchState.RECOVERING, SwitchMode.AUTO, "", "operator-x",
                t.plusSeconds(21), null, 5);
        assertEquals(1L, SwitchHistoryChecker.check(List.of(n0, d1, r2, n3, drill, early), dwell).breakdown().get("manual"));
        assertTrue(SwitchHistoryChecker.check(List.of(n0, d1, r2, n3, drill, onTime), dwell).ok());
        assertTrue(SwitchHistoryChecker.check(List.of(n0, d1, r2, n3, drill, byOperator), dwell).ok());
    }

    @Test
    void theScheduleIsAFunctionOfTheSeed() {
        FaultSchedule.Topology topo = new FaultSchedule.Topology(2, List.of("p0", "p1"), List.of("c0", "c1"));
        var a = FaultSchedule.plan(42, 120_000, topo, EnumSet.allOf(FaultKind.class), 2_500, 5_000);
        var b = FaultSchedule.plan(42, 120_000, topo, EnumSet.allOf(FaultKind.class), 2_500, 5_000);
        var c = FaultSchedule.plan(43, 120_000, topo, EnumSet.allOf(FaultKind.class), 2_500, 5_000);
        assertEquals(a, b);
        assertFalse(a.equals(c));
        assertTrue(a.size() > 10, a.toString());
        for (var p : a) {
            long concurrent = a.stream().filter(q -> q.atMillis() <= p.atMillis()
                    && p.atMillis() < q.atMillis() + Math.max(q.durationMillis(), 5_000)).count();
            assertTrue(concurrent <= FaultSchedule.MAX_CONCURRENT, "at most 3 faults at once: " + a);
            assertTrue(p.atMillis() + p.durationMillis() < 120_000, "every fault ends before the schedule: " + p);
        }
    }
}
