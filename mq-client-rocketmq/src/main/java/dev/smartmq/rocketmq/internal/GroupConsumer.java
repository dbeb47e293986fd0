package dev.smartmq.rocketmq.internal;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Ordering;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Subscription;
import dev.smartmq.rocketmq.ConsumeFrom;
import dev.smartmq.spi.TransportException;
import dev.smartmq.spi.TransportListener;
import dev.smartmq.spi.TransportSubscription;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.impl.factory.MQClientInstance;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.remoting.protocol.NamespaceUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one RocketMQ push consumer of one consumer group in one transport, and the topics subscribed through it.
 *
 * <p>Why one per group: RocketMQ requires every consumer of a group to subscribe to the same topics. Two
 * push consumers of one group with different topics would each be assigned queues of topics they do not
 * subscribe to, and those queues would never be read. So every topic a group subscribes to is added to the
 * same push consumer, and every subscription of the group must share its {@link Ordering}.
 *
 * <p>Pausing: RocketMQ can suspend a push consumer only as a whole. The group's consumer is suspended while
 * at least one of its subscriptions is paused (so the other topics of that group wait too) and resumed when
 * none is.
 */
public final class GroupConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(GroupConsumer.class);

    private final String group;
    private final Ordering ordering;
    private final ClientSettings settings;
    private final DefaultMQPushConsumer consumer;
    private final Map<String, TopicSubscription> topics = new ConcurrentHashMap<>();
    private boolean started; // guarded by this
    private boolean closed; // guarded by this

    public GroupConsumer(String group, Ordering ordering, ClientSettings settings, ConsumeFrom consumeFrom,
                         int consumeThreads) {
        this.group = group;
        this.ordering = ordering;
        this.settings = settings;
        this.consumer = new DefaultMQPushConsumer(group, settings.rpcHook());
        settings.applyTo(consumer);
        consumer.setConsumeFromWhere(consumeFrom == ConsumeFrom.FIRST_OFFSET
                ? ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET : ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET);
        consumer.setConsumeThreadMin(consumeThreads);
        consumer.setConsumeThreadMax(consumeThreads);
        consumer.setConsumeMessageBatchMaxSize(1);
        consumer.setSuspendCurrentQueueTimeMillis(1000);
        if (ordering == Ordering.ORDERED) {
            consumer.registerMessageListener((MessageListenerOrderly) (msgs, ctx) -> {
                for (MessageExt m : msgs) {
                    if (dispatch(m) != ConsumeResult.SUCCESS) {
                        return ConsumeOrderlyStatus.SUSPEND_CURRENT_QUEUE_A_MOMENT;
                    }
                }
                return ConsumeOrderlyStatus.SUCCESS;
            });
        } else {
            consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
                for (MessageExt m : msgs) {
                    if (dispatch(m) != ConsumeResult.SUCCESS) {
                        return ConsumeConcurrentlyStatus.RECONSUME_LATER;
                    }
                }
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            });
        }
    }

    public String group() {
        return group;
    }

    public Ordering ordering() {
        return ordering;
    }

    /**
     * Adds {@code subscription}'s topic to the group's consumer and starts delivering.
     *
     * @throws ConfigurationException if the ordering differs from the group's
     * @throws IllegalStateException  if the topic is already subscribed by this group here
     * @throws TransportException     if RocketMQ refused the subscription or could not start
     */
    public synchronized TransportSubscription add(Subscription subscription, TransportListener listener) {
        if (closed) {
            throw new IllegalStateException("consumer of group " + group + " is closed");
        }
        ConfigurationException.check(subscription.ordering() == ordering, "ordering of " + subscription,
                subscription.ordering(), "must be the group's ordering " + ordering
                        + " (every subscription of a RocketMQ consumer group shares it)");
        if (topics.containsKey(subscription.topic())) {
            throw new IllegalStateException("topic " + subscription.topic() + " is already subscribed by group "
                    + group + " in this transport");
        }
        TopicSubscription ts = new TopicSubscription(subscription, listener);
        topics.put(subscription.topic(), ts);
        try {
            consumer.subscribe(subscription.topic(), subscription.tagExpression());
            if (!started) {
                consumer.start();
                started = true;
            } else {
                // A topic added to a running consumer would otherwise wait for the next route poll and the next
                // 20-second rebalance.
                MQClientInstance client = consumer.getDefaultMQPushConsumerImpl().getmQClientFactory();
                client.updateTopicRouteInfoFromNameServer(consumer.withNamespace(subscription.topic()));
                client.rebalanceImmediately();
            }
        } catch (MQClientException | RuntimeException e) {
            topics.remove(subscription.topic());
            throw FailureClassifier.toTransportException("subscribing " + subscription, e);
        }
        LOG.info("group {} subscribed to {} ({})", group, subscription.topic(), subscription.tagExpression());
        return ts;
    }

    /** Whether no topic is subscribed any more (the consumer has been shut down). */
    public synchronized boolean isEmpty() {
        return topics.isEmpty();
    }

    /** Shuts the push consumer down. Idempotent. */
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        topics.clear();
        if (started) {
            consumer.shutdown();
        }
    }

    private ConsumeResult dispatch(MessageExt m) {
        String topic = settings.namespace() == null ? m.getTopic()
                : NamespaceUtil.withoutNamespace(m.getTopic(), settings.namespace());
        TopicSubscription ts = topics.get(topic);
        if (ts == null) {
            // Unsubscribed while in flight: let RocketMQ redeliver it to whoever holds the subscription later.
            return ConsumeResult.RETRY_LATER;
        }
        try {
            ReceivedMessage received = MessageMapping.fromRocketMQ(m);
            ConsumeResult result = ts.listener.onMessage(received);
            return result == null ? ConsumeResult.RETRY_LATER : result;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ConsumeResult.RETRY_LATER;
        } catch (Exception e) {
            LOG.warn("listener of {} / {} failed on message {}; it will be redelivered", topic, group,
                    m.getMsgId(), e);
            return ConsumeResult.RETRY_LATER;
        }
    }

    private synchronized void updateSuspension() {
        if (closed || !started) {
            return;
        }
        boolean anyPaused = topics.values().stream().anyMatch(t -> t.paused);
        if (anyPaused) {
            consumer.suspend();
        } else {
            consumer.resume();
        }
    }

    private synchronized void remove(TopicSubscription ts) {
        if (topics.remove(ts.subscription.topic(), ts)) {
            if (topics.isEmpty()) {
                close();
            } else {
                consumer.unsubscribe(ts.subscription.topic());
                updateSuspension();
            }
        }
    }

    /** Topics subscribed through this group consumer (for diagnostics). */
    public List<String> topics() {
        return List.copyOf(topics.keySet());
    }

    private final class TopicSubscription implements TransportSubscription {
        private final Subscription subscription;
        private final TransportListener listener;
        private volatile boolean paused;
        private volatile boolean closed;

        TopicSubscription(Subscription subscription, TransportListener listener) {
            this.subscription = subscription;
            this.listener = listener;
        }

        @Override
        public void pause() {
            paused = true;
            updateSuspension();
        }

        @Override
        public void resume() {
            paused = false;
            updateSuspension();
        }

        @Override
        public boolean isPaused() {
            return paused;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                remove(this);
            }
        }

        @Override
        public String toString() {
            return "TransportSubscription{" + subscription + ", paused=" + paused + "}";
        }
    }
}
