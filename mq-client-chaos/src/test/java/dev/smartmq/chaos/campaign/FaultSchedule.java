package dev.smartmq.chaos.campaign;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The fault schedule of a campaign, drawn entirely from the seed before the campaign starts: the same seed and
 * topology give the same schedule (same faults, targets, start offsets and durations), which is what makes a run
 * replayable with {@code -Dsmartmq.campaign.seed=N}. (Wall-clock effects — how long a broker takes to restart —
 * still vary from run to run; the schedule does not.)
 *
 * <p>Rules: a fault starts every {@code minGap..maxGap}; at most {@value #MAX_CONCURRENT} faults at once; one target
 * never has two faults at once (a broker, all brokers, Redis and its link, the ZooKeeper ensemble, one client
 * process, the switch); every fault ends before the schedule does. Faults overlap otherwise.
 */
final class FaultSchedule {

    static final int MAX_CONCURRENT = 3;

    /** One planned fault: at {@code atMillis} from the start, on {@code target}, for {@code durationMillis}. */
    record Planned(long atMillis, FaultKind kind, String target, long durationMillis, long param) {
        @Override
        public String toString() {
            return String.format("+%6.1fs %-22s %-10s %5.1fs%s", atMillis / 1000.0, kind.label(), target,
                    durationMillis / 1000.0, param == 0 ? "" : " p=" + param);
        }
    }

    /** What can be targeted. */
    record Topology(int brokers, List<String> producers, List<String> consumers) {
    }

    private FaultSchedule() {
    }

    static List<Planned> plan(long seed, long lengthMillis, Topology topology, Set<FaultKind> kinds,
                              long minGapMillis, long maxGapMillis) {
        Random random = new Random(seed);
        List<Planned> plan = new ArrayList<>();
        List<FaultKind> ordered = kinds.stream().sorted().toList(); // enum order: independent of the Set's order
        long t = 2_000;
        while (true) {
            t += minGapMillis + (long) (random.nextDouble() * (maxGapMillis - minGapMillis));
            if (t >= lengthMillis - 3_000) {
                break;
            }
            long now = t;
            List<Planned> active = plan.stream().filter(p -> p.atMillis() <= now && now < end(p)).toList();
            if (active.size() >= MAX_CONCURRENT) {
                continue;
            }
            List<Planned> candidates = new ArrayList<>();
            for (FaultKind k : ordered) {
                for (String target : targets(k, topology)) {
                    if (active.stream().noneMatch(p -> conflicts(p, k, target))) {
                        candidates.add(new Planned(now, k, target, 0, 0));
                    }
                }
            }
            if (candidates.isEmpty()) {
                continue;
            }
            // Pick a kind first (uniformly among kinds with a free target), then one of its targets.
            List<FaultKind> free = candidates.stream().map(Planned::kind).distinct().toList();
            FaultKind kind = free.get(random.nextInt(free.size()));
            List<Planned> ofKind = candidates.stream().filter(c -> c.kind() == kind).toList();
            String target = ofKind.get(random.nextInt(ofKind.size())).target();
            long duration = kind.minMillis() + (long) (random.nextDouble() * (kind.maxMillis() - kind.minMillis()));
            duration = Math.min(duration, lengthMillis - 1_000 - now);
            long param = switch (kind) {
                case BROKER_LATENCY -> 100 + random.nextInt(400);             // ms per chunk
                case OPERATOR_DRILL -> random.nextBoolean() ? 1 : 0;          // 1: the operator restores before the TTL
                case ZK_NODE_KILL -> random.nextInt(3);                       // which node
                default -> 0;
            };
            plan.add(new Planned(now, kind, target, duration, param));
        }
        return List.copyOf(plan);
    }

    /**
     * {@code plan} plus one {@link FaultKind#GROUP_JOIN} per late consumer, each at a time drawn from the seed (its
     * own generator, so the faults of a seed stay what they were) in the middle third of the faulted phase.
     */
    static List<Planned> withLateJoins(List<Planned> plan, long seed, long lengthMillis, List<String> lateConsumers) {
        if (lateConsumers.isEmpty()) {
            return plan;
        }
        Random random = new Random(seed ^ 0x5EEDL);
        List<Planned> out = new ArrayList<>(plan);
        for (String c : lateConsumers) {
            long at = lengthMillis / 3 + (long) (random.nextDouble() * (lengthMillis / 3));
            out.add(new Planned(at, FaultKind.GROUP_JOIN, c, 0, 0));
        }
        out.sort(java.util.Comparator.comparingLong(Planned::atMillis));
        return List.copyOf(out);
    }

    private static long end(Planned p) {
        // A restart blocks its target for a few seconds even though it is a point fault.
        return p.atMillis() + Math.max(p.durationMillis(), 5_000);
    }

    private static List<String> targets(FaultKind k, Topology t) {
        List<String> brokers = new ArrayList<>();
        for (int i = 0; i < t.brokers(); i++) {
            brokers.add("broker-" + i);
        }
        List<String> clients = new ArrayList<>(t.producers());
        clients.addAll(t.consumers());
        return switch (k.target()) {
            case BROKER -> brokers;
            case ALL_BROKERS -> t.brokers() > 1 ? List.of("brokers") : List.of();
            case REDIS -> List.of("redis");
            case ZOOKEEPER -> List.of("zookeeper");
            case ANY_CLIENT -> clients;
            case PRODUCER -> t.producers();
            case CONSUMER -> t.consumers();
            case SWITCH -> List.of("switch");
            case LATE_GROUP -> List.of(); // never drawn: see withLateJoins
        };
    }

    private static boolean conflicts(Planned p, FaultKind k, String target) {
        if (p.target().equals(target)) {
            return true;
        }
        boolean pBrokers = p.kind().brokerFault();
        boolean kBrokers = k.brokerFault();
        // "all brokers" conflicts with any single broker fault and vice versa
        return pBrokers && kBrokers && (p.target().equals("brokers") || target.equals("brokers"));
    }
}
