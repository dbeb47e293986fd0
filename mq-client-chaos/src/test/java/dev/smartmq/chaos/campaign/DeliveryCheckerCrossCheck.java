package dev.smartmq.chaos.campaign;

import dev.smartmq.testkit.checker.CheckReport;
import dev.smartmq.testkit.checker.DeliveryChecker;
import dev.smartmq.testkit.checker.SendRecorder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * A second opinion on loss: the recorded history replayed into the testkit's {@link DeliveryChecker} (the chaos
 * rows' checker) — every send in the order it completed ({@code ok}, {@code failed}, or {@code unknown} when a
 * {@code kill -9} cut it short), then every completed delivery of every group, ids being the campaign ids. Its lost
 * count must be zero and agree with {@link LostChecker}'s; two implementations that disagree mean one of them is
 * wrong.
 */
final class DeliveryCheckerCrossCheck {

    private DeliveryCheckerCrossCheck() {
    }

    static Verdict check(History history, Collection<String> groups, long lostByLostChecker) {
        DeliveryChecker checker = DeliveryChecker.create();
        checker.expectGroups(groups.toArray(String[]::new));
        List<History.Send> sends = new ArrayList<>(history.sends().values());
        sends.sort(Comparator.comparingLong(s -> s.outcome() == null ? Long.MAX_VALUE : s.completedAt()));
        for (History.Send s : sends) {
            SendRecorder.Attempt a = checker.beginSend(s.keyed() ? s.key() : null);
            if (s.acked()) {
                a.ok(s.cid(), s.route());
            } else if ("FAIL".equals(s.outcome())) {
                a.failed(new IllegalStateException(s.detail()));
            } else {
                a.unknown(s.cid(), new IllegalStateException("no outcome recorded (process killed)"));
            }
        }
        for (String g : groups) {
            for (Map.Entry<String, List<History.Delivery>> e : history.deliveries(g).entrySet()) {
                for (History.Delivery d : e.getValue()) {
                    if (d.done()) {
                        checker.delivered(g, e.getKey(), d.route());
                    }
                }
            }
        }
        CheckReport report = checker.report();
        long lost = report.totalLost();
        boolean agrees = lost == lostByLostChecker;
        return new Verdict("lost (testkit DeliveryChecker)", lost == 0 && agrees, lost,
                Map.of("lost", lost, "acked", report.acked(), "agrees_with_lost_checker", agrees ? 1L : 0L),
                lost == 0 ? List.of() : report.lostIds());
    }
}
