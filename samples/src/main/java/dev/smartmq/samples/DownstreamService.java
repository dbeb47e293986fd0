package dev.smartmq.samples;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Ordering;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Route;
import dev.smartmq.api.Subscription;
import dev.smartmq.spi.IdempotencyGuard;
import dev.smartmq.testkit.checker.DeliveryChecker;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/**
 * A consumer group of {@code OrderPaid} events (inventory, credit, warehouse) on its own {@link Service}.
 *
 * <p>Every delivery is first recorded in the {@link DeliveryChecker} — so the duplicates the SDK delivered are
 * counted — and only then deduplicated by message id with the service's Redis {@link IdempotencyGuard}
 * ({@code SET NX} with a TTL): the business effect (reserve stock, grant credit points, create a shipment) is
 * applied once per order event, however often it arrives.
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

    DownstreamService(String group, Service service, DeliveryChecker checker) {
        this.group = group;
        this.service = service;
        this.checker = checker;
        this.guard = service.store();
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
        } else {
            duplicatesSkipped.increment();
        }
        return ConsumeResult.SUCCESS;
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
