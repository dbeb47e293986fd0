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

    // ---- issue 14, the checkers added in session 3 ----

    /** An async keyed sender of key k: {@code calls} = {invokeAt, okAt} per message m0, m1, ... in call order. */
    private static History.Builder asyncKeyed(long[][] calls) {
        History.Builder b = History.builder();
        b.add("p0", 1, "START", 100, "producer", "-");
        b.add("c1", 1, "START", 300, "consumer", "g-ordered");
        record Line(long t, int order, String[] f) {
        }
        List<Line> lines = new java.util.ArrayList<>();
        for (int i = 0; i < calls.length; i++) {
            lines.add(new Line(calls[i][0], 0, new String[] {"INVOKE", "m" + i, "k", "async-keyed"}));
            lines.add(new Line(calls[i][1], 1, new String[] {"OK", "m" + i, "MQ", "id" + i, "1"}));
        }
        lines.sort(java.util.Comparator.comparingLong(Line::t).thenComparingInt(Line::order));
        for (Line l : lines) {
            b.add("p0", l.t(), l.f()[0], (Object[]) java.util.Arrays.copyOfRange(l.f(), 1, l.f().length));
        }
        return b;
    }

    private static void deliver(History.Builder b, long t, String... cids) {
        for (String m : cids) {
            b.add("c1", t, "BEGIN", "g-ordered", m, "MQ", 1, "x");
            b.add("c1", t, "DONE", "g-ordered", m);
            t++;
        }
    }

    @Test
    void asyncKeyedSendsAreJudgedByCallOrderOnlyWhenTheyDidNotOverlap() {
        // m0 completes before m1 is called (ordered); m1 and m2 overlap (concurrent); m3 called after all completed.
        long[][] calls = {{10, 12}, {20, 40}, {25, 30}, {50, 52}};
        History.Builder inOrder = asyncKeyed(calls);
        deliver(inOrder, 100, "m0", "m1", "m2", "m3");
        Verdict ok = OrderChecker.check(inOrder.build(), Set.of("g-ordered"), List.of());
        assertTrue(ok.ok(), ok.toString());
        assertEquals(4L, ok.breakdown().get("judged.async"), "async keyed messages are judged: " + ok);

        History.Builder concurrentSwap = asyncKeyed(calls);
        deliver(concurrentSwap, 100, "m0", "m2", "m1", "m3"); // the overlapping pair swapped: allowed
        Verdict overlap = OrderChecker.check(concurrentSwap.build(), Set.of("g-ordered"), List.of());
        assertTrue(overlap.ok(), overlap.toString());
        assertEquals(1L, overlap.breakdown().get("async-overlap"), overlap.toString());

        // The planted defect: m3 (called after m0..m2 had their receipts) delivered before m1 on the same path.
        History.Builder reordered = asyncKeyed(calls);
        deliver(reordered, 100, "m0", "m3", "m1", "m2");
        Verdict bad = OrderChecker.check(reordered.build(), Set.of("g-ordered"), List.of());
        assertFalse(bad.ok(), bad.toString());
        assertEquals(2, bad.violations(), "m1 and m2 both overtaken by m3: " + bad);
    }

    /** g-plain from the start; g-late's consumer subscribes at {@code joinAt}; sends every 100 ms from t=0 to 9.9 s. */
    private static History.Builder lateGroupHistory(long joinAt, java.util.function.LongPredicate lateGets,
                                                    String route) {
        History.Builder b = History.builder();
        b.add("p0", 1, "START", 100, "producer", "-");
        b.add("c0", 1, "START", 200, "consumer", "g-plain");
        b.add("c0", 2, "SUBSCRIBED", "g-plain");
        b.add("cl", joinAt - 500, "START", 400, "consumer", "g-late");
        b.add("cl", joinAt, "SUBSCRIBED", "g-late");
        for (long t = 10; t < 10_000; t += 100) {
            String cid = "m" + t;
            b.add("p0", t, "INVOKE", cid, "-", "sync-keyless");
            b.add("p0", t + 2, "OK", cid, route, "id", 2);
            b.add("c0", t + 5, "BEGIN", "g-plain", cid, route, 1, "id");
            b.add("c0", t + 5, "DONE", "g-plain", cid);
            if (lateGets.test(t)) {
                b.add("cl", Math.max(t, joinAt) + 6, "BEGIN", "g-late", cid, route, 1, "id");
                b.add("cl", Math.max(t, joinAt) + 6, "DONE", "g-late", cid);
            }
        }
        return b;
    }

    @Test
    void aLateGroupIsOwedWhatWasSentAfterItJoinedButNotWhatCameBefore() {
        // joins at 4 s: fallback sends before it are not owed, sends in the 3 s registration window are excused
        History fine = lateGroupHistory(4_000, t -> t >= 4_000 + LateGroupChecker.PROPAGATION_MS, "FALLBACK").build();
        Verdict ok = LateGroupChecker.check(fine, "g-late", List.of());
        assertTrue(ok.ok(), ok.toString());
        assertEquals(40L, ok.breakdown().get("before-join.not-received"), ok.toString());
        assertEquals(30L, ok.breakdown().get("window.not-received"), ok.toString());
        assertTrue(LostChecker.check(fine, Set.of("g-plain")).ok(), "the groups of the start are judged as before");

        // the planted defect: fallback sends after the window never reach the late group (e.g. the senders kept
        // a registry cache without it) — 1 in 10 of them dropped
        History dropped = lateGroupHistory(4_000, t -> t >= 7_000 && t % 1_000 != 10, "FALLBACK").build();
        Verdict bad = LateGroupChecker.check(dropped, "g-late", List.of());
        assertFalse(bad.ok(), bad.toString());
        assertEquals(3, bad.violations(), "m7010, m8010, m9010: " + bad);
        assertEquals(3, LateGroupChecker.outstanding(dropped, "g-late", List.of()));

        // by MQ there is no window: a new group reads its topic from the first offset
        History mq = lateGroupHistory(4_000, t -> t >= 7_000, "MQ").build();
        assertEquals(30, LateGroupChecker.check(mq, "g-late", List.of()).violations());

        // a ZooKeeper fault overlapping the window extends it to 3 s after the fault's end
        List<FaultRecord> quorumLoss = List.of(new FaultRecord(FaultKind.ZK_QUORUM_LOSS, "zookeeper", 3_000, 5_500));
        History late = lateGroupHistory(4_000, t -> t >= 8_500, "FALLBACK").build();
        assertFalse(LateGroupChecker.check(late, "g-late", List.of()).ok());
        assertTrue(LateGroupChecker.check(late, "g-late", quorumLoss).ok());

        History never = History.builder().add("p0", 1, "START", 100, "producer", "-").build();
        assertFalse(LateGroupChecker.check(never, "g-late", List.of()).ok(), "a late group that never joined");
    }

    @Test
    void everyLeaderOnlyTransitionIsWrittenByTheLeaderOfTheTime() {
        Instant t = Instant.ofEpochMilli(100_000);
        History.Builder b = History.builder();
        b.add("p0", 1_000, "START", 11, "producer", "-");
        b.add("c0", 1_000, "START", 22, "consumer", "g-plain");
        b.add("c0", 2_000, "LEADER", 1);
        b.add("c0", 110_000, "LEADER", 0); // c0 leads until 110 s, then p0
        b.add("p0", 110_050, "LEADER", 1);
        b.add("p0", 200_000, "CLOSED", 0);
        b.add("c0", 200_000, "CLOSED", 0);
        History h = b.build();
        SwitchStatus n0 = new SwitchStatus(SwitchState.NORMAL, SwitchMode.AUTO, "", "host/22/a", t, null, 0);
        SwitchStatus trip = new SwitchStatus(SwitchState.DEGRADED, SwitchMode.AUTO, "", "host/11/b", t.plusSeconds(1), null, 1);
        SwitchStatus rec = new SwitchStatus(SwitchState.RECOVERING, SwitchMode.AUTO, "", "host/22/a", t.plusSeconds(5), null, 2);
        SwitchStatus norm = new SwitchStatus(SwitchState.NORMAL, SwitchMode.AUTO, "", "host/11/b", t.plusSeconds(12), null, 3);
        Verdict ok = LeaderWriterChecker.check(List.of(n0, trip, rec, norm), h);
        assertTrue(ok.ok(), ok.toString());
        assertEquals(1L, ok.breakdown().get("trip"), "a trip by a non-leader is allowed: " + ok);
        assertEquals(2L, ok.breakdown().get("leader-writes"), ok.toString());

        // the planted defect: p0 (not leader before 110 s) moves the switch to RECOVERING at 105 s
        SwitchStatus stale = new SwitchStatus(SwitchState.RECOVERING, SwitchMode.AUTO, "", "host/11/b", t.plusSeconds(5), null, 2);
        Verdict bad = LeaderWriterChecker.check(List.of(n0, trip, stale), h);
        assertFalse(bad.ok(), bad.toString());
        assertEquals(1L, bad.breakdown().get("non-leader"), bad.toString());
        // ... and the old leader c0 writing NORMAL after it lost leadership (112 s > 110 s + tolerance)
        SwitchStatus deposed = new SwitchStatus(SwitchState.NORMAL, SwitchMode.AUTO, "", "host/22/a", t.plusSeconds(12), null, 3);
        assertEquals(1, LeaderWriterChecker.check(List.of(n0, trip, rec, deposed), h).violations());

        // operators are exempt; the hand-back of an expired drill is leader work
        SwitchStatus drill = new SwitchStatus(SwitchState.DEGRADED, SwitchMode.MANUAL, "", "operator-x", t.plusSeconds(20), t.plusSeconds(30), 4);
        SwitchStatus handBackByLeader = new SwitchStatus(SwitchState.DEGRADED, SwitchMode.AUTO, "", "host/11/b", t.plusSeconds(30), null, 5);
        SwitchStatus handBackByOther = new SwitchStatus(SwitchState.DEGRADED, SwitchMode.AUTO, "", "host/22/a", t.plusSeconds(30), null, 5);
        assertTrue(LeaderWriterChecker.check(List.of(n0, trip, rec, norm, drill, handBackByLeader), h).ok());
        assertFalse(LeaderWriterChecker.check(List.of(n0, trip, rec, norm, drill, handBackByOther), h).ok());
        SwitchStatus ghost = new SwitchStatus(SwitchState.NORMAL, SwitchMode.AUTO, "", "host/99/z", t.plusSeconds(12), null, 3);
        assertEquals(1L, LeaderWriterChecker.check(List.of(n0, trip, rec, ghost), h).breakdown().get("unknown-writer"));
    }

    @Test
    void lateJoinsArePlacedInTheMiddleThirdWithoutChangingTheFaultsOfASeed() {
        FaultSchedule.Topology topo = new FaultSchedule.Topology(2, List.of("p0", "p1"), List.of("c0", "c1"));
        var faults = FaultSchedule.plan(42, 60_000, topo, EnumSet.allOf(FaultKind.class), 2_500, 5_000);
        var plan = FaultSchedule.withLateJoins(faults, 42, 60_000, List.of("c-late"));
        assertEquals(faults.size() + 1, plan.size());
        assertTrue(faults.stream().noneMatch(p -> p.kind() == FaultKind.GROUP_JOIN), "never drawn at random");
        var join = plan.stream().filter(p -> p.kind() == FaultKind.GROUP_JOIN).findFirst().orElseThrow();
        assertTrue(join.atMillis() >= 20_000 && join.atMillis() < 40_000, join.toString());
        assertEquals(plan, FaultSchedule.withLateJoins(faults, 42, 60_000, List.of("c-late")));
    }
}
