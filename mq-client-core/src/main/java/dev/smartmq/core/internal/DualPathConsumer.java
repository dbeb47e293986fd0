package dev.smartmq.core.internal;

import dev.smartmq.api.MessageHandler;
import dev.smartmq.api.SmartConsumer;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.Subscription;
import dev.smartmq.api.SwitchState;
import dev.smartmq.spi.ConsumerRegistry;
import dev.smartmq.spi.FallbackStore;
import dev.smartmq.spi.PrimaryTransport;
import dev.smartmq.spi.TransportException;
import dev.smartmq.spi.TransportSubscription;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer (DESIGN.md §6): every subscription reads the MQ through the transport and, at the same time,
 * the fallback shards through a worker pool of {@code consumerThreads} threads ({@code smartmq-consumer-<n>}).
 * This class is the lifecycle (subscribe, unsubscribe, close) and the periodic maintenance; the work is done by:
 *
 * <ul>
 *   <li>{@link SubscriptionRegistry} — the active subscriptions and the rules for adding one;</li>
 *   <li>{@link ShardScheduler} — one delay queue of shard, retry and stop work (no shard starves, nothing spins);</li>
 *   <li>{@link FallbackWorkers} — the workers that claim a shard's batch and put the shard back;</li>
 *   <li>{@link ConcurrentBatchDelivery} / {@link OrderedBatchDelivery} — what a failure means per ordering;</li>
 *   <li>{@link ClaimLedger} — claimed-and-unsettled messages: whoever removes an entry owns its outcome;</li>
 *   <li>{@link HandlerInvoker} — the handler call with the idempotency guard, shared by {@link MqPathListener}
 *       (the MQ path) and the batches (the fallback path);</li>
 *   <li>{@link OrderedShards} — allocation and leases of ORDERED shards; {@link BacklogGate} — the backlog gauge
 *       and the ORDERED gate that pauses the MQ side while the fallback backlog drains.</li>
 * </ul>
 *
 * <p><b>MQ path failures</b> follow the same rule as fallback ones ({@link MqPathRedelivery}): the transport gets
 * {@code maxDeliveryAttempts} and the back-off, and the last failed attempt goes to the same dead-letter list.
 *
 * <p>Threads: {@code subscribe}, {@code unsubscribe} and {@code close} may be called from any thread;
 * {@link #maintain} and {@link #reapOrphans} run on the engine's {@code smartmq-maintenance} thread, and
 * {@link #onEffectiveStateChanged} hands its work to that thread.
 */
final class DualPathConsumer implements SmartConsumer, SwitchTracker.EffectiveStateObserver {
    private static final Logger log = LoggerFactory.getLogger(DualPathConsumer.class);

    private final SmartMQConfig config;
    private final PrimaryTransport transport;
    private final FallbackStore store;
    private final ConsumerRegistry sw;
    private final SwitchTracker tracker;
    private final EngineMetrics metrics;
    private final String consumerId;
    private final Executor maintenance;
    private final MqPathRedelivery mqRedelivery;
    private final UnclaimedDistribution unclaimed;
    private final HandlerInvoker invoker;
    private final SubscriptionRegistry subscriptions = new SubscriptionRegistry();
    private final ShardScheduler scheduler = new ShardScheduler();
    private final ClaimLedger ledger;
    private final OrderedShards orderedShards;
    private final BacklogGate backlogGate;
    private final FallbackWorkers workers;
    private volatile boolean stopping;

    DualPathConsumer(SmartMQConfig config, PrimaryTransport transport, FallbackStore store, ConsumerRegistry sw,
                     SwitchTracker tracker, EngineMetrics metrics, HandlerIdempotency idempotency, String consumerId,
                     Executor maintenance) {
        this.config = config;
        this.transport = transport;
        this.store = store;
        this.sw = sw;
        this.tracker = tracker;
        this.metrics = metrics;
        this.consumerId = consumerId;
        this.maintenance = maintenance;
        this.unclaimed = new UnclaimedDistribution(store, sw);
        this.mqRedelivery = new MqPathRedelivery(config, store, metrics, consumerId);
        this.invoker = new HandlerInvoker(idempotency.guard(), idempotency.ttl(), idempotency.lease(), metrics);
        this.ledger = new ClaimLedger(store, metrics, config.maxDeliveryAttempts());
        this.orderedShards = new OrderedShards(store, sw, scheduler, consumerId, config.orderedShardLease(),
                config.pollBackoffMin());
        this.backlogGate = new BacklogGate(store, tracker, metrics);
        ConcurrentBatchDelivery concurrent = new ConcurrentBatchDelivery(config, invoker, ledger, metrics,
                () -> stopping, scheduler);
        OrderedBatchDelivery ordered = new OrderedBatchDelivery(config, invoker, ledger, metrics, () -> stopping,
                orderedShards.leases(), consumerId);
        this.workers = new FallbackWorkers(config, store, tracker, scheduler, ledger, orderedShards, concurrent, ordered,
                consumerId, () -> stopping);
    }

    String consumerId() {
        return consumerId;
    }

    @Override
    public void subscribe(Subscription subscription, MessageHandler handler) {
        Objects.requireNonNull(subscription, "subscription");
        Objects.requireNonNull(handler, "handler");
        subscriptions.add(subscription, () -> new ConsumerSubscription(subscription, handler, store.shardCount()),
                this::activate, this::startDelivering);
    }

    /** Registers {@code sub} in the group registry and with the MQ; undone if that fails. */
    private void activate(ConsumerSubscription sub) {
        backlogGate.initialise(sub);
        sub.registration = sw.registerConsumer(sub.topic, sub.group, consumerId);
        try {
            adopt(sub);
            subscribeTransport(sub);
        } catch (RuntimeException e) {
            sub.registration.close();
            throw e;
        }
    }

    private void startDelivering(ConsumerSubscription sub) {
        if (sub.ordered) {
            orderedShards.startRenewer();
            orderedShards.refreshAllocation(sub);
            backlogGate.refresh(sub);
        }
        workers.start();
        for (int shard = 0; shard < sub.shards; shard++) {
            scheduler.schedule(new ShardScheduler.ShardWork(sub, shard), 0);
        }
        log.info("SmartMQ consumer {} subscribed to {} ({} fallback shards)", consumerId, sub.subscription,
                sub.shards);
    }

    /** The active subscriptions as {@code topic/group}, sorted (for the instance registry). */
    SortedSet<String> subscriptionNames() {
        return subscriptions.names();
    }

    @Override
    public void unsubscribe(String topic, String group) {
        ConsumerSubscription sub = subscriptions.remove(topic, group);
        if (sub == null) {
            return;
        }
        long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
        cancel(sub, deadline);
        if (!sub.busy.awaitZero(deadline)) {
            log.warn("SmartMQ: handlers of {} still running after {}", sub.subscription, config.shutdownTimeout());
        }
        ledger.releaseAll(m -> m.topic().equals(sub.topic) && m.group().equals(sub.group));
        if (sub.ordered) {
            orderedShards.returnLostClaims();
            orderedShards.releaseAll(sub); // after the claims went back: the next holder finds them
        }
        closeRegistration(sub);
        log.info("SmartMQ consumer {} unsubscribed from {}", consumerId, sub.subscription);
    }

    /** Stops fetching, lets handlers finish (up to shutdownTimeout), returns unfinished claims. Idempotent. */
    @Override
    public void close() {
        if (!subscriptions.close()) {
            return;
        }
        stopping = true;
        long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
        for (ConsumerSubscription sub : subscriptions.all()) {
            cancel(sub, deadline);
        }
        workers.stop(deadline);
        for (ConsumerSubscription sub : subscriptions.all()) {
            sub.busy.awaitZero(deadline);
        }
        scheduler.clear();
        int released = ledger.releaseAll(m -> true);
        ledger.retryPendingStoreOps();
        if (ledger.pendingStoreOps() > 0) {
            log.error("SmartMQ: {} acknowledgements/releases could not be written; those messages stay claimed "
                    + "by {} until another instance recovers them as orphans", ledger.pendingStoreOps(), consumerId);
        }
        orderedShards.stopRenewer();
        for (ConsumerSubscription sub : subscriptions.all()) {
            if (sub.ordered) {
                orderedShards.releaseAll(sub);
            }
            closeRegistration(sub);
        }
        subscriptions.clear();
        log.info("SmartMQ consumer {} closed ({} claimed messages returned to their shards)", consumerId, released);
    }

    private void cancel(ConsumerSubscription sub, long deadline) {
        sub.cancelled = true;
        sub.gate.shut();
        TransportSubscription t = sub.transportSub;
        if (t != null) {
            try {
                // Stop pulling, let running MQ handlers finish within what is left, then persist offsets.
                t.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            } catch (RuntimeException e) {
                log.warn("SmartMQ: closing the MQ subscription {} failed", sub.subscription, e);
            }
        }
    }

    private void closeRegistration(ConsumerSubscription sub) {
        try {
            sub.registration.close();
        } catch (RuntimeException e) {
            log.warn("SmartMQ: closing the registration of {} failed", sub.subscription, e);
        }
    }

    private void adopt(ConsumerSubscription sub) {
        try {
            // Every registered group gets them, not just this one (issue 12): see UnclaimedDistribution.
            if (unclaimed.distribute(sub.topic, sub.group).isPresent()) {
                sub.adopted = true;
            }
        } catch (RuntimeException e) {
            log.warn("SmartMQ: adopting unclaimed messages of {} failed ({}); retrying later", sub.topic,
                    e.getMessage());
        }
    }

    private void subscribeTransport(ConsumerSubscription sub) {
        try {
            TransportSubscription t = transport.subscribe(sub.subscription,
                    mqRedelivery.listener(new MqPathListener(sub, invoker, mqRedelivery)));
            synchronized (sub.gate) {
                sub.transportSub = t;
                if (!sub.gate.isOpen()) {
                    t.pause();
                }
            }
        } catch (TransportException e) {
            if (!e.isInfrastructure()) {
                throw e;
            }
            // The MQ is down: the fallback side runs now, the MQ side is retried by the maintenance loop.
            log.warn("SmartMQ: MQ subscription {} failed ({}); consuming the fallback store, retrying the MQ later",
                    sub.subscription, e.getMessage());
        }
    }

    /** Runs every drainCheckInterval: retries, allocation, backlog gauges and ORDERED gates. */
    void maintain() {
        if (subscriptions.isClosed()) {
            return;
        }
        ledger.retryPendingStoreOps();
        orderedShards.returnLostClaims();
        for (ConsumerSubscription sub : subscriptions.all()) {
            if (sub.cancelled) {
                continue;
            }
            try {
                if (!sub.adopted) {
                    adopt(sub);
                }
                if (sub.transportSub == null) {
                    subscribeTransport(sub);
                }
                orderedShards.refreshAllocation(sub);
                // In NORMAL the backlog only feeds the gauge (an ORDERED gate is open whatever it is), and a full
                // read costs two commands per shard: re-read it only after a sweep claimed something or the
                // state changed, not every tick (it was 256-384 Redis commands/s per idle subscription).
                if (sub.backlogStale || tracker.effectiveState() != SwitchState.NORMAL) {
                    sub.backlogStale = false;
                    backlogGate.refresh(sub);
                }
            } catch (RuntimeException e) {
                log.warn("SmartMQ: maintenance of {} failed: {}", sub.subscription, e.toString());
            }
        }
    }

    /** Runs every orphanReapInterval: returns claims of dead instances of our groups to their shards. */
    void reapOrphans() {
        if (subscriptions.isClosed()) {
            return;
        }
        for (ConsumerSubscription sub : subscriptions.all()) {
            try {
                Optional<Set<String>> live = sw.liveConsumers(sub.topic, sub.group);
                if (live == null || live.isEmpty()) {
                    continue; // nobody can tell who is dead now
                }
                Set<String> alive = new HashSet<>(live.get());
                alive.add(consumerId);
                int recovered = store.recoverOrphans(sub.topic, sub.group, alive);
                if (recovered > 0) {
                    metrics.orphansRecovered.inc(recovered);
                    log.warn("SmartMQ: returned {} messages claimed by dead consumers of ({}, {}) to their shards",
                            recovered, sub.topic, sub.group);
                }
            } catch (RuntimeException e) {
                log.warn("SmartMQ: orphan recovery of {} failed: {}", sub.subscription, e.toString());
            }
        }
    }

    @Override
    public void onEffectiveStateChanged(SwitchState previous, SwitchState current) {
        // May be called on a producer's thread (a detector trip): hand the work to the maintenance thread.
        try {
            maintenance.execute(() -> {
                for (ConsumerSubscription sub : subscriptions.all()) {
                    if (sub.cancelled) {
                        continue;
                    }
                    sub.backlogStale = true;
                    if (current != SwitchState.NORMAL) {
                        scheduler.wake(sub, config.pollBackoffMin().toNanos());
                    }
                    if (sub.ordered) {
                        backlogGate.refresh(sub);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            log.debug("SmartMQ: closing, gates not re-evaluated");
        }
    }
}
