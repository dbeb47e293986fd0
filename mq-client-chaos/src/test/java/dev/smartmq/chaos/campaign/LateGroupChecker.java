package dev.smartmq.chaos.campaign;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The late-group rule (redis README, "Unclaimed messages and late groups"; DESIGN.md §5/§6) on the history, for
 * a group that did not exist when the campaign started and whose consumer joined mid-run
 * ({@link FaultKind#GROUP_JOIN}). {@code R} is the moment its subscribe first returned ({@code SUBSCRIBED}: the
 * group is registered in ZooKeeper from then on).
 *
 * <ul>
 *   <li>Acknowledged <b>before</b> {@code R}: not owed to the group (as on RocketMQ, a new group starts without
 *       the fallback messages already handed to the groups of the time). Counted, not judged:
 *       {@code before-join.received} (e.g. MQ messages it read from the first offset, unclaimed messages
 *       distributed to it) and {@code before-join.not-received}.</li>
 *   <li>Sent by FALLBACK in the <b>registration window</b> — from {@code R} until every sender can have seen the
 *       registration: {@value #PROPAGATION_MS} ms, extended to {@value #PROPAGATION_MS} ms after the end of any
 *       ZooKeeper fault (node kill, quorum loss, a client's session expiry) that overlapped it: the documented
 *       limit (a sender whose registry cache shows some of the topic's groups writes to those only). Counted apart
 *       ({@code window.received}, {@code window.not-received}), not violations.</li>
 *   <li>Everything else acknowledged from {@code R} on — every MQ message, every FALLBACK message after the
 *       window — must be consumed (handler completed) by the group: {@code lost} otherwise. Zero, always.</li>
 * </ul>
 * A late group that never subscribed is a violation too ({@code never-joined}). A pure function of the history and
 * the fault records; stateless, thread-safe.
 */
final class LateGroupChecker {

    static final long PROPAGATION_MS = 3_000;

    private LateGroupChecker() {
    }

    static Verdict check(History history, String group, List<FaultRecord> faults) {
        Map<String, Long> breakdown = new HashMap<>();
        for (String k : List.of("lost", "before-join.received", "before-join.not-received", "window.received",
                "window.not-received", "owed")) {
            breakdown.put(k, 0L);
        }
        List<String> examples = new ArrayList<>();
        long joinedAt = joinedAt(history, group);
        if (joinedAt == 0) {
            return new Verdict("late-group " + group, false, 1, Map.of("never-joined", 1L),
                    List.of("group " + group + " never recorded SUBSCRIBED"));
        }
        long windowEnd = windowEnd(joinedAt, faults);
        Map<String, List<History.Delivery>> deliveries = history.deliveries(group);
        long lost = 0;
        for (History.Send s : history.sends().values()) {
            if (!s.acked()) {
                continue;
            }
            List<History.Delivery> d = deliveries.get(s.cid());
            boolean consumed = d != null && d.stream().anyMatch(History.Delivery::done);
            if (s.completedAt() < joinedAt) {
                breakdown.merge(consumed ? "before-join.received" : "before-join.not-received", 1L, Long::sum);
            } else if ("FALLBACK".equals(s.route()) && s.invokedAt() < windowEnd) {
                breakdown.merge(consumed ? "window.received" : "window.not-received", 1L, Long::sum);
            } else {
                breakdown.merge("owed", 1L, Long::sum);
                if (!consumed) {
                    lost++;
                    if (examples.size() < Verdict.MAX_EXAMPLES) {
                        examples.add("late group " + group + " (joined " + joinedAt + ", window to " + windowEnd
                                + ") never consumed " + s.cid() + " (invoked " + s.invokedAt() + ", acked "
                                + s.completedAt() + " via " + s.route() + ")");
                    }
                }
            }
        }
        breakdown.put("lost", lost);
        breakdown.put("joined-at", joinedAt);
        breakdown.put("window-ms", windowEnd - joinedAt);
        return new Verdict("late-group " + group, lost == 0, lost, breakdown, examples);
    }

    /** Messages the late group still owes (for the convergence wait); 0 before it joined. */
    static long outstanding(History history, String group, List<FaultRecord> faults) {
        long joinedAt = joinedAt(history, group);
        if (joinedAt == 0) {
            return 0;
        }
        Verdict v = check(history, group, faults);
        return v.violations();
    }

    /** When the group's subscribe first returned in any of its processes (0: never). */
    static long joinedAt(History history, String group) {
        return history.incarnations().stream().filter(i -> group.equals(i.group()) && i.subscribedAt() > 0)
                .mapToLong(History.Incarnation::subscribedAt).min().orElse(0);
    }

    private static long windowEnd(long joinedAt, List<FaultRecord> faults) {
        long end = joinedAt + PROPAGATION_MS;
        boolean grew = true;
        while (grew) { // a fault overlapping the window extends it; the extension may meet another fault
            grew = false;
            for (FaultRecord f : faults) {
                if (f.kind().zooKeeperFault() && f.overlaps(joinedAt, end)) {
                    long healed = f.healedAt() == Long.MAX_VALUE ? Long.MAX_VALUE - PROPAGATION_MS : f.healedAt();
                    if (healed + PROPAGATION_MS > end) {
                        end = healed + PROPAGATION_MS;
                        grew = true;
                    }
                }
            }
        }
        return end;
    }
}
