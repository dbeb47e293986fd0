package dev.smartmq.core.internal;

import dev.smartmq.api.Route;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.spi.ClaimedMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ORDERED delivery of a claimed batch of one leased shard: a failure ends the batch; the rest of the batch goes
 * back to the shard head uncounted, the failed message in front of it with its attempt counted in the store, and
 * the shard waits the back-off (order holds). The shard's lease is checked before every delivery and before the
 * ack; a lost lease ends the batch with the rest returned undelivered.
 *
 * <p>Threads: as {@link BatchDelivery}; the lease of a shard is held by this instance while a worker runs here.
 */
final class OrderedBatchDelivery extends BatchDelivery {
    private static final Logger log = LoggerFactory.getLogger(OrderedBatchDelivery.class);

    private final ShardLeases leases;
    private final String consumerId;

    OrderedBatchDelivery(SmartMQConfig config, HandlerInvoker invoker, ClaimLedger ledger, EngineMetrics metrics,
                         BooleanSupplier stopping, ShardLeases leases, String consumerId) {
        super(config, invoker, ledger, metrics, stopping);
        this.leases = leases;
        this.consumerId = consumerId;
    }

    @Override
    long handle(ConsumerSubscription sub, List<ClaimedMessage> batch) {
        List<ClaimedMessage> done = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            if (halted(sub)) {
                ack(sub, done);
                ledger.releaseUnhandled(batch.subList(i, batch.size()));
                return 0;
            }
            ClaimedMessage m = batch.get(i);
            if (!leases.holds(sub.topic, sub.group, m.shard())) {
                // Not renewed in time (store unreachable, or this process stalled): stop delivering the shard. The
                // rest goes back to the head; the fenced claim of the next holder waits until it is there.
                log.warn("SmartMQ: consumer {} no longer holds the lease of ordered shard {} of {}; {} claimed messages "
                        + "go back to the shard undelivered", consumerId, m.shard(), sub.subscription, batch.size() - i);
                ack(sub, done);
                ledger.releaseUnhandled(batch.subList(i, batch.size()));
                return 0;
            }
            int attempt = m.envelope().attempts() + 1;
            HandlerInvoker.Outcome o = deliver(sub, m, attempt);
            if (o.ok()) {
                done.add(m);
                continue;
            }
            if (o.busy()) {
                // Another delivery of this id holds the guard's in-progress lease: not an attempt; keep the order.
                ack(sub, done);
                ledger.releaseUnhandled(batch.subList(i, batch.size()));
                return config.retryBackoffInitial().toNanos();
            }
            if (attempt >= config.maxDeliveryAttempts()) {
                ledger.deadLetter(m, attempt, o.reason());
                continue;
            }
            // Order: the rest goes back first (uncounted), then the failed one in front of it (counted).
            metrics.retriedFallback.mark();
            metrics.traffic.retried(sub.topic, sub.group, Route.FALLBACK);
            ack(sub, done);
            ledger.releaseUnhandled(batch.subList(i + 1, batch.size()));
            ledger.release(m, true);
            return backoffNanos(attempt);
        }
        ack(sub, done);
        return 0;
    }

    /**
     * Acks handled messages of an ordered shard, checking the lease first. They are acked even if it was lost:
     * their handler ran, and returning them would deliver them twice and after newer ones. A lost lease here
     * means the shard was unfenced for a while (this process stalled past the lease); that is logged loudly.
     */
    private void ack(ConsumerSubscription sub, List<ClaimedMessage> done) {
        if (!done.isEmpty() && !leases.holds(sub.topic, sub.group, done.get(0).shard())) {
            log.warn("SmartMQ: consumer {} acks {} handled messages of ordered shard {} of {} after its lease ran out "
                    + "(the handler took longer than the lease could be trusted, or the process stalled)", consumerId,
                    done.size(), done.get(0).shard(), sub.subscription);
        }
        ledger.ack(done);
    }
}
