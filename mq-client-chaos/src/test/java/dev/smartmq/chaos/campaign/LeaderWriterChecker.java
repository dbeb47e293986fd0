package dev.smartmq.chaos.campaign;

import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Leader identity vs the writer of each epoch: every automatic transition that only the leader may make was
 * written by an instance that was the leader at the time, by its own recorded {@code isLeader()} ({@code LEADER}
 * lines of its history, polled every {@value ClientMain#LEADER_POLL_MS} ms).
 *
 * <p>Who may write what (core README, "Prober", "Drain decision", "Failure detector"):
 * <ul>
 *   <li>operators (actor {@value SwitchHistoryChecker#OPERATOR_PREFIX}...): anything — exempt;</li>
 *   <li>a trip — {@code DEGRADED/AUTO} from an {@code AUTO} state — by <em>any</em> instance (it degrades locally
 *       and publishes with a CAS): exempt, counted as {@code trip};</li>
 *   <li>everything else automatic — {@code RECOVERING} by the prober, {@code NORMAL} by the drain decision, the
 *       hand-back of an expired MANUAL state — the leader only: {@code leader-writes} when the writer was leader,
 *       {@code non-leader} (a violation) when it was not.</li>
 * </ul>
 * The writer is the instance whose pid is the second part of the transition's {@code changedBy}
 * ({@code host/pid/id}). It counts as leader at {@code changedAt} (its own clock, as its history) when a
 * leadership interval of it covers that time, widened by {@value #TOLERANCE_MS} ms on both sides (the recorder's
 * poll, and the decision taken a moment before the write is stamped). A writer with no history at all is a
 * violation ({@code unknown-writer}). Also reported, not judged: the longest time two instances recorded
 * leadership at once ({@code max-overlap-ms}; with the recorder's poll and a 5 s session this stays small).
 * A pure function of the switch history and the client histories; stateless, thread-safe.
 */
final class LeaderWriterChecker {

    static final long TOLERANCE_MS = 1_000;

    private LeaderWriterChecker() {
    }

    /** One instance's time as leader (end {@code Long.MAX_VALUE}: still leader at its last line). */
    record Interval(String process, long pid, long from, long to) {
    }

    static Verdict check(List<SwitchStatus> switchHistory, History history) {
        Map<Long, List<Interval>> byPid = intervals(history);
        Map<String, Long> breakdown = new HashMap<>();
        for (String k : List.of("leader-writes", "trip", "operator", "non-leader", "unknown-writer")) {
            breakdown.put(k, 0L);
        }
        List<String> examples = new ArrayList<>();
        long violations = 0;
        for (int i = 1; i < switchHistory.size(); i++) {
            SwitchStatus prev = switchHistory.get(i - 1);
            SwitchStatus cur = switchHistory.get(i);
            if (cur.changedBy().startsWith(SwitchHistoryChecker.OPERATOR_PREFIX)) {
                breakdown.merge("operator", 1L, Long::sum);
                continue;
            }
            if (cur.state() == SwitchState.DEGRADED && cur.mode() == SwitchMode.AUTO && prev.mode() == SwitchMode.AUTO) {
                breakdown.merge("trip", 1L, Long::sum);
                continue;
            }
            long pid = pidOf(cur.changedBy());
            List<Interval> mine = byPid.get(pid);
            long at = cur.changedAt().toEpochMilli();
            if (mine == null && history.incarnations().stream().noneMatch(inc -> inc.pid() == pid)) {
                violations++;
                breakdown.merge("unknown-writer", 1L, Long::sum);
                examples.add("unknown-writer: epoch " + cur.epoch() + " " + prev.state() + "->" + cur.state() + " by "
                        + cur.changedBy() + ": no client process with that pid");
                continue;
            }
            boolean leader = mine != null && mine.stream()
                    .anyMatch(v -> v.from() - TOLERANCE_MS <= at && at <= satAdd(v.to(), TOLERANCE_MS));
            if (leader) {
                breakdown.merge("leader-writes", 1L, Long::sum);
            } else {
                violations++;
                breakdown.merge("non-leader", 1L, Long::sum);
                if (examples.size() < Verdict.MAX_EXAMPLES) {
                    examples.add("non-leader: epoch " + cur.epoch() + " " + prev.state() + "/" + prev.mode() + "->"
                            + cur.state() + "/" + cur.mode() + " by " + cur.changedBy() + " at " + at
                            + " while not leader (its leadership: " + (mine == null ? "never" : mine) + ")");
                }
            }
        }
        breakdown.put("max-overlap-ms", maxOverlap(byPid));
        return new Verdict("leader-writer", violations == 0, violations, breakdown, examples);
    }

    /** Leadership intervals per pid, from the LEADER lines; an open one ends at the incarnation's last line. */
    static Map<Long, List<Interval>> intervals(History history) {
        Map<Long, Long> lastLine = new HashMap<>();
        for (History.Incarnation inc : history.incarnations()) {
            lastLine.put(inc.pid(), inc.lastEventAt());
        }
        Map<Long, List<Interval>> out = new HashMap<>();
        Map<Long, History.LeaderChange> open = new HashMap<>();
        for (History.LeaderChange c : history.leaderChanges()) {
            History.LeaderChange o = open.get(c.pid());
            if (c.leader() && o == null) {
                open.put(c.pid(), c);
            } else if (!c.leader() && o != null) {
                out.computeIfAbsent(c.pid(), p -> new ArrayList<>()).add(new Interval(c.process(), c.pid(), o.time(), c.time()));
                open.remove(c.pid());
            }
        }
        open.forEach((pid, o) -> out.computeIfAbsent(pid, p -> new ArrayList<>())
                .add(new Interval(o.process(), pid, o.time(), lastLine.getOrDefault(pid, o.time()))));
        return out;
    }

    private static long maxOverlap(Map<Long, List<Interval>> byPid) {
        List<Interval> all = new ArrayList<>();
        byPid.values().forEach(all::addAll);
        long max = 0;
        for (int i = 0; i < all.size(); i++) {
            for (int j = i + 1; j < all.size(); j++) {
                Interval a = all.get(i);
                Interval b = all.get(j);
                if (a.pid() != b.pid()) {
                    max = Math.max(max, Math.min(a.to(), b.to()) - Math.max(a.from(), b.from()));
                }
            }
        }
        return max;
    }

    private static long pidOf(String changedBy) {
        String[] parts = changedBy.split("/");
        try {
            return parts.length >= 2 ? Long.parseLong(parts[1]) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static long satAdd(long a, long b) {
        return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
    }
}
