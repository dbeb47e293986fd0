package dev.smartmq.chaos.campaign;

import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Switch history (read from the switch's history znodes, oldest first; one entry per applied transition):
 * <ul>
 *   <li>{@code epoch}: epochs only grow, by one per transition (a gap or a repeat means a lost or a doubled
 *       write);</li>
 *   <li>{@code one-writer-per-epoch}: no epoch was written twice (two leaders' transitions at one epoch);</li>
 *   <li>{@code dwell}: no automatic transition came sooner than {@code minDwellTime} after the previous
 *       transition (operators' own transitions are exempt; 10 ms tolerance for millisecond rounding);</li>
 *   <li>{@code manual}: a MANUAL state was never changed by automation before its {@code expiresAt} (never, if
 *       it has none).</li>
 * </ul>
 * Actors whose {@code changedBy} starts with {@value #OPERATOR_PREFIX} are operators; the others are automation.
 */
final class SwitchHistoryChecker {

    static final String OPERATOR_PREFIX = "operator";
    private static final long TOLERANCE_MS = 10;

    private SwitchHistoryChecker() {
    }

    static Verdict check(List<SwitchStatus> history, Duration minDwell) {
        Map<String, Long> breakdown = new HashMap<>();
        List<String> examples = new ArrayList<>();
        Set<Long> epochs = new HashSet<>();
        for (String k : List.of("epoch", "one-writer-per-epoch", "dwell", "manual")) {
            breakdown.put(k, 0L);
        }
        for (int i = 0; i < history.size(); i++) {
            SwitchStatus cur = history.get(i);
            if (!epochs.add(cur.epoch())) {
                flag(breakdown, examples, "one-writer-per-epoch", "epoch " + cur.epoch() + " written twice: " + cur);
            }
            if (i == 0) {
                continue;
            }
            SwitchStatus prev = history.get(i - 1);
            if (cur.epoch() != prev.epoch() + 1) {
                flag(breakdown, examples, "epoch", "epoch " + prev.epoch() + " followed by " + cur.epoch());
            }
            boolean automation = !cur.changedBy().startsWith(OPERATOR_PREFIX);
            if (!automation) {
                continue;
            }
            long gap = cur.changedAt().toEpochMilli() - prev.changedAt().toEpochMilli();
            if (gap + TOLERANCE_MS < minDwell.toMillis()) {
                flag(breakdown, examples, "dwell", "epoch " + cur.epoch() + " " + prev.state() + "->" + cur.state()
                        + " by " + cur.changedBy() + " " + gap + " ms after the previous transition");
            }
            if (prev.mode() == SwitchMode.MANUAL
                    && (prev.expiresAt() == null || cur.changedAt().isBefore(prev.expiresAt()))) {
                flag(breakdown, examples, "manual", "epoch " + cur.epoch() + " by " + cur.changedBy()
                        + " changed MANUAL " + prev.state() + " at " + cur.changedAt() + " before its expiry "
                        + prev.expiresAt());
            }
        }
        long v = breakdown.values().stream().mapToLong(Long::longValue).sum();
        breakdown.put("transitions", (long) history.size());
        return new Verdict("switch-history", v == 0, v, breakdown, examples);
    }

    private static void flag(Map<String, Long> breakdown, List<String> examples, String kind, String example) {
        breakdown.merge(kind, 1L, Long::sum);
        examples.add(kind + ": " + example);
    }
}
