package dev.smartmq.chaos.campaign;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Lost: every message whose send returned a receipt ({@code OK} in the producer's history) was consumed — its
 * handler completed ({@code DONE}) — by every group of the campaign. All groups subscribe before the first send,
 * so every group was subscribed when every message was sent. Also counts phantoms (a consumed message no producer
 * ever invoked) as violations. Zero, always.
 */
final class LostChecker {

    private LostChecker() {
    }

    static Verdict check(History history, Collection<String> groups) {
        long lost = 0;
        long phantoms = 0;
        List<String> examples = new ArrayList<>();
        Map<String, Long> breakdown = new HashMap<>();
        for (String group : groups) {
            Map<String, List<History.Delivery>> deliveries = history.deliveries(group);
            long lostInGroup = 0;
            for (History.Send s : history.sends().values()) {
                if (!s.acked()) {
                    continue;
                }
                List<History.Delivery> d = deliveries.get(s.cid());
                if (d == null || d.stream().noneMatch(History.Delivery::done)) {
                    lostInGroup++;
                    if (examples.size() < Verdict.MAX_EXAMPLES) {
                        examples.add("group " + group + " never consumed " + s.cid() + " (acked " + s.completedAt()
                                + " via " + s.route() + ", " + s.mode() + ", key " + s.key()
                                + (d == null ? ", never delivered" : ", delivered " + d.size() + "x, never completed") + ")");
                    }
                }
            }
            for (String cid : deliveries.keySet()) {
                if (!history.sends().containsKey(cid)) {
                    phantoms++;
                    if (examples.size() < Verdict.MAX_EXAMPLES) {
                        examples.add("group " + group + " consumed " + cid + " that no producer sent");
                    }
                }
            }
            breakdown.put("lost." + group, lostInGroup);
            lost += lostInGroup;
        }
        breakdown.put("phantoms", phantoms);
        return new Verdict("lost", lost == 0 && phantoms == 0, lost + phantoms, breakdown, examples);
    }

    /** Acked messages not yet consumed by every group (for the convergence wait). */
    static long outstanding(History history, Collection<String> groups) {
        long n = 0;
        for (String group : groups) {
            Map<String, List<History.Delivery>> deliveries = history.deliveries(group);
            for (History.Send s : history.sends().values()) {
                if (s.acked()) {
                    List<History.Delivery> d = deliveries.get(s.cid());
                    if (d == null || d.stream().noneMatch(History.Delivery::done)) {
                        n++;
                    }
                }
            }
        }
        return n;
    }
}
