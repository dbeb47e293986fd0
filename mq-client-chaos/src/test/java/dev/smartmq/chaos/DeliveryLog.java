package dev.smartmq.chaos;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.MessageHandler;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Route;
import dev.smartmq.testkit.checker.DeliveryChecker;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The consumer side of a row: handlers that record every delivery in the {@link DeliveryChecker} and, for the
 * row's own checks, the first delivery of each id per group (global delivery order, route, instance, key and
 * per-key send sequence).
 */
final class DeliveryLog {

    /** First delivery of one id to one group. {@code order} is global across groups and instances. */
    record Delivery(long order, String id, String key, long seq, Route route, String instance) {
    }

    /** A delivery of an id to a group that had already received it. */
    record Duplicate(String group, String id, Route firstRoute, String firstInstance, Route route, String instance) {
    }

    private final DeliveryChecker checker;
    private final AtomicLong order = new AtomicLong();
    private final Map<String, Map<String, Delivery>> firstByGroup = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> deliveriesByInstance = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> duplicatesByGroupAndRoute = new ConcurrentHashMap<>();
    private final java.util.List<String> duplicateSamples = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.Queue<Duplicate> duplicates = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final long startNanos = System.nanoTime();
    /** Every delivery of each id per group ({@code group/id}), for explaining duplicates. */
    private final Map<String, List<String>> trails = new ConcurrentHashMap<>();

    DeliveryLog(DeliveryChecker checker) {
        this.checker = checker;
    }

    /** A handler for {@code group} on instance {@code instance} that acknowledges everything. */
    MessageHandler handler(String group, String instance) {
        return m -> {
            record(group, instance, m);
            return ConsumeResult.SUCCESS;
        };
    }

    /** Records one successful delivery (call it just before returning SUCCESS). */
    void record(String group, String instance, ReceivedMessage m) {
        long o = order.incrementAndGet();
        trails.computeIfAbsent(group + "/" + m.id(), k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                .add(m.route() + "@" + instance + " attempt " + m.deliveryAttempt() + " at +"
                        + (System.nanoTime() - startNanos) / 1_000_000 + "ms");
        String seq = m.properties().get("seq");
        Delivery earlier = firstByGroup.computeIfAbsent(group, g -> new ConcurrentHashMap<>())
                .putIfAbsent(m.id(), new Delivery(o, m.id(), m.key(), seq == null ? -1 : Long.parseLong(seq),
                        m.route(), instance));
        if (earlier != null) {
            duplicatesByGroupAndRoute.computeIfAbsent(group + "/" + m.route(), k -> new AtomicLong())
                    .incrementAndGet();
            duplicates.add(new Duplicate(group, m.id(), earlier.route(), earlier.instance(), m.route(), instance));
            if (duplicateSamples.size() < 3) {
                duplicateSamples.add(group + " " + m.id() + " first " + earlier.route() + "@" + earlier.instance()
                        + " again " + m.route() + "@" + instance + " attempt " + m.deliveryAttempt() + " at +"
                        + (System.nanoTime() - startNanos) / 1_000_000 + "ms");
            }
        }
        deliveriesByInstance.computeIfAbsent(instance, i -> new AtomicLong()).incrementAndGet();
        checker.delivered(group, m);
    }

    /** First deliveries of {@code group}, in delivery order. */
    List<Delivery> firstDeliveries(String group) {
        List<Delivery> out = new ArrayList<>(firstByGroup.getOrDefault(group, Map.of()).values());
        out.sort(Comparator.comparingLong(Delivery::order));
        return out;
    }

    /** Whether {@code group} has received {@code id}. */
    boolean delivered(String group, String id) {
        return firstByGroup.getOrDefault(group, Map.of()).containsKey(id);
    }

    /** Deliveries to {@code group} beyond the first of their id that came by {@code route}. */
    long duplicates(String group, Route route) {
        AtomicLong n = duplicatesByGroupAndRoute.get(group + "/" + route);
        return n == null ? 0 : n.get();
    }

    /** Every duplicate delivery so far. */
    List<Duplicate> duplicates() {
        return new ArrayList<>(duplicates);
    }

    /** Duplicates per group and route, for the log: {@code billing/MQ=3 billing/FALLBACK=0 ...}. */
    String duplicateSummary() {
        StringBuilder sb = new StringBuilder();
        new java.util.TreeMap<>(duplicatesByGroupAndRoute).forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " ")
                .append(k).append('=').append(v.get()));
        return sb.length() == 0 ? "none" : sb + " e.g. " + duplicateSamples;
    }

    /** Every delivery of {@code id} to {@code group}, oldest first: route, instance, attempt, time. */
    List<String> trail(String group, String id) {
        return trails.getOrDefault(group + "/" + id, List.of());
    }

    /** Deliveries (not distinct) handled by {@code instance}. */
    long deliveriesBy(String instance) {
        AtomicLong n = deliveriesByInstance.get(instance);
        return n == null ? 0 : n.get();
    }
}
