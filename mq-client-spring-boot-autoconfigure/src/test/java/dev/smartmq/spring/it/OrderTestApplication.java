package dev.smartmq.spring.it;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.core.event.SmartMQEvent;
import dev.smartmq.spring.core.SmartMQListener;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.stereotype.Component;

/** A small order service: what a business application on the starter looks like. */
@SpringBootApplication
public class OrderTestApplication {

    /** The JSON payload. */
    public record OrderPaid(String orderId, long cents) {
    }

    /** Listener beans: a JSON type, a ReceivedMessage, and a String that fails once. */
    @Component
    public static class Listeners {
        public final Map<String, OrderPaid> billing = new ConcurrentHashMap<>();
        public final List<ReceivedMessage> audit = new CopyOnWriteArrayList<>();
        public final AtomicInteger noteAttempts = new AtomicInteger();
        public final List<String> notes = new CopyOnWriteArrayList<>();

        @SmartMQListener(topic = "ORDER_PAID", group = "billing")
        public void onPaid(OrderPaid event) {
            billing.put(event.orderId(), event);
        }

        @SmartMQListener(topic = "${orders.topic:ORDER_PAID}", group = "audit", tag = "paid")
        public ConsumeResult onAudit(ReceivedMessage message) {
            audit.add(message);
            return ConsumeResult.SUCCESS;
        }

        @SmartMQListener(topic = "NOTES", group = "notes")
        public void onNote(String note) {
            if (noteAttempts.incrementAndGet() == 1) {
                throw new IllegalStateException("first attempt fails: the core retries");
            }
            notes.add(note);
        }
    }

    /** User code on the public event API. */
    @Bean
    public EventLog eventLog(SmartMQ mq) {
        EventLog log = new EventLog();
        mq.events().onEvent(log.events::add);
        return log;
    }

    /** The same events as Spring application events (forwarded by the starter), on {@code @EventListener}. */
    @Component
    public static class SpringEvents {
        public final List<SmartMQEvent> events = new CopyOnWriteArrayList<>();
        public final List<String> threads = new CopyOnWriteArrayList<>();

        @org.springframework.context.event.EventListener
        public void on(SmartMQEvent.StateTransition e) {
            events.add(e);
            threads.add(Thread.currentThread().getName());
        }
    }

    /** Events seen by the application. */
    public static class EventLog {
        public final List<SmartMQEvent> events = new CopyOnWriteArrayList<>();
    }
}
