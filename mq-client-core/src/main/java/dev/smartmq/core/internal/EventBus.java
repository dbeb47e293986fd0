package dev.smartmq.core.internal;

import dev.smartmq.api.internal.NamedThreadFactory;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.core.event.SmartMQEvent;
import dev.smartmq.core.event.SmartMQEventPublisher;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the switch tracker's callbacks into {@link SmartMQEvent}s and delivers them to subscribers.
 *
 * <p>Threads: {@link #onEffectiveStateChanged}, {@link #onSwitchDocument}, {@link #brokerIsolated} and
 * {@link #brokerReadmitted} are called on whichever engine or transport thread saw the change (a sender, the
 * switch, the prober or the transport's probe thread) and only enqueue; subscribers run on one
 * {@code smartmq-events-1} thread, in the order they were enqueued. {@link #close()} delivers what is queued (bounded by the
 * engine's shutdown deadline) and ends that thread.
 */
final class EventBus implements SmartMQEventPublisher, SwitchTracker.EffectiveStateObserver {
    private static final Logger log = LoggerFactory.getLogger(EventBus.class);

    private record Subscriber(Class<? extends SmartMQEvent> type, Consumer<Object> consumer, Object original) {
    }

    private final String namespace;
    private final Clock clock;
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final NamedThreadFactory threads = new NamedThreadFactory("events");
    private final ExecutorService executor = Executors.newSingleThreadExecutor(threads);

    EventBus(String namespace, Clock clock) {
        this.namespace = namespace;
        this.clock = clock;
    }

    // EffectiveStateObserver (any engine thread; never blocks).

    @Override
    public void onEffectiveStateChanged(SwitchState previous, SwitchState current) {
        publish(new SmartMQEvent.StateTransition(namespace, clock.instant(), previous, current, false));
    }

    @Override
    public void onLocalDegradation(SwitchState previous, SwitchTracker.LocalDegradation local) {
        publish(new SmartMQEvent.StateTransition(namespace, clock.instant(), previous, SwitchState.DEGRADED, true));
        publish(new SmartMQEvent.LocalDegradation(namespace, local.since(), local.reason()));
    }

    @Override
    public void onSwitchDocument(SwitchStatus previous, SwitchStatus current, boolean byThisInstance) {
        var now = clock.instant();
        publish(new SmartMQEvent.SwitchChanged(namespace, now, previous, current));
        if (byThisInstance) {
            publish(new SmartMQEvent.Published(namespace, now, current));
        }
        if (previous.state() == SwitchState.RECOVERING && current.state() == SwitchState.NORMAL) {
            publish(new SmartMQEvent.DrainFinished(namespace, now, current, byThisInstance));
        }
    }

    /** The transport isolated {@code broker} locally (any thread; never blocks). */
    void brokerIsolated(String broker, String reason) {
        publish(new SmartMQEvent.BrokerIsolated(namespace, clock.instant(), broker, reason));
    }

    /** The transport re-admitted {@code broker} (any thread; never blocks). */
    void brokerReadmitted(String broker, String reason) {
        publish(new SmartMQEvent.BrokerReadmitted(namespace, clock.instant(), broker, reason));
    }

    private void publish(SmartMQEvent event) {
        if (subscribers.isEmpty()) {
            return;
        }
        try {
            executor.execute(() -> deliver(event));
        } catch (RejectedExecutionException e) {
            log.debug("SmartMQ: closed, event not delivered: {}", event);
        }
    }

    private void deliver(SmartMQEvent event) {
        for (Subscriber s : subscribers) {
            if (!s.type.isInstance(event)) {
                continue;
            }
            try {
                s.consumer.accept(event);
            } catch (RuntimeException e) {
                log.error("SmartMQ: event consumer {} failed on {}", s.original, event, e);
            }
        }
    }

    // SmartMQEventPublisher.

    @SuppressWarnings("unchecked")
    private SmartMQEventPublisher add(Class<? extends SmartMQEvent> type, Consumer<?> consumer) {
        if (consumer == null) {
            throw new IllegalArgumentException("consumer must not be null");
        }
        subscribers.add(new Subscriber(type, (Consumer<Object>) consumer, consumer));
        return this;
    }

    @Override
    public SmartMQEventPublisher onEvent(Consumer<? super SmartMQEvent> consumer) {
        return add(SmartMQEvent.class, consumer);
    }

    @Override
    public SmartMQEventPublisher onStateTransition(Consumer<? super SmartMQEvent.StateTransition> consumer) {
        return add(SmartMQEvent.StateTransition.class, consumer);
    }

    @Override
    public SmartMQEventPublisher onLocalDegradation(Consumer<? super SmartMQEvent.LocalDegradation> consumer) {
        return add(SmartMQEvent.LocalDegradation.class, consumer);
    }

    @Override
    public SmartMQEventPublisher onSwitchChanged(Consumer<? super SmartMQEvent.SwitchChanged> consumer) {
        return add(SmartMQEvent.SwitchChanged.class, consumer);
    }

    @Override
    public SmartMQEventPublisher onPublished(Consumer<? super SmartMQEvent.Published> consumer) {
        return add(SmartMQEvent.Published.class, consumer);
    }

    @Override
    public SmartMQEventPublisher onDrainFinished(Consumer<? super SmartMQEvent.DrainFinished> consumer) {
        return add(SmartMQEvent.DrainFinished.class, consumer);
    }

    @Override
    public SmartMQEventPublisher onBrokerIsolated(Consumer<? super SmartMQEvent.BrokerIsolated> consumer) {
        return add(SmartMQEvent.BrokerIsolated.class, consumer);
    }

    @Override
    public SmartMQEventPublisher onBrokerReadmitted(Consumer<? super SmartMQEvent.BrokerReadmitted> consumer) {
        return add(SmartMQEvent.BrokerReadmitted.class, consumer);
    }

    @Override
    public boolean remove(Consumer<?> consumer) {
        return subscribers.removeIf(s -> s.original == consumer);
    }

    /** Delivers what is queued until {@code deadlineNanos}, then ends the events thread. */
    void close(long deadlineNanos) {
        NamedThreadFactory.shutdown(executor, threads, deadlineNanos, 1000);
        subscribers.clear();
    }
}
