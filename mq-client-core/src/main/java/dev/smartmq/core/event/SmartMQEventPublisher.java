package dev.smartmq.core.event;

import java.util.function.Consumer;

/**
 * Subscribes to the {@link SmartMQEvent}s of one {@link dev.smartmq.core.SmartMQ} instance (modelled on
 * Resilience4j's {@code EventPublisher}: one {@code onX} method per event type, each returning the publisher
 * for chaining).
 *
 * <p>Threads: consumers are called one event at a time, on the instance's {@code smartmq-events-1} thread,
 * never on a sending or consuming thread; a slow consumer delays only later events. Events caused on one
 * engine thread arrive in the order they happened; events of different engine threads at the same moment may
 * interleave (a {@code LocalDegradation}, seen on a sending thread, and the {@code Published} of that
 * degradation, on the switch thread). A consumer that throws is logged and keeps its subscription. Subscribing and removing are
 * thread-safe and may be done at any time; events that happened before a subscription are not replayed
 * (read {@link dev.smartmq.core.SmartMQ#switchStatus()} for the current state). After
 * {@link dev.smartmq.core.SmartMQ#close()} no event is delivered.
 */
public interface SmartMQEventPublisher {

    /** Every event. */
    SmartMQEventPublisher onEvent(Consumer<? super SmartMQEvent> consumer);

    /** Changes of the state this instance routes by. */
    SmartMQEventPublisher onStateTransition(Consumer<? super SmartMQEvent.StateTransition> consumer);

    /** This instance degraded on its own (failure detector tripped). */
    SmartMQEventPublisher onLocalDegradation(Consumer<? super SmartMQEvent.LocalDegradation> consumer);

    /** A newer switch document was seen. */
    SmartMQEventPublisher onSwitchChanged(Consumer<? super SmartMQEvent.SwitchChanged> consumer);

    /** This instance's switch write was applied. */
    SmartMQEventPublisher onPublished(Consumer<? super SmartMQEvent.Published> consumer);

    /** The fallback was drained and the switch is NORMAL again. */
    SmartMQEventPublisher onDrainFinished(Consumer<? super SmartMQEvent.DrainFinished> consumer);

    /** The transport isolated one broker locally (the namespace is not degraded). */
    SmartMQEventPublisher onBrokerIsolated(Consumer<? super SmartMQEvent.BrokerIsolated> consumer);

    /** A broker isolated locally was re-admitted. */
    SmartMQEventPublisher onBrokerReadmitted(Consumer<? super SmartMQEvent.BrokerReadmitted> consumer);

    /**
     * Removes every subscription of {@code consumer} (the same instance that was passed to an {@code onX}).
     *
     * @return whether it was subscribed
     */
    boolean remove(Consumer<?> consumer);
}
