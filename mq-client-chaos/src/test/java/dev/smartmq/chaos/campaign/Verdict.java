package dev.smartmq.chaos.campaign;

import java.util.List;
import java.util.Map;

/**
 * What one checker concluded about a campaign's history: whether the property held, how many violations it
 * found, a breakdown (e.g. duplicates by cause, or documented exceptions counted apart) and a few examples with
 * enough detail (ids, processes, times) to start a post-mortem. Immutable.
 */
record Verdict(String checker, boolean ok, long violations, Map<String, Long> breakdown, List<String> examples) {

    static final int MAX_EXAMPLES = 10;

    Verdict {
        breakdown = Map.copyOf(breakdown);
        examples = List.copyOf(examples.subList(0, Math.min(MAX_EXAMPLES, examples.size())));
    }

    @Override
    public String toString() {
        return checker + ": " + (ok ? "OK" : "FAILED") + " violations=" + violations
                + (breakdown.isEmpty() ? "" : " " + new java.util.TreeMap<>(breakdown))
                + (examples.isEmpty() ? "" : "\n    e.g. " + String.join("\n    e.g. ", examples));
    }
}
