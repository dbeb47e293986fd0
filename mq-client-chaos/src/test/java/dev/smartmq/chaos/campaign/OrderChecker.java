package dev.smartmq.chaos.campaign;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Order, for ORDERED groups: per key, no message is first delivered after a newer message of its key, where
 * "newer" means <em>sent after it completed</em>: B is newer than A when B's {@code send}/{@code sendAsync} was
 * called after A's returned its receipt (A's {@code OK} line before B's {@code INVOKE} line; one sender thread per
 * key, so one file orders them). For a sync keyed sender that is every later message. For an async keyed sender
 * messages whose sends overlapped (B called while A was still in flight) are concurrent: the SDK promises no order
 * between them (two async sends of one key can be written by different transport threads) — such pairs delivered
 * out of call order are counted apart ({@code async-overlap}), never as violations. Messages without a receipt
 * are skipped (they may or may not exist). Redeliveries are duplicates, not order violations: only first
 * deliveries count, and each late message once.
 *
 * <p>Documented exceptions, counted apart and not violations (README "Order"):
 * <ul>
 *   <li>{@code mq-stranded}: the late message came by MQ and only newer FALLBACK messages overtook it: it was
 *       stored on a broker that died or hung, and arrived when the broker came back, after the fallback copies of
 *       newer messages (the chaos README's row 8 allows it: order holds within each path).</li>
 *   <li>{@code fallback-after-newer-mq}: the late message came by FALLBACK and only newer MQ messages overtook
 *       it. The contract drains the fallback before the MQ when an ORDERED subscription <em>recovers</em>; a send
 *       that falls back per message while the switch stays NORMAL (a broker isolated locally, one slow send) is
 *       swept later than newer MQ messages of its key. Counted apart so a rise is visible.</li>
 *   <li>{@code mq-queue-moved}: both by MQ while a broker fault lasted between the late message's receipt and
 *       its delivery: RocketMQ orders per queue, and a key maps to {@code hash mod queueCount} of the route, which
 *       changes while a broker is out of it (messages stranded on the dead broker arrive after newer ones).</li>
 * </ul>
 * A same-path overtake outside those windows is a violation. The breakdown also says how many keyed messages
 * of each sender mode were judged ({@code judged.sync}, {@code judged.async}).
 *
 * <p>Cost: O(n log n) per key (first deliveries ranked once; suffix minima per route), so a 30-minute history
 * with tens of thousands of messages per key is judged in well under a second.
 */
final class OrderChecker {

    private static final List<String> ROUTES = List.of("MQ", "FALLBACK");

    private OrderChecker() {
    }

    static Verdict check(History history, Collection<String> orderedGroups, List<FaultRecord> faults) {
        Map<String, List<History.Send>> byKey = new LinkedHashMap<>();
        for (History.Send s : history.sends().values()) {
            if (s.acked() && s.keyed()) {
                byKey.computeIfAbsent(s.key(), k -> new ArrayList<>()).add(s);
            }
        }
        byKey.values().forEach(l -> l.sort(Comparator.comparingLong(History.Send::invokeLine)));
        long violations = 0;
        Map<String, Long> breakdown = new HashMap<>();
        List<String> examples = new ArrayList<>();
        for (String group : orderedGroups) {
            Map<String, List<History.Delivery>> deliveries = history.deliveries(group);
            for (Map.Entry<String, List<History.Send>> e : byKey.entrySet()) {
                List<History.Send> delivered = new ArrayList<>();
                List<History.Delivery> first = new ArrayList<>();
                for (History.Send s : e.getValue()) {
                    List<History.Delivery> d = deliveries.get(s.cid());
                    if (d != null && !d.isEmpty()) {
                        first.add(d.get(0));
                        delivered.add(s);
                        breakdown.merge(s.sync() ? "judged.sync" : "judged.async", 1L, Long::sum);
                    }
                }
                int n = first.size();
                if (n < 2) {
                    continue;
                }
                // rank of each first delivery in delivery order
                Integer[] idx = new Integer[n];
                for (int i = 0; i < n; i++) {
                    idx[i] = i;
                }
                java.util.Arrays.sort(idx, (a, b) -> compareDeliveries(first.get(a), first.get(b)));
                int[] rank = new int[n];
                for (int r = 0; r < n; r++) {
                    rank[idx[r]] = r;
                }
                // suffix minimum of rank per route: sufMin[route][k] = index j >= k of that route with least rank
                int[][] sufMin = new int[ROUTES.size()][n + 1];
                for (int[] row : sufMin) {
                    row[n] = -1;
                }
                for (int k = n - 1; k >= 0; k--) {
                    for (int r = 0; r < ROUTES.size(); r++) {
                        int best = sufMin[r][k + 1];
                        if (ROUTES.get(r).equals(first.get(k).route()) && (best < 0 || rank[k] < rank[best])) {
                            best = k;
                        }
                        sufMin[r][k] = best;
                    }
                }
                long[] invokeLines = delivered.stream().mapToLong(History.Send::invokeLine).toArray(); // ascending
                for (int i = 0; i < n; i++) {
                    History.Send s = delivered.get(i);
                    History.Delivery late = first.get(i);
                    // the first message called after i's receipt: every one from there on is newer than i
                    int newerFrom = Math.max(i + 1, firstAbove(invokeLines, s.outcomeLine()));
                    for (int j = i + 1; j < newerFrom; j++) {
                        if (rank[j] < rank[i]) {
                            breakdown.merge("async-overlap", 1L, Long::sum);
                        }
                    }
                    int same = -1;
                    int other = -1;
                    for (int r = 0; r < ROUTES.size(); r++) {
                        int j = sufMin[r][Math.min(newerFrom, n)];
                        if (j >= 0 && rank[j] < rank[i]) {
                            if (ROUTES.get(r).equals(late.route())) {
                                same = j;
                            } else {
                                other = j;
                            }
                        }
                    }
                    if (same < 0 && other < 0) {
                        continue;
                    }
                    History.Delivery example = first.get(same >= 0 ? same : other);
                    History.Send newer = delivered.get(same >= 0 ? same : other);
                    String kind;
                    if (same < 0) {
                        kind = "MQ".equals(late.route()) ? "mq-stranded" : "fallback-after-newer-mq";
                    } else if ("MQ".equals(late.route()) && brokerFaultBetween(faults, s.completedAt(), late.time())) {
                        kind = "mq-queue-moved";
                    } else {
                        kind = "violation";
                        violations++;
                    }
                    breakdown.merge(kind, 1L, Long::sum);
                    if (examples.size() < Verdict.MAX_EXAMPLES && ("violation".equals(kind) || examples.size() < 3)) {
                        examples.add(kind + ": " + group + " key " + e.getKey() + " (" + s.mode() + "): " + s.cid()
                                + " (acked " + s.completedAt() + ") first delivered " + late.time() + " via "
                                + late.route() + " after newer " + newer.cid() + " at " + example.time() + " via "
                                + example.route());
                    }
                }
            }
        }
        breakdown.putIfAbsent("violation", 0L);
        return new Verdict("order", violations == 0, violations, breakdown, examples);
    }

    /**
     * Delivery order: by the millisecond clock, ties by line. A history writer stamps each line under its lock, so
     * within one consumer JVM this is its line order; across JVMs the clock (as before).
     */
    private static int compareDeliveries(History.Delivery a, History.Delivery b) {
        return a.time() != b.time() ? Long.compare(a.time(), b.time()) : Long.compare(a.seq(), b.seq());
    }

    /** The least index whose value is greater than {@code v} ({@code a.length} if none); {@code a} ascending. */
    private static int firstAbove(long[] a, long v) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] <= v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static boolean brokerFaultBetween(List<FaultRecord> faults, long from, long to) {
        return faults.stream().anyMatch(f -> f.kind().brokerFault() && f.overlaps(from, to));
    }
}
