package dev.smartmq.core.internal;

import dev.smartmq.api.internal.NamedThreadFactory;
import dev.smartmq.spi.ConsumerRegistry;
import dev.smartmq.spi.FallbackStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which ORDERED fallback shards this instance delivers: the allocation among the group's live instances (sorted
 * ids, RocketMQ's "allocate averagely"; while the registry cannot be read every shard is a candidate), the
 * shard leases in the store ({@link ShardLeases}) that make one instance at a time deliver a shard, their
 * renewal on {@code smartmq-lease-1}, and returning lost claims before a shard is given up, so the next holder
 * finds them.
 *
 * <p>Threads: {@link #refreshAllocation} runs on the subscribing thread and the maintenance thread (never both
 * for one subscription at once: the subscription is added under the registry lock before maintenance sees it);
 * {@link #acquire} and {@link #giveUp} on the worker that polls the shard; the renewer on its own thread;
 * {@link #startRenewer} under the registry lock.
 */
final class OrderedShards {
    private static final Logger log = LoggerFactory.getLogger(OrderedShards.class);

    private final FallbackStore store;
    private final ConsumerRegistry sw;
    private final ShardScheduler scheduler;
    private final String consumerId;
    private final long wakeSoonNanos;
    private final ShardLeases leases;
    private final NamedThreadFactory leaseThreads = new NamedThreadFactory("lease");
    /** Renews the ordered shard leases; started by the first ORDERED subscription. */
    private volatile ScheduledThreadPoolExecutor renewer;

    OrderedShards(FallbackStore store, ConsumerRegistry sw, ShardScheduler scheduler, String consumerId,
                  Duration lease, Duration wakeSoon) {
        this.store = store;
        this.sw = sw;
        this.scheduler = scheduler;
        this.consumerId = consumerId;
        this.wakeSoonNanos = wakeSoon.toNanos();
        this.leases = new ShardLeases(store, consumerId, lease);
    }

    ShardLeases leases() {
        return leases;
    }

    void startRenewer() {
        if (renewer != null) {
            return;
        }
        ScheduledThreadPoolExecutor r = new ScheduledThreadPoolExecutor(1, leaseThreads);
        long every = leases.renewIntervalNanos();
        r.scheduleWithFixedDelay(SurvivingJob.of("ordered shard lease renewal", leases::renewAll), every, every,
                TimeUnit.NANOSECONDS);
        renewer = r;
    }

    void stopRenewer() {
        ScheduledThreadPoolExecutor r = renewer;
        if (r != null) {
            NamedThreadFactory.shutdown(r, leaseThreads, System.nanoTime() + TimeUnit.SECONDS.toNanos(1), 100);
        }
    }

    /** Whether this instance holds the lease of the shard now, taking it if free; a store failure is "no". */
    boolean acquire(ConsumerSubscription sub, int shard) {
        try {
            return leases.acquire(sub.topic, sub.group, shard);
        } catch (RuntimeException e) {
            log.debug("SmartMQ: lease of shard {} of {} not taken: {}", shard, sub.subscription, e.getMessage());
            return false;
        }
    }

    /** The shard is not ours any more: our lost claims go back first, then the lease, so the next holder finds them. */
    void giveUp(ConsumerSubscription sub, int shard) {
        if (leases.tookLease(sub.topic, sub.group, shard)) {
            returnLostClaims();
            leases.release(sub.topic, sub.group, shard);
        }
    }

    /** Gives up every lease of {@code sub} (after its claims went back: the next holder finds them). */
    void releaseAll(ConsumerSubscription sub) {
        leases.releaseAll(sub.topic, sub.group);
    }

    /**
     * Returns claims whose reply was lost (the store tracks them) to their shards: on every maintenance tick and
     * when this instance stops claiming a shard, so none stays in flight because nobody claims its shard again.
     */
    void returnLostClaims() {
        try {
            int n = store.returnLostClaims();
            if (n > 0) {
                log.info("SmartMQ: returned {} messages of claims whose reply was lost to their shards", n);
            }
        } catch (RuntimeException e) {
            log.debug("SmartMQ: returning lost claims failed ({}); retrying at the next tick", e.getMessage());
        }
    }

    /** Re-reads the group's live instances and the shards of {@code sub} this instance drains (ORDERED only). */
    void refreshAllocation(ConsumerSubscription sub) {
        if (!sub.ordered) {
            return;
        }
        Optional<Set<String>> live = sw.liveConsumers(sub.topic, sub.group);
        List<String> sorted;
        BitSet owned;
        boolean unknown = live == null || live.isEmpty();
        if (unknown) {
            // The registry cannot be read (ZooKeeper unreachable, perhaps since before we subscribed): every shard is
            // a candidate, and the shard leases decide who delivers which (nobody takes a shard another holds).
            sorted = List.of();
            owned = new BitSet(sub.shards);
            owned.set(0, sub.shards);
        } else {
            sorted = new ArrayList<>(live.get());
            Collections.sort(sorted);
            owned = ShardAllocation.averagely(sub.shards, sorted, consumerId);
        }
        if (!owned.equals(sub.owned)) {
            log.info("SmartMQ: consumer {} drains {} of {} shards of ordered {} ({})", consumerId,
                    owned.cardinality(), sub.shards, sub.subscription,
                    unknown ? "registry unknown: every shard whose lease is free" : sorted.size() + " live instances");
            BitSet given = (BitSet) sub.owned.clone();
            given.andNot(owned);
            sub.owned = owned;
            if (!given.isEmpty()) {
                returnLostClaims(); // we no longer claim those shards: nobody else would return our lost claims
            }
            scheduler.wake(sub, wakeSoonNanos);
        }
    }
}
