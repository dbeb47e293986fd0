package dev.smartmq.chaos.campaign;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Duplicates: deliveries of one message to one group beyond the first, each given a cause from the history,
 * and bounded. Causes, in the order they are tried for each extra delivery:
 * <ul>
 *   <li>{@code consumer-crash}: an earlier delivery was made to a consumer incarnation that did not close
 *       gracefully (it was killed: its claims and uncommitted offsets are redelivered);</li>
 *   <li>{@code other-path}: the message came by the other route too (an MQ send that failed or timed out may also
 *       have been stored by the broker, next to its fallback copy);</li>
 *   <li>{@code other-instance}: same route, another live consumer (a RocketMQ queue or a shard claim moved);</li>
 *   <li>{@code same-instance}: same route, same consumer (RocketMQ replaying from its committed offset after a
 *       broker fault; a Redis ack that was lost in a Redis fault).</li>
 * </ul>
 * Bound (the chaos README's rule, generalised to overlapping faults): one message reaches one group at most
 * {@code 2 + 2 × f} times, where {@code f} is the number of faults that overlapped the message's life (from its
 * send to its last delivery) — the first delivery, a copy or replay, and per fault a queue moving away and back.
 */
final class DuplicateChecker {

    private DuplicateChecker() {
    }

    static Verdict check(History history, Collection<String> groups, List<FaultRecord> faults) {
        Map<String, Boolean> closed = new HashMap<>();
        for (History.Incarnation i : history.incarnations()) {
            closed.put(i.process() + "/" + i.pid(), i.closed());
        }
        Map<String, Long> causes = new HashMap<>();
        long total = 0;
        long overBound = 0;
        int worst = 0;
        List<String> examples = new ArrayList<>();
        for (String group : groups) {
            for (Map.Entry<String, List<History.Delivery>> e : history.deliveries(group).entrySet()) {
                List<History.Delivery> ds = e.getValue();
                if (ds.size() < 2) {
                    continue;
                }
                total += ds.size() - 1;
                for (int k = 1; k < ds.size(); k++) {
                    causes.merge(cause(ds, k, closed), 1L, Long::sum);
                }
                History.Send s = history.sends().get(e.getKey());
                long from = s == null ? ds.get(0).time() : s.invokedAt();
                long to = ds.get(ds.size() - 1).time();
                long f = faults.stream().filter(r -> r.overlaps(from, to)).count();
                worst = Math.max(worst, ds.size());
                if (ds.size() > 2 + 2 * f) {
                    overBound++;
                    if (examples.size() < Verdict.MAX_EXAMPLES) {
                        examples.add(group + " got " + e.getKey() + " " + ds.size() + "x with " + f
                                + " overlapping faults; trail " + trail(ds));
                    }
                }
            }
        }
        causes.put("max_deliveries_of_one", (long) worst);
        causes.put("over_bound", overBound);
        return new Verdict("duplicates", overBound == 0, total, causes, examples);
    }

    private static String cause(List<History.Delivery> ds, int k, Map<String, Boolean> closed) {
        History.Delivery d = ds.get(k);
        boolean otherPath = false;
        boolean sameInstance = false;
        for (int i = 0; i < k; i++) {
            History.Delivery p = ds.get(i);
            boolean sameInc = p.process().equals(d.process()) && p.pid() == d.pid();
            if (!sameInc && !closed.getOrDefault(p.process() + "/" + p.pid(), false)) {
                return "consumer-crash";
            }
            if (!sameInc && !p.done()) {
                return "consumer-crash";
            }
            otherPath |= !p.route().equals(d.route());
            sameInstance |= sameInc && p.route().equals(d.route());
        }
        if (otherPath) {
            return "other-path";
        }
        return sameInstance ? "same-instance" : "other-instance";
    }

    static String trail(List<History.Delivery> ds) {
        StringBuilder sb = new StringBuilder();
        for (History.Delivery d : ds) {
            sb.append('[').append(d.time()).append(' ').append(d.route()).append(' ').append(d.process()).append('/')
                    .append(d.pid()).append(" attempt ").append(d.attempt()).append(d.done() ? "" : " unfinished")
                    .append(']');
        }
        return sb.toString();
    }
}
