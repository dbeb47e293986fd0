package dev.smartmq.chaos.campaign;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Caller view: every send either returned a receipt or threw, and none took longer than the caller's budget
 * ({@link CampaignSettings#CALLER_BUDGET}). A send with no outcome is a hang when its process closed gracefully
 * (it had all the time in the world) or when its process was killed more than a budget after the send began;
 * one cut short by a {@code kill -9} within its budget is merely indeterminate (counted, not a violation).
 */
final class CallerViewChecker {

    private CallerViewChecker() {
    }

    static Verdict check(History history, Duration budget) {
        Map<String, History.Incarnation> incarnations = new HashMap<>();
        for (History.Incarnation i : history.incarnations()) {
            incarnations.put(i.process() + "/" + i.pid(), i);
        }
        long over = 0;
        long hung = 0;
        long indeterminate = 0;
        long failed = 0;
        long max = 0;
        List<String> examples = new ArrayList<>();
        for (History.Send s : history.sends().values()) {
            if (s.outcome() != null) {
                max = Math.max(max, s.latencyMs());
                if ("FAIL".equals(s.outcome())) {
                    failed++;
                }
                if (s.latencyMs() > budget.toMillis()) {
                    over++;
                    if (examples.size() < Verdict.MAX_EXAMPLES) {
                        examples.add(s.cid() + " " + s.mode() + " took " + s.latencyMs() + " ms (" + s.outcome() + " "
                                + (s.route() == null ? s.detail() : s.route()) + ")");
                    }
                }
                continue;
            }
            History.Incarnation inc = incarnations.get(s.process() + "/" + s.pid());
            boolean closed = inc != null && inc.closed();
            long end = inc == null ? s.invokedAt() : inc.lastEventAt();
            if (closed || end - s.invokedAt() > budget.toMillis()) {
                hung++;
                if (examples.size() < Verdict.MAX_EXAMPLES) {
                    examples.add(s.cid() + " " + s.mode() + " invoked at " + s.invokedAt() + " never returned ("
                            + (closed ? "its process closed gracefully" : "its process lived " + (end - s.invokedAt())
                            + " ms longer") + ")");
                }
            } else {
                indeterminate++;
            }
            max = Math.max(max, end - s.invokedAt());
        }
        Map<String, Long> breakdown = Map.of("over_budget", over, "hung", hung, "cut_by_kill", indeterminate,
                "failed", failed, "max_caller_ms", max, "budget_ms", budget.toMillis());
        return new Verdict("caller-view", over == 0 && hung == 0, over + hung, breakdown, examples);
    }
}
