package dev.smartmq.samples.boot;

import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Route;
import dev.smartmq.spring.core.SmartMQListener;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** Group {@code inventory}: reserves stock for every paid order, from the MQ or from Redis alike. */
@Component
public class InventoryListener {
    private static final Logger LOG = LoggerFactory.getLogger(InventoryListener.class);

    /**
     * Delivery is at least once: remember handled message ids, with the path each came by (a real service keeps
     * them in its database).
     */
    private final Map<String, Route> handled = new ConcurrentHashMap<>();

    @SmartMQListener(topic = OrderController.TOPIC, group = "inventory", tag = "paid")
    public void onPaid(ReceivedMessage message) {
        if (handled.putIfAbsent(message.id(), message.route()) == null) {
            LOG.info("inventory: reserving stock for order {} (via {}, attempt {})", message.key(), message.route(),
                    message.deliveryAttempt());
        }
    }

    /** The path message {@code messageId} was handled by, if it was. */
    public Optional<Route> handledVia(String messageId) {
        return Optional.ofNullable(handled.get(messageId));
    }
}
