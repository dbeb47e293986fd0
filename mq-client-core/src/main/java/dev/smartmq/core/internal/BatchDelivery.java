package dev.smartmq.core.internal;

import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Route;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.Envelope;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Delivers one claimed fallback batch of one shard to the subscription's handler and settles every message of it
 * in the {@link ClaimLedger} (acked, released, dead-lettered, or left for an in-memory retry). What differs
 * between the two orderings is in the subclasses: {@link ConcurrentBatchDelivery} retries a failed message in
 * memory while the shard goes on, {@link OrderedBatchDelivery} ends the batch at a failure so order holds.
 *
 * <p>Threads: no mutable state of its own; one batch is handled by one worker thread at a time, different
 * batches concurrently.
 */
abstract class BatchDelivery {
    protected final SmartMQConfig config;
    protected final HandlerInvoker invoker;
    protected final ClaimLedger ledger;
    protected final EngineMetrics metrics;
    private final BooleanSupplier stopping;

    BatchDelivery(SmartMQConfig config, HandlerInvoker invoker, ClaimLedger ledger, EngineMetrics metrics,
                  BooleanSupplier stopping) {
        this.config = config;
        this.invoker = invoker;
        this.ledger = ledger;
        this.metrics = metrics;
        this.stopping = stopping;
    }

    /**
     * Delivers {@code batch} (all tracked in the ledger, all of one shard of {@code sub}) and settles each message.
     * Returns the delay before the shard may be claimed again, in nanoseconds.
     */
    abstract long handle(ConsumerSubscription sub, List<ClaimedMessage> batch);

    /** The subscription is being cancelled or the consumer is closing: deliver nothing more. */
    protected final boolean halted(ConsumerSubscription sub) {
        return sub.cancelled || stopping.getAsBoolean();
    }

    /** One delivery of {@code m} as attempt {@code attempt}; a message the tag filter refuses counts as done. */
    protected final HandlerInvoker.Outcome deliver(ConsumerSubscription sub, ClaimedMessage m, int attempt) {
        Envelope e = m.envelope();
        if (!sub.subscription.acceptsTag(e.message().tags())) {
            return HandlerInvoker.Outcome.OK;
        }
        return invoker.invoke(sub, new ReceivedMessage(e.id(), e.message(), e.bornTimestamp(), attempt,
                Route.FALLBACK));
    }

    /** {@code retryBackoffInitial·2^(attempt-1)}, capped at {@code retryBackoffMax}. */
    final long backoffNanos(int attempt) {
        long max = config.retryBackoffMax().toNanos();
        long d = config.retryBackoffInitial().toNanos();
        for (int i = 1; i < attempt && d < max; i++) {
            d *= 2;
        }
        return Math.min(d, max);
    }
}
