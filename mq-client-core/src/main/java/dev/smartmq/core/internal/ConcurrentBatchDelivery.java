package dev.smartmq.core.internal;

import dev.smartmq.api.Route;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.spi.ClaimedMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * CONCURRENT delivery of a claimed batch: a failed message stays claimed and is retried in memory after the
 * back-off ({@link ShardScheduler.RetryWork}) while its shard goes on, so a poison message never stalls anything;
 * at {@code maxDeliveryAttempts} it is dead-lettered. A message another delivery holds in the idempotency guard
 * is looked at again later without counting an attempt.
 *
 * <p>Threads: as {@link BatchDelivery}; {@link #retry} runs on whichever worker takes the retry.
 */
final class ConcurrentBatchDelivery extends BatchDelivery {
    private final ShardScheduler scheduler;

    ConcurrentBatchDelivery(SmartMQConfig config, HandlerInvoker invoker, ClaimLedger ledger, EngineMetrics metrics,
                            BooleanSupplier stopping, ShardScheduler scheduler) {
        super(config, invoker, ledger, metrics, stopping);
        this.scheduler = scheduler;
    }

    @Override
    long handle(ConsumerSubscription sub, List<ClaimedMessage> batch) {
        List<ClaimedMessage> done = new ArrayList<>(batch.size());
        int i = 0;
        for (; i < batch.size(); i++) {
            if (halted(sub)) {
                break;
            }
            ClaimedMessage m = batch.get(i);
            int attempt = m.envelope().attempts() + 1;
            HandlerInvoker.Outcome o = deliver(sub, m, attempt);
            if (o.ok()) {
                done.add(m);
            } else if (o.busy()) {
                inProgressElsewhere(sub, m, attempt);
            } else {
                failedInMemory(sub, m, attempt, o.reason());
            }
        }
        ledger.ack(done);
        ledger.releaseUnhandled(batch.subList(i, batch.size()));
        return 0;
    }

    /** A failed message's retry is due. */
    void retry(ShardScheduler.RetryWork r) {
        ClaimedMessage m = r.message;
        if (!ledger.startRetry(m)) {
            return; // released meanwhile (unsubscribe, close): its outcome is written
        }
        HandlerInvoker.Outcome o = deliver(r.sub, m, r.attempt);
        if (o.ok()) {
            ledger.ack(List.of(m));
        } else if (o.busy()) {
            inProgressElsewhere(r.sub, m, r.attempt);
        } else {
            failedInMemory(r.sub, m, r.attempt, o.reason());
        }
    }

    /** The guard says another delivery of m's id is in progress: look again later, without counting an attempt. */
    private void inProgressElsewhere(ConsumerSubscription sub, ClaimedMessage m, int attempt) {
        ledger.awaitRetry(m);
        scheduler.schedule(new ShardScheduler.RetryWork(sub, m, attempt), config.retryBackoffInitial().toNanos());
    }

    private void failedInMemory(ConsumerSubscription sub, ClaimedMessage m, int attempt, String reason) {
        if (attempt >= config.maxDeliveryAttempts()) {
            ledger.deadLetter(m, attempt, reason);
            return;
        }
        metrics.retriedFallback.mark();
        metrics.traffic.retried(sub.topic, sub.group, Route.FALLBACK);
        ledger.awaitRetry(m);
        scheduler.schedule(new ShardScheduler.RetryWork(sub, m, attempt + 1), backoffNanos(attempt));
    }
}
