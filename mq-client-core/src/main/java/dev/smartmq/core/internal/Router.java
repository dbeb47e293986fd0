package dev.smartmq.core.internal;

import dev.smartmq.api.DeliveryException;
import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.ConsumerRegistry;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FailureScope;
import dev.smartmq.spi.FallbackStore;
import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.spi.PrimaryTransport;
import dev.smartmq.spi.TransportException;
import dev.smartmq.spi.TransportReceipt;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer (DESIGN.md §4): validates, stamps an id, routes by the effective state, falls back per message
 * on an infrastructure failure, and feeds the failure detector.
 *
 * <p>Async sends chain futures and never block the caller: the MQ attempt is the transport's future, the
 * fallback write is the store's future, and the only extra thread involved is the engine's timer, which sweeps
 * the {@link AsyncSendGuard} and fails an MQ attempt the transport left unanswered past {@code sendTimeout}
 * plus a grace period (so even a hung adapter cannot strand a send).
 */
final class Router implements SmartProducer {
    private static final Logger log = LoggerFactory.getLogger(Router.class);

    private final SmartMQConfig config;
    private final PrimaryTransport transport;
    private final FallbackStore store;
    private final ConsumerRegistry sw;
    private final SwitchTracker tracker;
    private final FailureDetector detector;
    private final MessageIds ids;
    private final Clock clock;
    private final EngineMetrics metrics;
    private final AsyncSendGuard asyncGuard;
    private final UnclaimedHandOver unclaimed;
    private final InFlightCounter inFlight = new InFlightCounter();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final TopicWarnings noRouteWarnings = new TopicWarnings(TimeUnit.MINUTES.toNanos(1), System::nanoTime);
    private final TopicWarnings kindRefusedWarnings = new TopicWarnings(TimeUnit.MINUTES.toNanos(1), System::nanoTime);

    Router(SmartMQConfig config, PrimaryTransport transport, FallbackStore store, ConsumerRegistry sw,
           SwitchTracker tracker, FailureDetector detector, MessageIds ids, Clock clock, EngineMetrics metrics,
           ScheduledExecutorService timer) {
        this.config = config;
        this.transport = transport;
        this.store = store;
        this.sw = sw;
        this.tracker = tracker;
        this.detector = detector;
        this.ids = ids;
        this.clock = clock;
        this.metrics = metrics;
        this.unclaimed = new UnclaimedHandOver(store, sw);
        Duration timeout = config.sendTimeout();
        Duration grace = timeout.dividedBy(2).compareTo(Duration.ofMillis(100)) < 0
                ? Duration.ofMillis(100) : timeout.dividedBy(2);
        this.asyncGuard = new AsyncSendGuard(timeout.plus(grace).toNanos());
        long tick = asyncGuard.tickNanos();
        timer.scheduleWithFixedDelay(SurvivingJob.of("async send guard sweep", () -> asyncGuard.sweep(System.nanoTime())),
                tick, tick, TimeUnit.NANOSECONDS);
    }

    @Override
    public SendReceipt send(Message message) {
        begin();
        try {
            Envelope envelope = accept(message);
            SwitchStatus status = tracker.status();
            SwitchState state = tracker.effectiveState();
            long start = System.nanoTime();
            if (state.sendsToFallback()) {
                return storeInFallback(envelope, status.epoch(), start, null);
            }
            TransportReceipt receipt;
            try {
                receipt = transport.send(envelope, config.sendTimeout());
            } catch (TransportException e) {
                if (!e.isInfrastructure()) {
                    throw rejectedByMq(envelope, e);
                }
                onInfrastructureFailure(envelope, e);
                return storeInFallback(envelope, status.epoch(), start, e);
            } catch (RuntimeException e) {
                // An unclassified adapter failure: storing the message elsewhere is the safe reading.
                onInfrastructureFailure(envelope, e);
                return storeInFallback(envelope, status.epoch(), start, e);
            }
            return onMqSuccess(envelope, status.epoch(), start, receipt);
        } finally {
            end();
        }
    }

    @Override
    public CompletableFuture<SendReceipt> sendAsync(Message message) {
        begin();
        CompletableFuture<SendReceipt> result;
        try {
            Envelope envelope = accept(message);
            SwitchStatus status = tracker.status();
            SwitchState state = tracker.effectiveState();
            long start = System.nanoTime();
            long epoch = status.epoch();
            if (state.sendsToFallback()) {
                result = appendAsync(envelope, epoch, start, null);
            } else {
                result = afterGuardedSendAsync(envelope, epoch, start);
            }
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        result.whenComplete((r, e) -> end());
        return result;
    }

    /** Waits (up to {@code shutdownTimeout}) for sends in progress, then refuses new ones. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
        if (!inFlight.awaitZero(deadline)) {
            log.warn("SmartMQ producer closed with {} sends still in progress after {}", inFlight.count(),
                    config.shutdownTimeout());
        }
    }

    private void begin() {
        // Increment first: close() sets the flag, then waits for the count, so no send slips past it.
        inFlight.increment();
        if (closed.get()) {
            inFlight.decrement();
            throw new IllegalStateException("SmartMQ producer is closed");
        }
    }

    private void end() {
        inFlight.decrement();
    }

    private Envelope accept(Message message) {
        if (message == null) {
            metrics.sendsRejected.mark();
            metrics.traffic.sendRejected(null);
            throw new InvalidMessageException("message must not be null");
        }
        try {
            message.checkBodySize(config.maxBodySize());
            transport.validate(message);
        } catch (InvalidMessageException e) {
            metrics.sendsRejected.mark();
            metrics.traffic.sendRejected(message.topic());
            throw e;
        } catch (TransportException e) {
            metrics.sendsRejected.mark();
            metrics.traffic.sendRejected(message.topic());
            throw new InvalidMessageException("the MQ rejects " + message + ": " + e.getMessage(), e);
        }
        return new Envelope(ids.next(), message, clock.millis(), 0);
    }

    private SendReceipt onMqSuccess(Envelope envelope, long epoch, long start, TransportReceipt receipt) {
        long took = System.nanoTime() - start;
        String trip = detector.recordSuccess(took);
        metrics.sendsMq.mark();
        metrics.traffic.sentMq(envelope.topic());
        metrics.latencyMq.update(took, TimeUnit.NANOSECONDS);
        if (trip != null) {
            metrics.brownoutTrips.inc();
            tracker.requestDegrade(trip + ", last took " + TimeUnit.NANOSECONDS.toMillis(took) + " ms");
        }
        return new SendReceipt(envelope.id(), Route.MQ, epoch, receipt == null ? null : receipt.transportMessageId());
    }

    private InvalidMessageException rejectedByMq(Envelope envelope, TransportException e) {
        metrics.sendsRejected.mark();
        metrics.traffic.sendRejected(envelope.topic());
        return new InvalidMessageException("the MQ rejected message " + envelope.id() + " as input: "
                + e.getMessage(), e);
    }

    /**
     * Feeds an infrastructure failure to the detector by what the transport says it proves (DESIGN.md §4): only a
     * failure of the cluster counts; a broker isolated locally, a topic without a route or a kind of message a healthy
     * broker refuses falls back per message.
     */
    private void onInfrastructureFailure(Envelope envelope, Throwable e) {
        FailureScope scope = e instanceof TransportException te ? te.scope() : FailureScope.UNATTRIBUTED;
        switch (scope) {
            case BROKER_ISOLATED -> {
                metrics.sendsIsolated.mark();
                log.debug("SmartMQ: the queue of {} lives on an isolated broker; storing it in the fallback store",
                        envelope.id());
                return;
            }
            case TOPIC -> {
                metrics.sendsNoRoute.mark();
                if (noRouteWarnings.due(envelope.topic())) {
                    log.warn("SmartMQ: topic '{}' has no route on the MQ ({}); its messages go to the fallback store "
                            + "one by one (the namespace is not degraded). Create the topic on the cluster. "
                            + "(logged once a minute per topic)", envelope.topic(), e.getMessage());
                }
                return;
            }
            case MESSAGE_KIND -> {
                metrics.sendsKindRefused.mark();
                if (kindRefusedWarnings.due(envelope.topic())) {
                    log.warn("SmartMQ: the MQ refused a message of topic '{}' for its kind only ({}); such messages go "
                            + "to the fallback store one by one (the namespace is not degraded, the broker not "
                            + "isolated). For timed messages enable the broker's timer wheel (timerWheelEnable=true). "
                            + "(logged once a minute per topic)", envelope.topic(), e.getMessage());
                }
                return;
            }
            case BROKER -> {
                metrics.failovers.mark();
                metrics.brokerFailures.mark();
                log.debug("SmartMQ: MQ send of {} failed on one broker ({}); storing it in the fallback store",
                        envelope.id(), e.getMessage());
                return;
            }
            default -> {
                // UNATTRIBUTED, CLUSTER: evidence against the cluster as a whole.
            }
        }
        metrics.failovers.mark();
        String trip = detector.recordClusterFailure();
        log.debug("SmartMQ: MQ send of {} failed ({}); storing it in the fallback store", envelope.id(),
                e.getMessage());
        if (trip != null) {
            if (trip.startsWith("brownout")) {
                metrics.brownoutTrips.inc();
            }
            tracker.requestDegrade(trip + ", last (" + scope + (e instanceof TransportException te
                    && te.broker() != null ? " on " + te.broker() : "") + "): " + e.getMessage());
        }
    }

    private SendReceipt storeInFallback(Envelope envelope, long epoch, long start, Throwable mqError) {
        String topic = envelope.topic();
        Collection<String> groups = null;
        try {
            groups = unclaimed.groupsFor(topic);
            unclaimed.started(topic, groups);
            store.append(envelope, groups);
        } catch (RuntimeException e) {
            throw notStored(envelope, mqError, e);
        } finally {
            if (groups != null) {
                unclaimed.finished(topic, groups);
            }
        }
        return onFallbackSuccess(envelope, epoch, start);
    }

    private SendReceipt onFallbackSuccess(Envelope envelope, long epoch, long start) {
        metrics.sendsFallback.mark();
        metrics.traffic.sentFallback(envelope.topic());
        metrics.latencyFallback.update(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        return new SendReceipt(envelope.id(), Route.FALLBACK, epoch, null);
    }

    private DeliveryException notStored(Envelope envelope, Throwable mqError, Throwable storeError) {
        metrics.sendsFailed.mark();
        metrics.traffic.sendFailed(envelope.topic());
        boolean maybe = mayHaveStored(mqError) || mayHaveStored(storeError);
        String what = mqError == null
                ? "the fallback store did not confirm the message: " + storeError.getMessage()
                : "neither the MQ (" + mqError.getMessage() + ") nor the fallback store ("
                        + storeError.getMessage() + ") confirmed the message";
        DeliveryException d = new DeliveryException(envelope.id(), what + (maybe
                ? "; it may have been stored (an attempt ended without an answer) and may still be delivered"
                : "; neither stored it"), storeError, maybe);
        if (mqError != null) {
            d.addSuppressed(mqError);
        }
        log.error("SmartMQ: message {} of topic {} was not confirmed by either path ({})", envelope.id(),
                envelope.topic(), maybe ? "it may have been stored" : "stored nowhere");
        return d;
    }

    /**
     * Whether a failed attempt may have stored the message: {@code false} only when the path said it did not (no
     * attempt: {@code null}; a transport failure {@link TransportException#notStored()}; a store failure
     * {@link FallbackStoreException#notStored()}: refused, full, or never sent); anything else may have.
     */
    private static boolean mayHaveStored(Throwable failure) {
        if (failure == null) {
            return false;
        }
        if (failure instanceof TransportException te) {
            return !te.notStored();
        }
        if (failure instanceof FallbackStoreException fse) {
            return !fse.notStored();
        }
        return true;
    }

    private CompletableFuture<SendReceipt> afterAsyncMqFailure(Envelope envelope, long epoch, long start,
                                                              Throwable error) {
        if (error instanceof TransportException te && !te.isInfrastructure()) {
            return CompletableFuture.failedFuture(rejectedByMq(envelope, te));
        }
        onInfrastructureFailure(envelope, error);
        return appendAsync(envelope, epoch, start, error);
    }

    private CompletableFuture<SendReceipt> appendAsync(Envelope envelope, long epoch, long start, Throwable mqError) {
        String topic = envelope.topic();
        CompletableFuture<Void> write;
        try {
            Collection<String> groups = unclaimed.groupsFor(topic);
            unclaimed.started(topic, groups);
            try {
                write = store.appendAsync(envelope, groups);
            } catch (RuntimeException e) {
                write = CompletableFuture.failedFuture(e);
            }
            write = write.whenComplete((v, error) -> unclaimed.finished(topic, groups));
        } catch (RuntimeException e) {
            write = CompletableFuture.failedFuture(e);
        }
        return write.handle((v, error) -> {
            if (error != null) {
                throw new CompletionException(notStored(envelope, mqError, unwrap(error)));
            }
            return onFallbackSuccess(envelope, epoch, start);
        });
    }

    /**
     * The MQ attempt and what follows it: the receipt on success, else the fallback write. What
     * {@code handle(...).thenCompose(identity())} gave, with one dependent stage instead of three futures: a failure
     * is held as a {@link CompletionException} (as a relayed failure is), so the callers' stages see what they saw.
     */
    private CompletableFuture<SendReceipt> afterGuardedSendAsync(Envelope envelope, long epoch, long start) {
        CompletableFuture<SendReceipt> result = new CompletableFuture<>();
        guardedSendAsync(envelope).whenComplete((receipt, error) -> {
            if (error == null) {
                SendReceipt r;
                try {
                    r = onMqSuccess(envelope, epoch, start, receipt);
                } catch (Throwable t) {
                    result.completeExceptionally(relayed(t));
                    return;
                }
                result.complete(r);
                return;
            }
            CompletableFuture<SendReceipt> next;
            try {
                next = afterAsyncMqFailure(envelope, epoch, start, unwrap(error));
            } catch (Throwable t) {
                result.completeExceptionally(relayed(t));
                return;
            }
            next.whenComplete((r, e) -> {
                if (e == null) {
                    result.complete(r);
                } else {
                    result.completeExceptionally(relayed(e));
                }
            });
        });
        return result;
    }

    /** A failure as a dependent stage holds it: wrapped in a {@link CompletionException} unless it is one. */
    private static Throwable relayed(Throwable t) {
        return t instanceof CompletionException ? t : new CompletionException(t);
    }

    /** The transport's future, failed by the guard if the transport leaves it unanswered for too long. */
    private CompletableFuture<TransportReceipt> guardedSendAsync(Envelope envelope) {
        CompletableFuture<TransportReceipt> out = new CompletableFuture<>();
        CompletableFuture<TransportReceipt> attempt;
        try {
            attempt = transport.sendAsync(envelope, config.sendTimeout());
        } catch (RuntimeException e) {
            attempt = CompletableFuture.failedFuture(e);
        }
        if (attempt == null) {
            attempt = CompletableFuture.failedFuture(
                    TransportException.infrastructure("transport returned no future", null));
        }
        attempt.whenComplete((r, e) -> {
            if (e == null) {
                out.complete(r);
            } else {
                out.completeExceptionally(unwrap(e));
            }
        });
        asyncGuard.watch(out, System.nanoTime());
        return out;
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
