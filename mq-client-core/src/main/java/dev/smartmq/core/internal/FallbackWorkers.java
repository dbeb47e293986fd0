package dev.smartmq.core.internal;

import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.internal.NamedThreadFactory;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.FallbackStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code consumerThreads} fallback workers ({@code smartmq-consumer-<n>}): each takes the earliest due work
 * from the {@link ShardScheduler}, claims up to {@code claimBatchSize} messages of the shard (ORDERED: after
 * taking the shard's lease, with a fenced claim), hands the batch to the ordering's {@link BatchDelivery} and
 * puts the shard back, due at once after a full claim, or after the idle delay when it had nothing: the
 * exponential back-off ({@code pollBackoffMin} to {@code pollBackoffMax}) while DEGRADED or RECOVERING,
 * {@code normalSweepInterval} in NORMAL.
 *
 * <p>Threads: {@link #start} and {@link #stop} are called by the consumer's lifecycle (start under the
 * registry lock); the work loop runs on the workers. A worker never dies of one work item.
 */
final class FallbackWorkers {
    private static final Logger log = LoggerFactory.getLogger(FallbackWorkers.class);

    private final SmartMQConfig config;
    private final FallbackStore store;
    private final SwitchTracker tracker;
    private final ShardScheduler scheduler;
    private final ClaimLedger ledger;
    private final OrderedShards orderedShards;
    private final ConcurrentBatchDelivery concurrent;
    private final OrderedBatchDelivery ordered;
    private final String consumerId;
    private final BooleanSupplier stopping;
    private final NamedThreadFactory threads = new NamedThreadFactory("consumer");
    private volatile boolean started;

    FallbackWorkers(SmartMQConfig config, FallbackStore store, SwitchTracker tracker, ShardScheduler scheduler,
                    ClaimLedger ledger, OrderedShards orderedShards, ConcurrentBatchDelivery concurrent,
                    OrderedBatchDelivery ordered, String consumerId, BooleanSupplier stopping) {
        this.config = config;
        this.store = store;
        this.tracker = tracker;
        this.scheduler = scheduler;
        this.ledger = ledger;
        this.orderedShards = orderedShards;
        this.concurrent = concurrent;
        this.ordered = ordered;
        this.consumerId = consumerId;
        this.stopping = stopping;
    }

    void start() {
        if (started) {
            return;
        }
        started = true;
        for (int i = 0; i < config.consumerThreads(); i++) {
            threads.newThread(this::run).start();
        }
    }

    /** Stops every worker after its current item, interrupting those still running at the deadline. */
    void stop(long deadlineNanos) {
        if (!started) {
            return;
        }
        scheduler.stopWorkers(config.consumerThreads());
        if (!threads.joinAll(deadlineNanos)) {
            log.warn("SmartMQ: handlers still running after shutdownTimeout {}; interrupting them",
                    config.shutdownTimeout());
            threads.threads().forEach(Thread::interrupt);
            threads.joinAll(System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
        }
    }

    private boolean halted(ConsumerSubscription sub) {
        return sub.cancelled || stopping.getAsBoolean();
    }

    private void run() {
        while (true) {
            ShardScheduler.Work w;
            try {
                w = scheduler.take();
            } catch (InterruptedException e) {
                return;
            }
            if (w instanceof ShardScheduler.StopWork) {
                return;
            }
            ConsumerSubscription sub = w.sub;
            sub.busy.increment();
            try {
                if (halted(sub)) {
                    continue;
                }
                if (w instanceof ShardScheduler.ShardWork s) {
                    poll(s);
                } else if (w instanceof ShardScheduler.RetryWork r) {
                    concurrent.retry(r);
                }
            } catch (Throwable e) {
                // Any Throwable: a worker never dies of one work item (handler Errors are handled in the invoker).
                log.error("SmartMQ consumer worker failed on {}", sub.subscription, e);
                if (w instanceof ShardScheduler.ShardWork s && !halted(sub)) {
                    scheduler.schedule(s, config.pollBackoffMax().toNanos());
                }
            } finally {
                sub.busy.decrement();
            }
        }
    }

    private void poll(ShardScheduler.ShardWork w) {
        ConsumerSubscription sub = w.sub;
        if (!sub.owns(w.shard)) {
            if (sub.ordered) {
                orderedShards.giveUp(sub, w.shard);
            }
            scheduler.schedule(w, idleDelay(w));
            return;
        }
        if (sub.ordered && !orderedShards.acquire(sub, w.shard)) {
            scheduler.schedule(w, idleDelay(w)); // another instance delivers it now
            return;
        }
        List<ClaimedMessage> batch;
        try {
            batch = sub.ordered
                    ? store.claimLeased(sub.topic, sub.group, w.shard, consumerId, config.claimBatchSize())
                    : store.claim(sub.topic, sub.group, w.shard, consumerId, config.claimBatchSize());
        } catch (RuntimeException e) {
            log.debug("SmartMQ: claim from shard {} of {} failed: {}", w.shard, sub.subscription, e.getMessage());
            scheduler.schedule(w, idleDelay(w));
            return;
        }
        if (batch == null || batch.isEmpty()) {
            scheduler.schedule(w, idleDelay(w));
            return;
        }
        ledger.track(batch);
        sub.backlogStale = true;
        w.emptyBackoffNanos = 0;
        long next = (sub.ordered ? ordered : concurrent).handle(sub, batch);
        if (!halted(sub)) {
            scheduler.schedule(w, next);
        }
    }

    /** Delay of a shard that had nothing for us: slow sweep in NORMAL, exponential back-off otherwise. */
    long idleDelay(ShardScheduler.ShardWork w) {
        if (tracker.effectiveState() == SwitchState.NORMAL) {
            w.emptyBackoffNanos = 0;
            return config.normalSweepInterval().toNanos();
        }
        long min = config.pollBackoffMin().toNanos();
        long max = config.pollBackoffMax().toNanos();
        w.emptyBackoffNanos = w.emptyBackoffNanos == 0 ? min : Math.min(max, w.emptyBackoffNanos * 2);
        return w.emptyBackoffNanos;
    }
}
