package dev.smartmq.core.internal;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.spi.IdempotencyGuard;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a subscription's handler once on one message, for both paths (the MQ listener and the fallback batches),
 * with the idempotency guard around it when there is one: a short in-progress lease on the id before (so a
 * consumer that dies inside the handler leaves nothing that outlives the lease), the handled record only after
 * success, and the lease dropped after a failure (the retry is let in at once). Any {@link Throwable} of the
 * handler is a failed delivery, never the end of the calling thread.
 *
 * <p>Threads: stateless apart from its final collaborators; called concurrently by workers and MQ listener
 * threads. It does not count {@link ConsumerSubscription#busy}: callers do.
 */
final class HandlerInvoker {
    private static final Logger log = LoggerFactory.getLogger(HandlerInvoker.class);

    /** Result of one delivery: {@code busy} when the guard says another delivery of the id is in progress. */
    record Outcome(boolean ok, boolean busy, String reason) {
        static final Outcome OK = new Outcome(true, false, null);
        static final Outcome BUSY = new Outcome(false, true, "in progress in another delivery");
    }

    private final IdempotencyGuard guard;
    private final Duration idempotencyTtl;
    private final Duration idempotencyLease;
    private final EngineMetrics metrics;

    /** @param guard {@code null} for none */
    HandlerInvoker(IdempotencyGuard guard, Duration idempotencyTtl, Duration idempotencyLease, EngineMetrics metrics) {
        this.guard = guard;
        this.idempotencyTtl = idempotencyTtl;
        this.idempotencyLease = idempotencyLease;
        this.metrics = metrics;
    }

    Outcome invoke(ConsumerSubscription sub, ReceivedMessage rm) {
        boolean leased = false;
        if (guard != null) {
            IdempotencyGuard.Verdict verdict;
            try {
                verdict = guard.begin(sub.group, rm.id(), idempotencyLease);
            } catch (RuntimeException e) {
                // Without the guard we cannot tell; at-least-once says deliver.
                log.debug("SmartMQ: idempotency guard unavailable ({}); delivering {}", e.getMessage(), rm.id());
                verdict = IdempotencyGuard.Verdict.FIRST;
            }
            if (verdict == IdempotencyGuard.Verdict.HANDLED) {
                metrics.duplicates.mark();
                return Outcome.OK;
            }
            if (verdict == IdempotencyGuard.Verdict.IN_PROGRESS) {
                log.debug("SmartMQ: {} is being handled by another delivery; retrying it later", rm.id());
                return Outcome.BUSY;
            }
            leased = true;
        }
        ConsumeResult result = null;
        Throwable failure = null;
        try {
            result = sub.handler.handle(rm);
        } catch (Throwable t) {
            // An Error (StackOverflowError, OutOfMemoryError, AssertionError) is a failed delivery like an
            // exception: the message is retried or dead-lettered, and the thread that called the handler lives on.
            if (t instanceof VirtualMachineError) {
                log.error("SmartMQ: handler of {} threw {} on message {}; treated as a failed delivery",
                        sub.subscription, t.getClass().getName(), rm.id());
            }
            failure = t;
        }
        if (result == ConsumeResult.SUCCESS) {
            metrics.consumed(rm.route()).mark();
            metrics.traffic.consumed(sub.topic, sub.group, rm.route());
            if (leased) {
                try {
                    guard.handled(sub.group, rm.id(), idempotencyTtl);
                } catch (RuntimeException e) {
                    log.warn("SmartMQ: could not record {} as handled in the idempotency guard ({}); a redelivery "
                            + "after its lease would be handled again", rm.id(), e.getMessage());
                }
            }
            return Outcome.OK;
        }
        if (leased) {
            try {
                guard.forget(sub.group, rm.id());
            } catch (RuntimeException e) {
                log.warn("SmartMQ: could not forget {} in the idempotency guard; a redelivery may be skipped",
                        rm.id());
            }
        }
        String reason = failure == null ? "handler returned " + result
                : "handler threw " + failure.getClass().getName() + ": " + failure.getMessage();
        log.debug("SmartMQ: delivery {} of {} via {} failed: {}", rm.deliveryAttempt(), rm.id(), rm.route(), reason);
        return new Outcome(false, false, reason);
    }
}
