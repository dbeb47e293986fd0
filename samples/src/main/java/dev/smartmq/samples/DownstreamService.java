package dev.smartmq.samples;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Ordering;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Route;
import dev.smartmq.api.Subscription;
import dev.smartmq.spi.IdempotencyGuard;
import dev.smartmq.testkit.checker.DeliveryChecker;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A consumer group of {@code OrderPaid} events (inventory, credit, warehouse) on its own {@link Service}.
 *
 * <p>Every delivery is first recorded in the {@link DeliveryChecker} — so the duplicates the SDK delivered are
 * counted — and only then deduplicated by message id with the service's Redis {@link IdempotencyGuard}
 * ({@code SET NX} with a TTL): the business effect (reserve stock, grant credit points, create a shipment) is
 * applied once per order event, however often it arrives.
 *
 * <p>It also tells the two kinds of out-of-order first deliveries apart (the checker only counts them): a message
 * that arrives after a later message of its order id which came by the <em>other</em> path (MQ vs Redis), and
 * one overtaken on the <em>same</em> path. SmartMQ keeps per-key order within each path and drains Redis before
 * the MQ when recovering; a message that fell back while the MQ was still NORMAL (a detection window) can be
 * overtaken by later MQ messages of its key, and so can MQ messages the broker still held when it died.
 */
final class DownstreamService implements AutoCloseable {

    private static final Duration DEDUPE_TTL = Duration.ofHours(1);

    private final String group;
    private final Service service;
    private final DeliveryChecker checker;
    private final IdempotencyGuard guard;

    final LongAdder deliveries = new LongAdder();
    final LongAdder viaMq = new LongAdder();
    final LongAdder viaFallback = new LongAdder();
    final LongAdder effectsApplied = new LongAdder();
    final LongAdder duplicatesSkipped = new LongAdder();
    final LongAdder lateAcrossPaths = new LongAdder();
    final LongAdder lateSamePath = new LongAdder();
    private final ConcurrentHashMap<String, KeyProgress> keys = new ConcurrentHashMap<>();

    /** Highest sequence number of a key delivered so far, and the path it came by. */
    private static final class KeyProgress {
        long maxSeq;
        Route maxRoute;

        KeyProgress(long seq, Route route) {
            this.maxSeq = seq;
            this.maxRoute = route;
        }
    }

    DownstreamService(String group, Service service, DeliveryChecker checker) {
        this.group = group;
        this.service = service;
        this.checker = checker;
        this.guard = service.store().idempotencyGuard();
    }

    String group() {
        return group;
    }

    Service service() {
        return service;
    }

    void subscribe(String topic, Ordering ordering) {
        service.mq().consumer().subscribe(Subscription.builder(topic, group).ordering(ordering).build(),
                this::handle);
    }

    private ConsumeResult handle(ReceivedMessage message) {
        checker.delivered(group, message);
        deliveries.increment();
        (message.route() == Route.MQ ? viaMq : viaFallback).increment();
        if (guard.firstSeen(group, message.id(), DEDUPE_TTL)) {
            // The business effect would go here (one database transaction keyed by the order id).
            effectsApplied.increment();
            checkOrder(message);
        } else {
            duplicatesSkipped.increment();
        }
        return ConsumeResult.SUCCESS;
    }

    private void checkOrder(ReceivedMessage message) {
        String seqText = message.properties().get(OrderLoad.SEQ_PROPERTY);
        if (message.key() == null || seqText == null) {
            return;
        }
        long seq = Long.parseLong(seqText);
        Route route = message.route();
        keys.compute(message.key(), (k, p) -> {
            if (p == null) {
                return new KeyProgress(seq, route);
            }
            if (seq < p.maxSeq) {
                (route == p.maxRoute ? lateSamePath : lateAcrossPaths).increment();
            } else {
                p.maxSeq = seq;
                p.maxRoute = route;
            }
            return p;
        });
    }

    /** Fallback backlog of this group as the service's SmartMQ last measured it; -1 until known. */
    long backlog(String topic) {
        return service.gauge("fallback.backlog." + topic + "." + group, -1);
    }

    @Override
    public void close() {
        service.close();
    }
}
