package dev.smartmq.rocketmq.internal;

import java.util.List;
import org.apache.rocketmq.client.producer.MessageQueueSelector;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * Picks queue {@code floorMod(key.hashCode(), queues)} of the topic's route, so every message of one key goes
 * to the same queue while the route is unchanged, and an ORDERED consumer sees them in send order.
 *
 * <p>{@link String#hashCode()} is specified by the JDK, so every producer (every JVM, every version) maps a key
 * to the same queue. RocketMQ sorts the route's queues by broker name and queue id, so the list is the same
 * for every client. When the route changes (a broker joins, leaves or is down long enough to be dropped),
 * keys may move to another queue: per-key order holds within a route, not across a route change, as with any
 * RocketMQ ordered-message producer.
 */
public final class KeyHashQueueSelector implements MessageQueueSelector {

    public static final KeyHashQueueSelector INSTANCE = new KeyHashQueueSelector();

    private KeyHashQueueSelector() {
    }

    /** The index in a route of {@code queueCount} queues that {@code key} maps to. */
    public static int indexFor(String key, int queueCount) {
        return Math.floorMod(key.hashCode(), queueCount);
    }

    @Override
    public MessageQueue select(List<MessageQueue> queues, Message msg, Object key) {
        return queues.get(indexFor((String) key, queues.size()));
    }
}
