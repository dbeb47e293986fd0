package dev.smartmq.rocketmq.internal;

import java.lang.reflect.Field;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.impl.consumer.ConsumeMessageService;
import org.apache.rocketmq.client.impl.consumer.DefaultMQPushConsumerImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shuts down the POP consume service that RocketMQ's push consumer starts next to its regular one and never stops.
 *
 * <p>Why: {@code DefaultMQPushConsumerImpl.start()} (RocketMQ 5.x) creates and starts two consume services, the
 * regular one and a POP one ({@code consumeMessagePopService}), but {@code shutdown()} stops only the regular one.
 * For a {@code MessageListenerOrderly} in clustering mode the POP service ({@code ConsumeMessagePopOrderlyService})
 * schedules its queue-lock task on a single-thread scheduler of its own at start, whose thread
 * ({@code ConsumeMessageScheduledThread_1}) is not a daemon: after {@code shutdown()} it keeps running, every 20 s,
 * and the JVM of a process whose only subscription was ORDERED never exits (found by the fault campaign, issue 14).
 * The concurrent POP service schedules nothing, so it has no thread to leave behind; it is stopped all the same.
 *
 * <p>The field has no accessor, so it is read by reflection; if a RocketMQ version lacks it, there is nothing to
 * stop and this does nothing (logged at DEBUG). Call it after {@code shutdown()}: by then the rebalance's process
 * queue table is empty, so the POP service's own unlock of every queue sends nothing.
 *
 * <p>Stateless; thread-safe.
 */
final class PopServiceShutdown {

    private static final Logger LOG = LoggerFactory.getLogger(PopServiceShutdown.class);
    private static final Field POP_SERVICE = popServiceField();

    private PopServiceShutdown() {
    }

    /** Stops {@code consumer}'s POP consume service (after {@code consumer.shutdown()}). Never throws. */
    static void afterShutdown(DefaultMQPushConsumer consumer) {
        if (POP_SERVICE == null) {
            return;
        }
        try {
            Object service = POP_SERVICE.get(consumer.getDefaultMQPushConsumerImpl());
            if (service instanceof ConsumeMessageService s) {
                s.shutdown(0);
            }
        } catch (IllegalAccessException | RuntimeException e) {
            LOG.warn("could not stop RocketMQ's POP consume service of group {} (its scheduler thread may keep the "
                    + "JVM alive): {}", consumer.getConsumerGroup(), e.toString());
        }
    }

    private static Field popServiceField() {
        try {
            Field f = DefaultMQPushConsumerImpl.class.getDeclaredField("consumeMessagePopService");
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException | RuntimeException e) {
            LOG.debug("RocketMQ's push consumer has no POP consume service field here: {}", e.toString());
            return null;
        }
    }
}
