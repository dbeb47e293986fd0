package dev.smartmq.spring.boot.autoconfigure.internal;

import dev.smartmq.core.SmartMQ;
import dev.smartmq.core.event.SmartMQEvent;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.ApplicationEventPublisher;

/**
 * Forwards every {@link SmartMQEvent} of the application's {@link SmartMQ} to the application context, as a
 * Spring payload event: a bean method {@code @EventListener void on(SmartMQEvent.BrokerIsolated e)} (or any other
 * event type, or {@code SmartMQEvent} for all) receives them, without touching {@code SmartMQ.events()}.
 *
 * <p>Threads: events are published on {@code smartmq-events-1}, so {@code @EventListener} methods run there
 * (one at a time; a slow one delays later events) unless the application makes them {@code @Async}. An event
 * that arrives while the context is not (or no longer) able to publish is logged at DEBUG and dropped; the
 * subscription is removed when the bean is destroyed.
 */
public final class SmartMQApplicationEvents implements DisposableBean {
    private static final Logger log = LoggerFactory.getLogger(SmartMQApplicationEvents.class);

    private final SmartMQ mq;
    private final Consumer<SmartMQEvent> forward;

    public SmartMQApplicationEvents(SmartMQ mq, ApplicationEventPublisher publisher) {
        this.mq = mq;
        this.forward = e -> {
            try {
                publisher.publishEvent(e);
            } catch (IllegalStateException closed) {
                log.debug("SmartMQ: {} not published to the application context ({})", e, closed.getMessage());
            }
        };
        mq.events().onEvent(forward);
    }

    @Override
    public void destroy() {
        mq.events().remove(forward);
    }
}
