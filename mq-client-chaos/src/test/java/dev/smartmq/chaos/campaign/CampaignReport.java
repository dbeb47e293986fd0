package dev.smartmq.chaos.campaign;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The text report of one campaign: faults injected by kind, operations, lost, duplicates by cause, order
 * violations (and the documented exceptions apart), max caller latency, convergence time, each checker's verdict
 * with examples, and the one line scripts read:
 * {@code CAMPAIGN seed=<n> minutes=<n> faults=<n> ops=<n> lost=<n> duplicates=<n> order_violations=<n>
 * max_caller_ms=<n> converge_ms=<n>}.
 */
final class CampaignReport {

    private CampaignReport() {
    }

    static String line(long seed, long minutes, long faults, long ops, Verdict lost, Verdict dups, Verdict order,
                       Verdict caller, long convergeMillis) {
        return "CAMPAIGN seed=" + seed + " minutes=" + minutes + " faults=" + faults + " ops=" + ops
                + " lost=" + lost.violations() + " duplicates=" + dups.violations()
                + " order_violations=" + order.violations()
                + " max_caller_ms=" + caller.breakdown().getOrDefault("max_caller_ms", 0L)
                + " converge_ms=" + convergeMillis;
    }

    static String table(CampaignConfig config, String namespace, List<FaultSchedule.Planned> plan,
                        List<FaultRecord> faults, History history, List<Verdict> verdicts, boolean converged,
                        long convergeMillis, List<String> leftBehind, List<String> knownDefects,
                        List<String> injectorErrors, String line) {
        StringBuilder sb = new StringBuilder();
        sb.append("==== campaign seed=").append(config.seed()).append(" namespace=").append(namespace)
                .append(" faulted phase=").append(config.lengthMillis() / 1000).append(" s ====\n");
        sb.append(String.format("processes: producers %s, consumers %s%n", config.producers(), config.consumers()));
        if (!config.plant().isEmpty()) {
            sb.append("PLANTED DEFECT: ").append(config.plant()).append('\n');
        }
        Map<String, Integer> byKind = new TreeMap<>();
        faults.forEach(f -> byKind.merge(f.kind().label(), 1, Integer::sum));
        sb.append(String.format("%-28s %6s%n", "fault kind", "count"));
        byKind.forEach((k, v) -> sb.append(String.format("%-28s %6d%n", k, v)));
        sb.append(String.format("%-28s %6d (planned %d)%n", "total", faults.size(), plan.size()));

        long invoked = history.sends().size();
        long acked = history.ackedCount();
        long mq = history.sends().values().stream().filter(s -> s.acked() && "MQ".equals(s.route())).count();
        long failed = history.sends().values().stream().filter(s -> "FAIL".equals(s.outcome())).count();
        long unknown = history.sends().values().stream().filter(s -> s.outcome() == null).count();
        sb.append(String.format("%-28s %8d%n", "sends invoked", invoked));
        sb.append(String.format("%-28s %8d (MQ %d, FALLBACK %d)%n", "sends acknowledged", acked, mq, acked - mq));
        sb.append(String.format("%-28s %8d%n", "sends failed (threw)", failed));
        sb.append(String.format("%-28s %8d%n", "sends cut by kill -9", unknown));
        for (String g : config.groups()) {
            var d = history.deliveries(g);
            long consumed = d.values().stream().filter(l -> l.stream().anyMatch(History.Delivery::done)).count();
            long deliveries = d.values().stream().mapToLong(List::size).sum();
            sb.append(String.format("%-28s %8d consumed, %d deliveries%n", "group " + g, consumed, deliveries));
        }
        // Consumer JVMs that died (no CLOSED) with a handler entered and not completed: kills that landed mid-handler.
        java.util.Set<String> midHandler = new java.util.HashSet<>();
        for (String g : config.groups()) {
            history.deliveries(g).values().forEach(l -> l.stream().filter(d -> !d.done())
                    .forEach(d -> midHandler.add(d.process() + "/" + d.pid())));
        }
        long killedMidHandler = history.incarnations().stream()
                .filter(i -> !i.closed() && midHandler.contains(i.process() + "/" + i.pid())).count();
        sb.append(String.format("%-28s %8d%n", "consumers killed mid-handler", killedMidHandler));
        long incarnations = history.incarnations().size();
        sb.append(String.format("%-28s %8d%n", "client JVMs started", incarnations));
        sb.append(String.format("%-28s %8s (%d ms, bound %d s)%n", "converged", converged, convergeMillis,
                config.convergeBoundMillis() / 1000));
        sb.append(String.format("%-28s %8s%n", "processes left behind", leftBehind));
        if (!knownDefects.isEmpty()) {
            sb.append("known defects seen (reported, not failing; -D").append(KnownDefects.STRICT_PROPERTY)
                    .append("=true fails them):\n");
            knownDefects.forEach(e -> sb.append("  ").append(e).append('\n'));
        }
        if (!injectorErrors.isEmpty()) {
            sb.append("injector errors:\n");
            injectorErrors.forEach(e -> sb.append("  ").append(e).append('\n'));
        }
        sb.append("checkers:\n");
        verdicts.forEach(v -> sb.append("  ").append(v).append('\n'));
        sb.append(line).append('\n');
        return sb.toString();
    }
}
