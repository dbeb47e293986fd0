package dev.smartmq.core.internal;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.MessageHandler;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Route;
import dev.smartmq.api.SmartConsumer;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.Subscription;
import dev.smartmq.api.SwitchState;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.ConsumerRegistration;
import dev.smartmq.spi.ConsumerRegistry;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FallbackStore;
import dev.smartmq.spi.IdempotencyGuard;
import dev.smartmq.spi.NotDeliveredException;
import dev.smartmq.spi.PrimaryTransport;
import dev.smartmq.spi.TransportException;
import dev.smartmq.spi.TransportListener;
import dev.smartmq.spi.TransportSubscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer (DESIGN.md §6): every subscription reads the MQ through the transport and, at the same time,
 * the fallback shards through a worker pool of {@code consumerThreads} threads ({@code smartmq-consumer-<n>}).
 *
 * <p><b>Shard scheduling.</b> Every (subscription, shard) is one work item in a delay queue ordered by
 * next-due time. A worker takes the earliest due item, claims up to {@code claimBatchSize} messages, handles
 * them and puts the item back due <em>now</em>, i.e. behind every item already due: no shard starves. An empty
 * shard is due again after an exponential back-off ({@code pollBackoffMin} to {@code pollBackoffMax}) while
 * the effective state is DEGRADED or RECOVERING, and after {@code normalSweepInterval} in NORMAL. Idle workers
 * block in the queue; nothing spins. A move to DEGRADED or RECOVERING pulls every sleeping shard forward.
 *
 * <p><b>Failures.</b> CONCURRENT: a failed message stays claimed and is retried in memory after
 * {@code retryBackoffInitial·2^(attempt-1)} (capped at {@code retryBackoffMax}) while its shard goes on, so a
 * poison message never stalls anything; at {@code maxDeliveryAttempts} it is dead-lettered. ORDERED: a failure
 * ends the batch; the rest of the batch goes back to the shard head uncounted, the failed message in front
 * of it with its attempt counted in the store, and the shard waits the back-off (order holds).
 *
 * <p><b>ORDERED across instances.</b> Shards are split among the group's live instances (sorted ids, RocketMQ's
 * "allocate averagely"); an instance that cannot see itself among the live ones drains no shard; while the
 * registry cannot be read at all, every shard is a candidate. The allocation only spreads the load: what makes
 * one instance at a time deliver a shard is the shard's lease in the store ({@link ShardLeases}), taken before
 * claiming, renewed on {@code smartmq-lease-1} while the shard is owned, checked before every delivery and
 * before the ack, and given up (after returning lost claims) when the shard is no longer owned. A fenced claim
 * ({@link FallbackStore#claimLeased}) also waits until nothing of the shard is in flight, so a new holder never
 * overtakes the batch of the previous one. The MQ side
 * is paused while the effective state is DEGRADED, and while RECOVERING until this group's fallback backlog is
 * zero. Messages the MQ had fetched before the pause wait at a gate (up to a second each, then handed back
 * as not delivered, which counts no attempt), so no MQ message overtakes the fallback backlog.
 *
 * <p><b>MQ path failures</b> follow the same rule ({@link MqPathRedelivery}): the transport gets
 * {@code maxDeliveryAttempts} and the back-off, and the last failed attempt goes to the same dead-letter list.
 */
final class DualPathConsumer implements SmartConsumer, SwitchTracker.EffectiveStateObserver {
    private static final Logger log = LoggerFactory.getLogger(DualPathConsumer.class);
    private static final long GATE_WAIT_MILLIS = 1000;

    private final SmartMQConfig config;
    private final PrimaryTransport transport;
    private final FallbackStore store;
    private final ConsumerRegistry sw;
    private final SwitchTracker tracker;
    private final EngineMetrics metrics;
    private final IdempotencyGuard guard;
    private final Duration idempotencyTtl;
    private final Duration idempotencyLease;
    private final String consumerId;
    private final Executor maintenance;
    private final MqPathRedelivery mqRedelivery;

    private final UnclaimedDistribution unclaimed;
    private final ConcurrentMap<String, ActiveSubscription> subscriptions = new ConcurrentHashMap<>();
    private final DelayQueue<Work> queue = new DelayQueue<>();
    private final AtomicLong order = new AtomicLong();
    /** Claimed and not yet acked, released or dead-lettered; whoever removes an entry owns its outcome. */
    private final Set<ClaimedMessage> inFlight = ConcurrentHashMap.newKeySet();
    /** Claimed messages that failed and wait in the queue for an in-memory retry. */
    private final Set<ClaimedMessage> awaitingRetry = ConcurrentHashMap.newKeySet();
    /** Store writes that failed; retried by the maintenance loop so nothing stays claimed for ever. */
    private final ConcurrentLinkedQueue<Runnable> pendingStoreOps = new ConcurrentLinkedQueue<>();
    private final NamedThreadFactory workerThreads = new NamedThreadFactory("consumer");
    private final ShardLeases leases;
    private final NamedThreadFactory leaseThreads = new NamedThreadFactory("lease");
    /** Renews the ordered shard leases; started by the first ORDERED subscription. */
    private volatile ScheduledThreadPoolExecutor leaseRenewer;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Object subscribeLock = new Object();
    private volatile boolean workersStarted;
    private volatile boolean stopping;

    DualPathConsumer(SmartMQConfig config, PrimaryTransport transport, FallbackStore store, ConsumerRegistry sw,
                     SwitchTracker tracker, EngineMetrics metrics, IdempotencyGuard guard, Duration idempotencyTtl,
                     Duration idempotencyLease, String consumerId, Executor maintenance) {
        this.config = config;
        this.transport = transport;
        this.store = store;
        this.sw = sw;
        this.tracker = tracker;
        this.metrics = metrics;
        this.guard = guard;
        this.idempotencyTtl = idempotencyTtl;
        this.idempotencyLease = idempotencyLease;
        this.consumerId = consumerId;
        this.maintenance = maintenance;
        this.leases = new ShardLeases(store, consumerId, config.orderedShardLease());
        this.unclaimed = new UnclaimedDistribution(store, sw);
        this.mqRedelivery = new MqPathRedelivery(config, store, metrics, consumerId);
    }

    String consumerId() {
        return consumerId;
    }

    // ---------------------------------------------------------------- subscribe / unsubscribe

    @Override
    public void subscribe(Subscription subscription, MessageHandler handler) {
        Objects.requireNonNull(subscription, "subscription");
        Objects.requireNonNull(handler, "handler");
        synchronized (subscribeLock) {
            if (closed.get()) {
                throw new IllegalStateException("SmartMQ consumer is closed");
            }
            String key = key(subscription.topic(), subscription.group());
            if (subscriptions.containsKey(key)) {
                throw new IllegalStateException("(" + subscription.topic() + ", " + subscription.group()
                        + ") is already subscribed on this SmartMQ instance");
            }
            for (ActiveSubscription other : subscriptions.values()) {
                if (other.group.equals(subscription.group()) && other.subscription.ordering() != subscription.ordering()) {
                    throw new ConfigurationException("ordering of group " + subscription.group() + " must be "
                            + other.subscription.ordering() + " like its other subscriptions, but was "
                            + subscription.ordering());
                }
            }
            ActiveSubscription sub = new ActiveSubscription(subscription, handler);
            if (sub.ordered) {
                sub.gate.set(tracker.effectiveState() == SwitchState.NORMAL);
            }
            sub.registration = sw.registerConsumer(sub.topic, sub.group, consumerId);
            try {
                adopt(sub);
                subscribeTransport(sub);
            } catch (RuntimeException e) {
                sub.registration.close();
                throw e;
            }
            subscriptions.put(key, sub);
            if (sub.ordered) {
                startLeaseRenewer();
                refreshAllocation(sub);
                refreshBacklogAndGate(sub);
            }
            startWorkers();
            for (int shard = 0; shard < sub.shards; shard++) {
                schedule(new ShardWork(sub, shard), 0);
            }
            log.info("SmartMQ consumer {} subscribed to {} ({} fallback shards)", consumerId, subscription,
                    sub.shards);
        }
    }

    /** The active subscriptions as {@code topic/group}, sorted (for the instance registry). */
    java.util.SortedSet<String> subscriptionNames() {
        java.util.SortedSet<String> names = new java.util.TreeSet<>();
        for (ActiveSubscription sub : subscriptions.values()) {
            names.add(sub.subscription.topic() + "/" + sub.subscription.group());
        }
        return names;
    }

    @Override
    public void unsubscribe(String topic, String group) {
        ActiveSubscription sub;
        synchronized (subscribeLock) {
            sub = subscriptions.remove(key(topic, group));
        }
        if (sub == null) {
            return;
        }
        long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
        cancel(sub, deadline);
        if (!sub.busy.awaitZero(deadline)) {
            log.warn("SmartMQ: handlers of {} still running after {}", sub.subscription, config.shutdownTimeout());
        }
        releaseAll(m -> m.topic().equals(sub.topic) && m.group().equals(sub.group));
        if (sub.ordered) {
            returnLostClaims();
            leases.releaseAll(sub.topic, sub.group); // after the claims went back: the next holder finds them
        }
        closeRegistration(sub);
        log.info("SmartMQ consumer {} unsubscribed from {}", consumerId, sub.subscription);
    }

    /** Stops fetching, lets handlers finish (up to shutdownTimeout), returns unfinished claims. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        synchronized (subscribeLock) {
            stopping = true;
        }
        long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
        for (ActiveSubscription sub : subscriptions.values()) {
            cancel(sub, deadline);
        }
        if (workersStarted) {
            for (int i = 0; i < config.consumerThreads(); i++) {
                queue.add(new StopWork(order.incrementAndGet()));
            }
            if (!workerThreads.joinAll(deadline)) {
                log.warn("SmartMQ: handlers still running after shutdownTimeout {}; interrupting them",
                        config.shutdownTimeout());
                workerThreads.threads().forEach(Thread::interrupt);
                workerThreads.joinAll(System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
            }
        }
        for (ActiveSubscription sub : subscriptions.values()) {
            sub.busy.awaitZero(deadline);
        }
        queue.clear();
        int released = releaseAll(m -> true);
        retryPendingStoreOps();
        if (!pendingStoreOps.isEmpty()) {
            log.error("SmartMQ: {} acknowledgements/releases could not be written; those messages stay claimed "
                    + "by {} until another instance recovers them as orphans", pendingStoreOps.size(), consumerId);
        }
        ScheduledThreadPoolExecutor renewer = leaseRenewer;
        if (renewer != null) {
            NamedThreadFactory.shutdown(renewer, leaseThreads, System.nanoTime() + TimeUnit.SECONDS.toNanos(1), 100);
        }
        for (ActiveSubscription sub : subscriptions.values()) {
            if (sub.ordered) {
                leases.releaseAll(sub.topic, sub.group);
            }
            closeRegistration(sub);
        }
        subscriptions.clear();
        log.info("SmartMQ consumer {} closed ({} claimed messages returned to their shards)", consumerId, released);
    }

    private void cancel(ActiveSubscription sub, long deadline) {
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

    private void closeRegistration(ActiveSubscription sub) {
        try {
            sub.registration.close();
        } catch (RuntimeException e) {
            log.warn("SmartMQ: closing the registration of {} failed", sub.subscription, e);
        }
    }

    private void adopt(ActiveSubscription sub) {
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

    private void subscribeTransport(ActiveSubscription sub) {
        try {
            TransportSubscription t = transport.subscribe(sub.subscription, mqRedelivery.listener(listenerFor(sub)));
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

    // ---------------------------------------------------------------- workers

    private void startWorkers() {
        if (workersStarted) {
            return;
        }
        workersStarted = true;
        for (int i = 0; i < config.consumerThreads(); i++) {
            workerThreads.newThread(this::runWorker).start();
        }
    }

    private void startLeaseRenewer() {
        if (leaseRenewer != null) {
            return;
        }
        ScheduledThreadPoolExecutor renewer = new ScheduledThreadPoolExecutor(1, leaseThreads);
        long every = leases.renewIntervalNanos();
        renewer.scheduleWithFixedDelay(SurvivingJob.of("ordered shard lease renewal", leases::renewAll), every, every,
                TimeUnit.NANOSECONDS);
        leaseRenewer = renewer;
    }

    private void runWorker() {
        while (true) {
            Work w;
            try {
                w = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (w instanceof StopWork) {
                return;
            }
            ActiveSubscription sub = w.sub;
            sub.busy.increment();
            try {
                if (sub.cancelled || stopping) {
                    continue;
                }
                if (w instanceof ShardWork s) {
                    pollShard(s);
                } else if (w instanceof RetryWork r) {
                    retry(r);
                }
            } catch (Throwable e) {
                // Any Throwable: a worker never dies of one work item (handler Errors are handled in invoke).
                log.error("SmartMQ consumer worker failed on {}", sub.subscription, e);
                if (w instanceof ShardWork s && !sub.cancelled && !stopping) {
                    schedule(s, config.pollBackoffMax().toNanos());
                }
            } finally {
                sub.busy.decrement();
            }
        }
    }

    private void pollShard(ShardWork w) {
        ActiveSubscription sub = w.sub;
        if (!sub.owns(w.shard)) {
            if (sub.ordered && leases.tookLease(sub.topic, sub.group, w.shard)) {
                // Not ours any more: our lost claims go back first, then the lease, so the next holder finds them.
                returnLostClaims();
                leases.release(sub.topic, sub.group, w.shard);
            }
            schedule(w, idleDelay(w));
            return;
        }
        if (sub.ordered) {
            boolean held;
            try {
                held = leases.acquire(sub.topic, sub.group, w.shard);
            } catch (RuntimeException e) {
                log.debug("SmartMQ: lease of shard {} of {} not taken: {}", w.shard, sub.subscription, e.getMessage());
                held = false;
            }
            if (!held) {
                schedule(w, idleDelay(w)); // another instance delivers it now
                return;
            }
        }
        List<ClaimedMessage> batch;
        try {
            batch = sub.ordered
                    ? store.claimLeased(sub.topic, sub.group, w.shard, consumerId, config.claimBatchSize())
                    : store.claim(sub.topic, sub.group, w.shard, consumerId, config.claimBatchSize());
        } catch (RuntimeException e) {
            log.debug("SmartMQ: claim from shard {} of {} failed: {}", w.shard, sub.subscription, e.getMessage());
            schedule(w, idleDelay(w));
            return;
        }
        if (batch == null || batch.isEmpty()) {
            schedule(w, idleDelay(w));
            return;
        }
        inFlight.addAll(batch);
        sub.backlogStale = true;
        w.emptyBackoffNanos = 0;
        long next = sub.ordered ? handleOrdered(sub, batch) : handleConcurrent(sub, batch);
        if (!sub.cancelled && !stopping) {
            schedule(w, next);
        }
    }

    /** Delay of a shard that had nothing for us: slow sweep in NORMAL, exponential back-off otherwise. */
    private long idleDelay(ShardWork w) {
        if (tracker.effectiveState() == SwitchState.NORMAL) {
            w.emptyBackoffNanos = 0;
            return config.normalSweepInterval().toNanos();
        }
        long min = config.pollBackoffMin().toNanos();
        long max = config.pollBackoffMax().toNanos();
        w.emptyBackoffNanos = w.emptyBackoffNanos == 0 ? min : Math.min(max, w.emptyBackoffNanos * 2);
        return w.emptyBackoffNanos;
    }

    private long handleConcurrent(ActiveSubscription sub, List<ClaimedMessage> batch) {
        List<ClaimedMessage> done = new ArrayList<>(batch.size());
        int i = 0;
        for (; i < batch.size(); i++) {
            if (sub.cancelled || stopping) {
                break;
            }
            ClaimedMessage m = batch.get(i);
            int attempt = m.envelope().attempts() + 1;
            Outcome o = deliver(sub, m, attempt);
            if (o.ok) {
                done.add(m);
            } else if (o.busy) {
                inProgressElsewhere(sub, m, attempt);
            } else {
                failedInMemory(sub, m, attempt, o.reason);
            }
        }
        ack(done);
        releaseUnhandled(batch.subList(i, batch.size()));
        return 0;
    }

    private long handleOrdered(ActiveSubscription sub, List<ClaimedMessage> batch) {
        List<ClaimedMessage> done = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            if (sub.cancelled || stopping) {
                ackOrdered(sub, done);
                releaseUnhandled(batch.subList(i, batch.size()));
                return 0;
            }
            ClaimedMessage m = batch.get(i);
            if (!leases.holds(sub.topic, sub.group, m.shard())) {
                // Not renewed in time (store unreachable, or this process stalled): stop delivering the shard. The
                // rest goes back to the head; the fenced claim of the next holder waits until it is there.
                log.warn("SmartMQ: consumer {} no longer holds the lease of ordered shard {} of {}; {} claimed messages "
                        + "go back to the shard undelivered", consumerId, m.shard(), sub.subscription, batch.size() - i);
                ackOrdered(sub, done);
                releaseUnhandled(batch.subList(i, batch.size()));
                return 0;
            }
            int attempt = m.envelope().attempts() + 1;
            Outcome o = deliver(sub, m, attempt);
            if (o.ok) {
                done.add(m);
                continue;
            }
            if (o.busy) {
                // Another delivery of this id holds the guard's in-progress lease: not an attempt; keep the order.
                ackOrdered(sub, done);
                releaseUnhandled(batch.subList(i, batch.size()));
                return config.retryBackoffInitial().toNanos();
            }
            if (attempt >= config.maxDeliveryAttempts()) {
                deadLetter(m, attempt, o.reason);
                continue;
            }
            // Order: the rest goes back first (uncounted), then the failed one in front of it (counted).
            metrics.retriedFallback.mark();
            ackOrdered(sub, done);
            releaseUnhandled(batch.subList(i + 1, batch.size()));
            release(m, true);
            return backoffNanos(attempt);
        }
        ackOrdered(sub, done);
        return 0;
    }

    /**
     * Acks handled messages of an ordered shard, checking the lease first. They are acked even if it was lost:
     * their handler ran, and returning them would deliver them twice and after newer ones. A lost lease here
     * means the shard was unfenced for a while (this process stalled past the lease); that is logged loudly.
     */
    private void ackOrdered(ActiveSubscription sub, List<ClaimedMessage> done) {
        if (!done.isEmpty() && !leases.holds(sub.topic, sub.group, done.get(0).shard())) {
            log.warn("SmartMQ: consumer {} acks {} handled messages of ordered shard {} of {} after its lease ran out "
                    + "(the handler took longer than the lease could be trusted, or the process stalled)", consumerId,
                    done.size(), done.get(0).shard(), sub.subscription);
        }
        ack(done);
    }

    /** The guard says another delivery of m's id is in progress: look again later, without counting an attempt. */
    private void inProgressElsewhere(ActiveSubscription sub, ClaimedMessage m, int attempt) {
        awaitingRetry.add(m);
        schedule(new RetryWork(sub, m, attempt), config.retryBackoffInitial().toNanos());
    }

    private void failedInMemory(ActiveSubscription sub, ClaimedMessage m, int attempt, String reason) {
        if (attempt >= config.maxDeliveryAttempts()) {
            deadLetter(m, attempt, reason);
            return;
        }
        metrics.retriedFallback.mark();
        awaitingRetry.add(m);
        schedule(new RetryWork(sub, m, attempt + 1), backoffNanos(attempt));
    }

    private void retry(RetryWork r) {
        ClaimedMessage m = r.message;
        awaitingRetry.remove(m);
        if (!inFlight.contains(m)) {
            return;
        }
        Outcome o = deliver(r.sub, m, r.attempt);
        if (o.ok) {
            ack(List.of(m));
        } else if (o.busy) {
            inProgressElsewhere(r.sub, m, r.attempt);
        } else {
            failedInMemory(r.sub, m, r.attempt, o.reason);
        }
    }

    long backoffNanos(int attempt) {
        long max = config.retryBackoffMax().toNanos();
        long d = config.retryBackoffInitial().toNanos();
        for (int i = 1; i < attempt && d < max; i++) {
            d *= 2;
        }
        return Math.min(d, max);
    }

    // ---------------------------------------------------------------- delivery

    /** Result of one delivery: {@code busy} when the guard says another delivery of the id is in progress. */
    record Outcome(boolean ok, boolean busy, String reason) {
        static final Outcome OK = new Outcome(true, false, null);
        static final Outcome BUSY = new Outcome(false, true, "in progress in another delivery");
    }

    private Outcome deliver(ActiveSubscription sub, ClaimedMessage m, int attempt) {
        Envelope e = m.envelope();
        if (!sub.subscription.acceptsTag(e.message().tags())) {
            return Outcome.OK;
        }
        return invoke(sub, new ReceivedMessage(e.id(), e.message(), e.bornTimestamp(), attempt, Route.FALLBACK));
    }

    /**
     * Runs the handler once. With a guard: a short in-progress lease on the id before (so a consumer that dies
     * inside the handler leaves nothing that outlives the lease), the handled record only after success, and the
     * lease dropped after a failure (the retry is let in at once).
     */
    private Outcome invoke(ActiveSubscription sub, ReceivedMessage rm) {
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

    private TransportListener listenerFor(ActiveSubscription sub) {
        return rm -> {
            // Neither reached the handler: the MQ offers it again without counting an attempt.
            if (sub.ordered && !sub.gate.awaitOpen(GATE_WAIT_MILLIS)) {
                throw new NotDeliveredException("ordered gate of " + sub.subscription + " closed");
            }
            if (sub.cancelled) {
                throw new NotDeliveredException(sub.subscription + " is closing");
            }
            sub.busy.increment();
            try {
                Outcome o = invoke(sub, rm);
                if (o.ok) {
                    return ConsumeResult.SUCCESS;
                }
                if (o.busy) {
                    // Another delivery of this id holds the guard's in-progress lease: not an attempt.
                    throw new NotDeliveredException(rm.id() + " is being handled by another delivery");
                }
                return mqRedelivery.failed(sub.group, rm, o.reason);
            } finally {
                sub.busy.decrement();
            }
        };
    }

    // ---------------------------------------------------------------- store outcomes

    private void ack(List<ClaimedMessage> messages) {
        List<ClaimedMessage> mine = new ArrayList<>(messages.size());
        for (ClaimedMessage m : messages) {
            if (inFlight.remove(m)) {
                mine.add(m);
            }
        }
        if (mine.isEmpty()) {
            return;
        }
        Runnable op = () -> {
            store.ackAll(mine);
            metrics.drained.mark(mine.size());
        };
        runOrKeep(op, "ack");
    }

    private void releaseUnhandled(List<ClaimedMessage> messages) {
        // Each release goes to the head, so the last goes back first and the shard keeps its order.
        for (int i = messages.size() - 1; i >= 0; i--) {
            release(messages.get(i), false);
        }
    }

    private void release(ClaimedMessage m, boolean countAttempt) {
        if (inFlight.remove(m)) {
            awaitingRetry.remove(m);
            runOrKeep(() -> store.release(m, countAttempt), "release");
        }
    }

    private void deadLetter(ClaimedMessage m, int attempt, String reason) {
        if (inFlight.remove(m)) {
            String why = "delivery attempt " + attempt + " of " + config.maxDeliveryAttempts() + " failed: " + reason;
            runOrKeep(() -> {
                store.deadLetter(m, why);
                metrics.deadLettered.mark();
                metrics.drained.mark();
            }, "dead-letter");
            log.warn("SmartMQ: message {} of ({}, {}) dead-lettered after {} delivery attempts", m.envelope().id(),
                    m.topic(), m.group(), attempt);
        }
    }

    private void runOrKeep(Runnable op, String what) {
        try {
            op.run();
        } catch (RuntimeException e) {
            log.warn("SmartMQ: fallback store {} failed ({}); retrying in the background", what, e.getMessage());
            pendingStoreOps.add(op);
        }
    }

    private void retryPendingStoreOps() {
        for (int n = pendingStoreOps.size(); n > 0; n--) {
            Runnable op = pendingStoreOps.poll();
            if (op == null) {
                return;
            }
            try {
                op.run();
            } catch (RuntimeException e) {
                pendingStoreOps.add(op);
                return;
            }
        }
    }

    /** Releases matching claims nobody is working on: pending retries counted, the rest uncounted. */
    private int releaseAll(java.util.function.Predicate<ClaimedMessage> which) {
        int n = 0;
        for (ClaimedMessage m : new ArrayList<>(inFlight)) {
            if (which.test(m)) {
                boolean failedBefore = awaitingRetry.contains(m);
                release(m, failedBefore);
                n++;
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- maintenance (smartmq-maintenance thread)

    /** Runs every drainCheckInterval: retries, allocation, backlog gauges and ORDERED gates. */
    void maintain() {
        if (closed.get()) {
            return;
        }
        retryPendingStoreOps();
        returnLostClaims();
        for (ActiveSubscription sub : subscriptions.values()) {
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
                refreshAllocation(sub);
                // In NORMAL the backlog only feeds the gauge (an ORDERED gate is open whatever it is), and a full
                // read costs two commands per shard: re-read it only after a sweep claimed something or the
                // state changed, not every tick (it was 256-384 Redis commands/s per idle subscription).
                if (sub.backlogStale || tracker.effectiveState() != SwitchState.NORMAL) {
                    sub.backlogStale = false;
                    refreshBacklogAndGate(sub);
                }
            } catch (RuntimeException e) {
                log.warn("SmartMQ: maintenance of {} failed: {}", sub.subscription, e.toString());
            }
        }
    }

    /**
     * Returns claims whose reply was lost (the store tracks them) to their shards: on every maintenance tick and
     * when this instance stops claiming a shard, so none stays in flight because nobody claims its shard again.
     */
    private void returnLostClaims() {
        try {
            int n = store.returnLostClaims();
            if (n > 0) {
                log.info("SmartMQ: returned {} messages of claims whose reply was lost to their shards", n);
            }
        } catch (RuntimeException e) {
            log.debug("SmartMQ: returning lost claims failed ({}); retrying at the next tick", e.getMessage());
        }
    }

    /** Runs every orphanReapInterval: returns claims of dead instances of our groups to their shards. */
    void reapOrphans() {
        if (closed.get()) {
            return;
        }
        for (ActiveSubscription sub : subscriptions.values()) {
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

    private void refreshAllocation(ActiveSubscription sub) {
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
            wake(sub);
        }
    }

    private void refreshBacklogAndGate(ActiveSubscription sub) {
        long backlog = -1;
        try {
            backlog = store.backlog(sub.topic, sub.group);
            metrics.backlog(sub.topic, sub.group, backlog);
        } catch (RuntimeException e) {
            log.debug("SmartMQ: backlog of {} unknown: {}", sub.subscription, e.getMessage());
        }
        if (sub.ordered) {
            applyGate(sub, backlog);
        }
    }

    private void applyGate(ActiveSubscription sub, long backlog) {
        SwitchState state = tracker.effectiveState();
        boolean open;
        if (state == SwitchState.DEGRADED) {
            open = false;
        } else if (state == SwitchState.RECOVERING) {
            // Once drained it stays open until the next degradation: later per-message fallbacks are
            // swept like in NORMAL rather than pausing the MQ again.
            open = sub.gate.isOpen() || backlog == 0;
        } else {
            open = true;
        }
        synchronized (sub.gate) {
            if (sub.cancelled || sub.gate.isOpen() == open) {
                return;
            }
            sub.gate.set(open);
            TransportSubscription t = sub.transportSub;
            if (t != null) {
                if (open) {
                    t.resume();
                } else {
                    t.pause();
                }
            }
        }
        log.info("SmartMQ: MQ side of ordered {} {} ({}, fallback backlog {})", sub.subscription,
                open ? "resumed" : "paused", state, backlog < 0 ? "unknown" : backlog);
    }

    @Override
    public void onEffectiveStateChanged(SwitchState previous, SwitchState current) {
        // May be called on a producer's thread (a detector trip): hand the work to the maintenance thread.
        try {
            maintenance.execute(() -> {
                for (ActiveSubscription sub : subscriptions.values()) {
                    if (sub.cancelled) {
                        continue;
                    }
                    sub.backlogStale = true;
                    if (current != SwitchState.NORMAL) {
                        wake(sub);
                    }
                    if (sub.ordered) {
                        refreshBacklogAndGate(sub);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            log.debug("SmartMQ: closing, gates not re-evaluated");
        }
    }

    /** Pulls the sleeping shards of {@code sub} forward (a state change made them interesting). */
    private void wake(ActiveSubscription sub) {
        long now = System.nanoTime();
        long soon = config.pollBackoffMin().toNanos();
        for (Work w : queue.toArray(new Work[0])) {
            if (w instanceof ShardWork s && s.sub == sub && s.dueNanos - now > soon && queue.remove(s)) {
                s.emptyBackoffNanos = 0;
                schedule(s, 0);
            }
        }
    }

    private void schedule(Work w, long delayNanos) {
        w.dueNanos = System.nanoTime() + delayNanos;
        w.order = order.incrementAndGet();
        queue.add(w);
    }

    private static String key(String topic, String group) {
        return topic + '\u0000' + group;
    }

    // ---------------------------------------------------------------- state

    final class ActiveSubscription {
        final Subscription subscription;
        final MessageHandler handler;
        final String topic;
        final String group;
        final boolean ordered;
        final int shards;
        final Gate gate = new Gate();
        final InFlightCounter busy = new InFlightCounter();
        volatile ConsumerRegistration registration;
        volatile TransportSubscription transportSub;
        volatile boolean adopted;
        volatile boolean cancelled;
        /** The backlog gauge may be out of date: re-read it at the next maintenance tick even in NORMAL. */
        volatile boolean backlogStale = true;
        /** Shards this instance drains; {@code null} means all (CONCURRENT). */
        volatile BitSet owned;

        ActiveSubscription(Subscription subscription, MessageHandler handler) {
            this.subscription = subscription;
            this.handler = handler;
            this.topic = subscription.topic();
            this.group = subscription.group();
            this.ordered = subscription.ordering() == dev.smartmq.api.Ordering.ORDERED;
            this.shards = store.shardCount();
            this.owned = ordered ? new BitSet() : null;
        }

        boolean owns(int shard) {
            BitSet o = owned;
            return o == null || o.get(shard);
        }
    }

    /** Whether MQ deliveries of an ORDERED subscription may go to the handler now. */
    static final class Gate {
        private boolean open = true;
        private boolean shut;

        synchronized boolean isOpen() {
            return open;
        }

        synchronized void set(boolean open) {
            this.open = open;
            notifyAll();
        }

        synchronized void shut() {
            shut = true;
            notifyAll();
        }

        synchronized boolean awaitOpen(long millis) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            while (!open && !shut) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return open && !shut;
        }
    }

    abstract static class Work implements Delayed {
        final ActiveSubscription sub;
        volatile long dueNanos;
        volatile long order;

        Work(ActiveSubscription sub) {
            this.sub = sub;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            Work w = (Work) o;
            int c = Long.compare(dueNanos - w.dueNanos, 0);
            return c != 0 ? c : Long.compare(order, w.order);
        }
    }

    static final class ShardWork extends Work {
        final int shard;
        long emptyBackoffNanos;

        ShardWork(ActiveSubscription sub, int shard) {
            super(sub);
            this.shard = shard;
        }
    }

    static final class RetryWork extends Work {
        final ClaimedMessage message;
        final int attempt;

        RetryWork(ActiveSubscription sub, ClaimedMessage message, int attempt) {
            super(sub);
            this.message = message;
            this.attempt = attempt;
        }
    }

    static final class StopWork extends Work {
        StopWork(long order) {
            super(null);
            this.dueNanos = System.nanoTime();
            this.order = order;
        }
    }
}
