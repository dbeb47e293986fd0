package dev.smartmq.chaos.campaign;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One campaign's shape: seed, length of the faulted phase, the client processes (producers with their sender
 * modes, consumers with their group and ordering), the fault kinds drawn from, the gap between faults, and an
 * optional planted defect, and optionally a fixed fault plan instead of the seeded one. {@code lateConsumers} are
 * consumer processes of groups that do not exist when the campaign starts: each joins once, mid-run, at a time
 * drawn from the seed ({@link FaultKind#GROUP_JOIN}), and is judged by the late-group rule
 * ({@link LateGroupChecker}); no other fault targets them. Immutable.
 */
record CampaignConfig(long seed, long lengthMillis, Map<String, String> producers, Map<String, ConsumerSpec> consumers,
                      Set<FaultKind> kinds, long intervalMillis, long minGapMillis, long maxGapMillis, String plant,
                      long convergeBoundMillis, List<FaultSchedule.Planned> fixedPlan,
                      Map<String, ConsumerSpec> lateConsumers) {

    /** A consumer process: its group and whether the subscription is ORDERED. */
    record ConsumerSpec(String group, boolean ordered) {
    }

    static final String ORDERED_GROUP = "g-ordered";
    static final String PLAIN_GROUP = "g-plain";
    static final String LATE_GROUP = "g-late";

    CampaignConfig {
        // Insertion order is kept: the schedule picks targets by position, so a seed must see the same order.
        producers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(producers));
        consumers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(consumers));
        lateConsumers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(lateConsumers));
        kinds = Set.copyOf(kinds);
        fixedPlan = List.copyOf(fixedPlan);
    }

    /**
     * What fits a shared 2-core CI box inside {@code ./mvnw verify}: 2 producer JVMs (sync keyed ×2 + async keyless;
     * sync keyed + async keyed + sync keyless), 2 consumer JVMs (one plain group, one ORDERED group), every fault kind.
     * With the name server and 2 broker JVMs that is 7 child JVMs next to the test JVM.
     */
    static CampaignConfig ci(long seed, long lengthMillis) {
        Map<String, String> producers = new LinkedHashMap<>();
        producers.put("p0", "sync-keyed,sync-keyed,async-keyless");
        producers.put("p1", "sync-keyed,async-keyed,sync-keyless");
        Map<String, ConsumerSpec> consumers = new LinkedHashMap<>();
        consumers.put("c0", new ConsumerSpec(PLAIN_GROUP, false));
        consumers.put("c1", new ConsumerSpec(ORDERED_GROUP, true));
        return new CampaignConfig(seed, lengthMillis, producers, consumers, EnumSet.allOf(FaultKind.class), 60, 2_500,
                5_000, "", CampaignSettings.CONVERGENCE_BOUND.toMillis(), List.of(), late());
    }

    /**
     * The full shape, for opt-in long runs: 3 producer JVMs and 4 consumer JVMs (two groups of two members,
     * one ORDERED), every fault kind.
     */
    static CampaignConfig full(long seed, long lengthMillis) {
        Map<String, String> producers = new LinkedHashMap<>();
        producers.put("p0", "sync-keyed,sync-keyed,async-keyless");
        producers.put("p1", "sync-keyed,async-keyed,sync-keyless");
        producers.put("p2", "async-keyless,sync-keyed,sync-keyless");
        Map<String, ConsumerSpec> consumers = new LinkedHashMap<>();
        consumers.put("c0", new ConsumerSpec(PLAIN_GROUP, false));
        consumers.put("c1", new ConsumerSpec(PLAIN_GROUP, false));
        consumers.put("c2", new ConsumerSpec(ORDERED_GROUP, true));
        consumers.put("c3", new ConsumerSpec(ORDERED_GROUP, true));
        return new CampaignConfig(seed, lengthMillis, producers, consumers, EnumSet.allOf(FaultKind.class), 60, 3_000,
                6_000, "", CampaignSettings.CONVERGENCE_BOUND.toMillis(), List.of(), late());
    }

    /**
     * A planted-defect run: only {@code onlyKinds}, no late group, and a short convergence bound (with messages lost
     * on purpose the campaign never converges; waiting the full bound would only cost CI time).
     */
    CampaignConfig withPlant(String plant, Set<FaultKind> onlyKinds) {
        return new CampaignConfig(seed, lengthMillis, producers, consumers, onlyKinds, intervalMillis, minGapMillis,
                maxGapMillis, plant, 12_000, fixedPlan, Map.of());
    }

    /**
     * A scripted run: {@code plan} instead of a schedule drawn from the seed (regression tests of what a seed
     * found, with the same injector, history and checkers); no late group unless the plan has it.
     */
    CampaignConfig withFixedPlan(List<FaultSchedule.Planned> plan, long lengthMillis) {
        return new CampaignConfig(seed, lengthMillis, producers, consumers, kinds, intervalMillis, minGapMillis,
                maxGapMillis, this.plant, convergeBoundMillis, plan, Map.of());
    }

    /**
     * Only the named client processes (a short scripted or planted run needs fewer JVMs: each costs seconds of CPU
     * to start on a shared 2-core box).
     */
    CampaignConfig withOnly(Set<String> names) {
        Map<String, String> p = new LinkedHashMap<>(producers);
        p.keySet().retainAll(names);
        Map<String, ConsumerSpec> c = new LinkedHashMap<>(consumers);
        c.keySet().retainAll(names);
        Map<String, ConsumerSpec> l = new LinkedHashMap<>(lateConsumers);
        l.keySet().retainAll(names);
        return new CampaignConfig(seed, lengthMillis, p, c, kinds, intervalMillis, minGapMillis, maxGapMillis, plant,
                convergeBoundMillis, fixedPlan, l);
    }

    /** One plain consumer process of {@value #LATE_GROUP}, joining mid-run. */
    private static Map<String, ConsumerSpec> late() {
        return Map.of("c-late", new ConsumerSpec(LATE_GROUP, false));
    }

    /** The groups of the late consumers. */
    Set<String> lateGroups() {
        Set<String> g = new java.util.TreeSet<>();
        lateConsumers.values().forEach(c -> g.add(c.group()));
        return g;
    }

    /** Every group, late ones included (backlog, duplicates). */
    Set<String> allGroups() {
        Set<String> g = new java.util.TreeSet<>(groups());
        g.addAll(lateGroups());
        return g;
    }

    /** A consumer's spec, late or not (null for a producer). */
    ConsumerSpec consumer(String name) {
        return consumers.containsKey(name) ? consumers.get(name) : lateConsumers.get(name);
    }

    Set<String> groups() {
        Set<String> g = new java.util.TreeSet<>();
        consumers.values().forEach(c -> g.add(c.group()));
        return g;
    }

    Set<String> orderedGroups() {
        Set<String> g = new java.util.TreeSet<>();
        consumers.values().stream().filter(ConsumerSpec::ordered).forEach(c -> g.add(c.group()));
        return g;
    }
}
