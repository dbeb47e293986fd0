package dev.smartmq.spring.core;

import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartProducer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Sends payloads through a SmartMQ producer the way rocketmq-spring's {@code RocketMQTemplate} does: a
 * destination {@code "topic"} or {@code "topic:tag"}, a payload converted by the
 * {@link SmartMQMessageConverter} (String, byte[], or JSON through the application's ObjectMapper), an optional
 * key (ordering and lookup) and headers (message properties). Every send has SmartMQ's guarantee: it returns
 * once the message is stored on the MQ or in the fallback store ({@link SendReceipt#route()} says which), or
 * throws {@link dev.smartmq.api.DeliveryException}.
 *
 * <p>Thread-safe; one bean per application, built by the auto-configuration.
 */
public class SmartMQTemplate {

    private final SmartProducer producer;
    private final SmartMQMessageConverter converter;

    public SmartMQTemplate(SmartProducer producer, SmartMQMessageConverter converter) {
        this.producer = producer;
        this.converter = converter;
    }

    /** Sends a ready {@link Message}. */
    public SendReceipt send(Message message) {
        return producer.send(message);
    }

    /** Sends {@code payload} to {@code destination} ({@code topic} or {@code topic:tag}). */
    public SendReceipt send(String destination, Object payload) {
        return producer.send(message(destination, payload, null, Map.of()));
    }

    /** Sends {@code payload} with a key (same key → same order on the fallback path and ORDERED groups). */
    public SendReceipt send(String destination, Object payload, String key) {
        return producer.send(message(destination, payload, key, Map.of()));
    }

    /** Sends {@code payload} with a key (may be null) and headers (message properties). */
    public SendReceipt send(String destination, Object payload, String key, Map<String, String> headers) {
        return producer.send(message(destination, payload, key, headers));
    }

    /** rocketmq-spring's name for {@link #send(String, Object)}. */
    public SendReceipt syncSend(String destination, Object payload) {
        return send(destination, payload);
    }

    /** rocketmq-spring's name for {@link #send(String, Object, String)} (a keyed, "orderly" send). */
    public SendReceipt syncSend(String destination, Object payload, String key) {
        return send(destination, payload, key);
    }

    /** Sends without blocking the caller; the future fails with the same exceptions {@code send} throws. */
    public CompletableFuture<SendReceipt> sendAsync(String destination, Object payload) {
        return sendAsync(destination, payload, null, Map.of());
    }

    /** Sends without blocking the caller, with a key (may be null) and headers. */
    public CompletableFuture<SendReceipt> sendAsync(String destination, Object payload, String key,
                                                    Map<String, String> headers) {
        Message m;
        try {
            m = message(destination, payload, key, headers);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return producer.sendAsync(m);
    }

    /** Sends a ready {@link Message} without blocking the caller. */
    public CompletableFuture<SendReceipt> sendAsync(Message message) {
        return producer.sendAsync(message);
    }

    /** The producer this template sends with. */
    public SmartProducer producer() {
        return producer;
    }

    /**
     * Builds the message for a destination and payload.
     *
     * @throws InvalidMessageException if the destination, key, headers or payload are not acceptable
     */
    public Message message(String destination, Object payload, String key, Map<String, String> headers) {
        if (destination == null || destination.isBlank()) {
            throw new InvalidMessageException("destination must be 'topic' or 'topic:tag', but was " + destination);
        }
        int colon = destination.indexOf(':');
        String topic = colon < 0 ? destination : destination.substring(0, colon);
        String tag = colon < 0 ? null : destination.substring(colon + 1);
        byte[] body;
        try {
            body = converter.toBody(payload);
        } catch (IllegalArgumentException e) {
            throw new InvalidMessageException("payload for '" + destination + "' cannot be converted: "
                    + e.getMessage());
        }
        Message.Builder b = Message.builder(topic).body(body);
        if (tag != null && !tag.isEmpty()) {
            b.tags(tag);
        }
        if (key != null) {
            b.key(key);
        }
        if (headers != null && !headers.isEmpty()) {
            b.properties(headers);
        }
        return b.build();
    }
}
