package dev.smartmq.rocketmq;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.MessageHandler;
import dev.smartmq.api.Ordering;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.SmartConsumer;
import dev.smartmq.api.Subscription;
import dev.smartmq.rocketmq.internal.ReceivedMessageExt;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyContext;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyContext;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListener;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A drop-in for RocketMQ's {@code DefaultMQPushConsumer}: the same calls ({@code subscribe(topic, subExpression)},
 * {@code registerMessageListener}, {@code start}, {@code shutdown}, the common setters) and an unchanged
 * {@link MessageListenerConcurrently} or {@link MessageListenerOrderly}, but consuming through a
 * {@link SmartConsumer}, so the listener also gets what was sent while the MQ was degraded.
 *
 * <p>Both paths hand the listener the same {@link MessageExt} ({@link ReceivedMessageExt}): {@code getMsgId()} is
 * SmartMQ's id, keys, tags, user properties, born timestamp and {@code getReconsumeTimes()} as sent. Results:
 * {@code CONSUME_SUCCESS} / {@code SUCCESS} / {@code COMMIT} acknowledge; {@code RECONSUME_LATER},
 * {@code SUSPEND_CURRENT_QUEUE_A_MOMENT}, {@code ROLLBACK}, {@code null} or an exception are SmartMQ's
 * {@code RETRY_LATER} (back-off, then the dead-letter list after {@code maxDeliveryAttempts}). A
 * {@link MessageListenerOrderly} subscribes {@link Ordering#ORDERED}: per key (RocketMQ: per queue) in order.
 *
 * <p>What differs from RocketMQ, on purpose (see the module README, "Migration"): the listener always gets a list
 * of one message ({@link #setConsumeMessageBatchMaxSize} is kept as a maximum, and one is within it); the retry
 * limit and back-off are the engine's ({@code SmartMQConfig.maxDeliveryAttempts}, the same for both paths), so
 * {@link #setMaxReconsumeTimes} only checks and records the value; where a new group starts is the transport's
 * {@code consumeFrom}, so {@link #setConsumeFromWhere} only records it. A context's
 * {@code delayLevelWhenNextConsume} / {@code suspendCurrentQueueTimeMillis} are not used (the engine's back-off
 * is). {@link #shutdown()} unsubscribes this group's topics; the {@link SmartConsumer} stays open (it is
 * {@code SmartMQ}'s).
 *
 * <p>Configure, then {@link #start()} from one thread; after that thread-safe. The listener is called on
 * SmartMQ's consumer threads.
 */
public final class SmartRocketMQPushConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(SmartRocketMQPushConsumer.class);

    private final SmartConsumer consumer;
    private final String consumerGroup;
    private final Map<String, String> subscriptions = new LinkedHashMap<>();
    private final List<String> started = new ArrayList<>();
    private MessageListener listener;
    private int consumeMessageBatchMaxSize = 1;
    private int maxReconsumeTimes = -1;
    private ConsumeFromWhere consumeFromWhere = ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET;
    private boolean running;
    private boolean shutDown;
    private MigrationGuard migrationGuard;

    /**
     * @param consumer      SmartMQ's consumer ({@code smartMQ.consumer()})
     * @param consumerGroup the group, as given to {@code DefaultMQPushConsumer}
     */
    public SmartRocketMQPushConsumer(SmartConsumer consumer, String consumerGroup) {
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        ConfigurationException.check(consumerGroup != null && !consumerGroup.isBlank(), "consumerGroup",
                consumerGroup, "must not be blank");
        this.consumerGroup = consumerGroup;
    }

    public String getConsumerGroup() {
        return consumerGroup;
    }

    /**
     * Subscribes {@code topic} with a RocketMQ tag expression ({@code *}, {@code TagA || TagB}); after
     * {@link #start()} it takes effect at once.
     *
     * @throws MQClientException if the topic or the expression is invalid, or the subscription fails
     */
    public synchronized void subscribe(String topic, String subExpression) throws MQClientException {
        String expression = subExpression == null || subExpression.isBlank() ? Subscription.ALL_TAGS : subExpression;
        check(topic, expression, Ordering.CONCURRENT);
        subscriptions.put(topic, expression);
        if (running) {
            subscribeNow(topic, expression);
        }
    }

    /** Stops consuming {@code topic} for this group. */
    public synchronized void unsubscribe(String topic) {
        subscriptions.remove(topic);
        if (started.remove(topic)) {
            consumer.unsubscribe(topic, consumerGroup);
        }
    }

    /** Registers a {@link MessageListenerConcurrently} or a {@link MessageListenerOrderly}, before start. */
    public synchronized void registerMessageListener(MessageListener messageListener) {
        Objects.requireNonNull(messageListener, "messageListener");
        if (!(messageListener instanceof MessageListenerConcurrently)
                && !(messageListener instanceof MessageListenerOrderly)) {
            throw new IllegalArgumentException("listener must be a MessageListenerConcurrently or a"
                    + " MessageListenerOrderly, but was " + messageListener.getClass().getName());
        }
        if (running) {
            throw new IllegalStateException("register the listener before start()");
        }
        this.listener = messageListener;
    }

    public synchronized void registerMessageListener(MessageListenerConcurrently messageListener) {
        registerMessageListener((MessageListener) messageListener);
    }

    public synchronized void registerMessageListener(MessageListenerOrderly messageListener) {
        registerMessageListener((MessageListener) messageListener);
    }

    /**
     * Has {@code guard} check each topic this consumer subscribes (at once, then periodically) for groups that read
     * it on the broker but are not registered with SmartMQ (migration safety; see {@link MigrationGuard}).
     */
    public synchronized void setMigrationGuard(MigrationGuard guard) {
        this.migrationGuard = Objects.requireNonNull(guard, "guard");
    }

    /** Kept as a maximum (1-1024, RocketMQ's range); SmartMQ always calls the listener with one message. */
    public synchronized void setConsumeMessageBatchMaxSize(int size) {
        ConfigurationException.check(size >= 1 && size <= 1024, "consumeMessageBatchMaxSize", size,
                "must be 1-1024");
        this.consumeMessageBatchMaxSize = size;
    }

    public synchronized int getConsumeMessageBatchMaxSize() {
        return consumeMessageBatchMaxSize;
    }

    /**
     * Recorded only: the limit is {@code SmartMQConfig.maxDeliveryAttempts} (= this + 1) on both paths; set it
     * there. Logged at start when set, so a mismatch is visible.
     */
    public synchronized void setMaxReconsumeTimes(int times) {
        ConfigurationException.check(times >= -1, "maxReconsumeTimes", times, "must be -1 or more");
        this.maxReconsumeTimes = times;
    }

    public synchronized int getMaxReconsumeTimes() {
        return maxReconsumeTimes;
    }

    /** Recorded only: where a new group starts is {@code RocketMQTransport.builder().consumeFrom(...)}. */
    public synchronized void setConsumeFromWhere(ConsumeFromWhere where) {
        this.consumeFromWhere = Objects.requireNonNull(where, "consumeFromWhere");
    }

    public synchronized ConsumeFromWhere getConsumeFromWhere() {
        return consumeFromWhere;
    }

    /**
     * Subscribes every topic given so far with the registered listener.
     *
     * @throws MQClientException if no listener is registered, or a subscription fails (the ones made are undone)
     */
    public synchronized void start() throws MQClientException {
        if (shutDown) {
            throw new MQClientException("the consumer of group " + consumerGroup + " was shut down", null);
        }
        if (running) {
            return;
        }
        if (listener == null) {
            throw new MQClientException("no message listener registered for group " + consumerGroup, null);
        }
        if (maxReconsumeTimes >= 0) {
            LOG.info("group {}: maxReconsumeTimes {} is recorded only; SmartMQConfig.maxDeliveryAttempts sets the"
                    + " limit on both paths", consumerGroup, maxReconsumeTimes);
        }
        running = true;
        try {
            for (Map.Entry<String, String> s : subscriptions.entrySet()) {
                subscribeNow(s.getKey(), s.getValue());
            }
        } catch (MQClientException | RuntimeException e) {
            shutdown();
            throw e;
        }
    }

    /** Unsubscribes this group's topics (handlers in progress finish first). Idempotent. */
    public synchronized void shutdown() {
        running = false;
        shutDown = true;
        for (String topic : List.copyOf(started)) {
            try {
                consumer.unsubscribe(topic, consumerGroup);
            } catch (RuntimeException e) {
                LOG.warn("group {}: unsubscribing topic {} failed: {}", consumerGroup, topic, e.toString());
            }
        }
        started.clear();
    }

    private Ordering ordering() {
        return listener instanceof MessageListenerOrderly ? Ordering.ORDERED : Ordering.CONCURRENT;
    }

    private Subscription check(String topic, String expression, Ordering ordering) throws MQClientException {
        try {
            return Subscription.builder(topic, consumerGroup).tagExpression(expression).ordering(ordering).build();
        } catch (ConfigurationException e) {
            throw new MQClientException(e.getMessage(), e);
        }
    }

    private void subscribeNow(String topic, String expression) throws MQClientException {
        Subscription subscription = check(topic, expression, ordering());
        MessageHandler handler = listener instanceof MessageListenerOrderly orderly
                ? orderlyHandler(orderly) : concurrentlyHandler((MessageListenerConcurrently) listener);
        try {
            consumer.subscribe(subscription, handler);
        } catch (RuntimeException e) {
            throw new MQClientException("subscribing group " + consumerGroup + " to " + topic + " failed: "
                    + e.getMessage(), e);
        }
        started.add(topic);
        if (migrationGuard != null) {
            migrationGuard.watch(topic);
        }
    }

    private static MessageQueue queueOf(ReceivedMessage m) {
        return new MessageQueue(m.topic(), ReceivedMessageExt.BROKER_NAME, 0);
    }

    private static MessageHandler concurrentlyHandler(MessageListenerConcurrently l) {
        return m -> {
            List<MessageExt> batch = new ArrayList<>(1);
            batch.add(ReceivedMessageExt.toMessageExt(m));
            ConsumeConcurrentlyStatus status = l.consumeMessage(batch, new ConsumeConcurrentlyContext(queueOf(m)));
            return status == ConsumeConcurrentlyStatus.CONSUME_SUCCESS ? ConsumeResult.SUCCESS
                    : ConsumeResult.RETRY_LATER;
        };
    }

    @SuppressWarnings("deprecation") // COMMIT is RocketMQ's deprecated synonym of SUCCESS; listeners still return it
    private static MessageHandler orderlyHandler(MessageListenerOrderly l) {
        return m -> {
            List<MessageExt> batch = new ArrayList<>(1);
            batch.add(ReceivedMessageExt.toMessageExt(m));
            ConsumeOrderlyStatus status = l.consumeMessage(batch, new ConsumeOrderlyContext(queueOf(m)));
            return status == ConsumeOrderlyStatus.SUCCESS || status == ConsumeOrderlyStatus.COMMIT
                    ? ConsumeResult.SUCCESS : ConsumeResult.RETRY_LATER;
        };
    }
}
