package dev.smartmq.rocketmq.internal;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Ordering;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Subscription;
import dev.smartmq.rocketmq.ConsumeFrom;
import dev.smartmq.spi.NotDeliveredException;
import dev.smartmq.spi.RedeliveryPolicy;
import dev.smartmq.spi.TransportException;
import dev.smartmq.spi.TransportListener;
import dev.smartmq.spi.TransportSubscription;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyContext;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyContext;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.impl.consumer.ProcessQueue;
import org.apache.rocketmq.client.impl.factory.MQClientInstance;
import org.apache.rocketmq.common.MixAll;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.remoting.protocol.NamespaceUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one RocketMQ push consumer of one consumer group in one transport, and the topics subscribed through it.
 *
 * <p>Over 400 lines because RocketMQ's push consumer of one group is one object: its two listener kinds (orderly,
 * concurrent), the pause/hold rule that must see both, the redelivery verdicts and the bounded close share its
 * state and its locking. A split along the listener kinds (as RocketMQ 5's own consume services do) is possible but
 * not done yet: it needs the RocketMQ ITs, which are slow on this machine.
 *
 * <p>Why one per group: RocketMQ requires every consumer of a group to subscribe to the same topics. Two
 * push consumers of one group with different topics would each be assigned queues of topics they do not
 * subscribe to, and those queues would never be read. So every topic a group subscribes to is added to the
 * same push consumer, and every subscription of the group must share its {@link Ordering}.
 *
 * <p>Redelivery (one rule with the fallback path): the first subscription's {@link RedeliveryPolicy} sets
 * RocketMQ's {@code maxReconsumeTimes} to {@code maxDeliveryAttempts - 1}, so RocketMQ stops after that many
 * deliveries (its {@code %DLQ%<group>} is the last resort: the engine normally dead-letters the last failure into
 * the fallback store's list first), and every {@code RETRY_LATER} waits the policy's back-off: exactly for ORDERED
 * (the queue's suspend time), the nearest delay level for CONCURRENT ({@link DelayLevels}).
 *
 * <p>Pausing: RocketMQ can suspend a push consumer only as a whole. The group's consumer stops pulling while at
 * least one of its subscriptions is paused, and the messages of a paused subscription that were already fetched
 * are held, never handed to its listener, until it is resumed (ORDERED: the queue is suspended without counting an
 * attempt; CONCURRENT: the consumer thread waits).
 *
 * <p>Threads: {@link #add}, {@link #close} and pause/resume may be called from any thread; listeners run on
 * RocketMQ's consumer threads ({@code consumeThreads} of them).
 */
public final class GroupConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(GroupConsumer.class);
    /** How long an ORDERED queue waits before a message that never reached the handler is offered again. */
    private static final long NOT_DELIVERED_SUSPEND_MILLIS = 1000;
    /** RocketMQ's bounds on an ORDERED queue's suspend time. */
    private static final long MIN_SUSPEND_MILLIS = 10;
    private static final long MAX_SUSPEND_MILLIS = 30_000;
    /** How long a held message waits in one go before it re-checks (pause and close wake it at once). */
    private static final long HOLD_SLICE_MILLIS = 1000;

    private enum Verdict { SUCCESS, RETRY, NOT_DELIVERED, DEAD_LETTER_NOW }

    private final String group;
    private final Ordering ordering;
    private final ClientSettings settings;
    private final DefaultMQPushConsumer consumer;
    private final RedeliveryPolicy policy;
    private final Map<String, TopicSubscription> topics = new ConcurrentHashMap<>();
    /** Listener calls in progress; guarded by {@link #callsLock}. */
    private int runningCalls;
    private final Object callsLock = new Object();
    /** Consumer threads whose last listener call returned, with the message: the close waits for its ack. */
    private final Map<Thread, MessageExt> lastReturned = new ConcurrentHashMap<>();
    private volatile boolean closing;
    private volatile boolean retryTopicLookedUp;
    private boolean started; // guarded by this
    private boolean closed; // guarded by this

    public GroupConsumer(String group, Ordering ordering, ClientSettings settings, ConsumeFrom consumeFrom,
                         int consumeThreads, RedeliveryPolicy policy) {
        this.group = group;
        this.ordering = ordering;
        this.settings = settings;
        this.policy = policy;
        this.consumer = new DefaultMQPushConsumer(group, settings.rpcHook());
        settings.applyTo(consumer);
        consumer.setConsumeFromWhere(consumeFrom == ConsumeFrom.FIRST_OFFSET
                ? ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET : ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET);
        consumer.setConsumeThreadMin(consumeThreads);
        consumer.setConsumeThreadMax(consumeThreads);
        consumer.setConsumeMessageBatchMaxSize(1);
        // Never RocketMQ's -1 (for ORDERED: Integer.MAX_VALUE, a poison message blocks its queue for ever).
        consumer.setMaxReconsumeTimes(policy.maxDeliveryAttempts() - 1);
        consumer.setSuspendCurrentQueueTimeMillis(suspendMillis(policy.backoff(1)));
        consumer.setAllocateMessageQueueStrategy(new DistinctClientAllocation());
        if (ordering == Ordering.ORDERED) {
            consumer.registerMessageListener((MessageListenerOrderly) this::consumeOrderly);
        } else {
            consumer.registerMessageListener((MessageListenerConcurrently) this::consumeConcurrently);
        }
    }

    public String group() {
        return group;
    }

    public Ordering ordering() {
        return ordering;
    }

    /**
     * Adds {@code subscription}'s topic to the group's consumer and starts delivering. On failure nothing of it
     * stays subscribed.
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
        if (!policy.equals(listener.redelivery())) {
            LOG.warn("group {}: subscription {} asks for redelivery {}, but the group's consumer applies {} (one "
                    + "RocketMQ consumer per group, set by its first subscription)", group, subscription,
                    listener.redelivery(), policy);
        }
        TopicSubscription ts = new TopicSubscription(subscription, listener);
        topics.put(subscription.topic(), ts);
        boolean subscribed = false;
        try {
            consumer.subscribe(subscription.topic(), subscription.tagExpression());
            subscribed = true;
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
            if (subscribed && started) {
                // Else RocketMQ keeps pulling the topic and every message finds no subscription.
                try {
                    consumer.unsubscribe(subscription.topic());
                } catch (RuntimeException u) {
                    e.addSuppressed(u);
                }
            }
            throw FailureClassifier.toTransportException("subscribing " + subscription, e);
        }
        LOG.info("group {} subscribed to {} ({})", group, subscription.topic(), subscription.tagExpression());
        return ts;
    }

    /** Whether no topic is subscribed any more (the consumer has been shut down). */
    public synchronized boolean isEmpty() {
        return topics.isEmpty();
    }

    /** {@link #close(Duration)} with no time for running handlers. */
    public void close() {
        close(Duration.ZERO);
    }

    /**
     * Shuts the push consumer down in order: stop pulling, start no new listener call, let the running ones
     * finish within {@code timeout} (and RocketMQ record them), then persist the offsets and unregister.
     * Messages fetched but not handled are not acknowledged: the group gets them again. Idempotent.
     */
    public void close(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            closing = true;
            topics.values().forEach(TopicSubscription::wake);
            topics.clear();
            if (!started) {
                return;
            }
            consumer.suspend();
        }
        if (!awaitNoRunningCalls(deadline)) {
            LOG.warn("group {}: listener calls still running after {}; their results are discarded (the messages "
                    + "will be delivered again)", group, timeout);
        }
        if (ordering == Ordering.CONCURRENT) {
            // Fetched messages wait in their listener calls (held); dropping the queues makes RocketMQ discard those
            // calls' results instead of sending the messages back (which would count an attempt). First let the
            // calls that returned record their acknowledgement.
            awaitAcknowledged(Math.max(deadline, System.nanoTime() + TimeUnit.SECONDS.toNanos(1)));
            for (ProcessQueue pq : consumer.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable()
                    .values()) {
                pq.setDropped(true);
            }
        }
        synchronized (callsLock) {
            callsLock.notifyAll();
        }
        consumer.setAwaitTerminationMillisWhenShutdown(Math.max(1000, remainingMillis(deadline)));
        synchronized (this) {
            consumer.shutdown();
            PopServiceShutdown.afterShutdown(consumer); // RocketMQ leaves its POP service's thread running
        }
        lastReturned.clear();
    }

    private boolean awaitNoRunningCalls(long deadline) {
        synchronized (callsLock) {
            while (runningCalls > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(callsLock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /** Waits until RocketMQ removed every message whose listener call returned from its process queue. */
    private void awaitAcknowledged(long deadline) {
        Map<MessageQueue, ProcessQueue> table =
                consumer.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable();
        for (MessageExt m : lastReturned.values()) {
            for (Map.Entry<MessageQueue, ProcessQueue> e : table.entrySet()) {
                MessageQueue q = e.getKey();
                // A redelivery sits in the queue of the group's retry topic; RocketMQ renamed it to its topic.
                boolean same = q.getQueueId() == m.getQueueId() && q.getBrokerName().equals(m.getBrokerName())
                        && (q.getTopic().equals(m.getTopic()) || q.getTopic().startsWith(MixAll.RETRY_GROUP_TOPIC_PREFIX)
                        || q.getTopic().endsWith(topicOf(m)));
                while (same && e.getValue().containsMessage(m) && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                    Thread.yield();
                }
            }
        }
    }

    private String topicOf(MessageExt m) {
        return settings.namespace() == null ? m.getTopic() : NamespaceUtil.withoutNamespace(m.getTopic(), settings.namespace());
    }

    private static long remainingMillis(long deadline) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    private static long suspendMillis(Duration d) {
        return Math.max(MIN_SUSPEND_MILLIS, Math.min(MAX_SUSPEND_MILLIS, d.toMillis()));
    }

    // ------------------------------------------------------------------------------------------ listeners

    private ConsumeOrderlyStatus consumeOrderly(List<MessageExt> msgs, ConsumeOrderlyContext ctx) {
        for (MessageExt m : msgs) {
            switch (dispatch(m)) {
                case SUCCESS -> {
                }
                case RETRY -> {
                    ctx.setSuspendCurrentQueueTimeMillis(suspendMillis(policy.backoff(m.getReconsumeTimes() + 1)));
                    return ConsumeOrderlyStatus.SUSPEND_CURRENT_QUEUE_A_MOMENT;
                }
                case NOT_DELIVERED -> {
                    // RocketMQ adds one to reconsumeTimes on every suspend: take it back, this was no attempt.
                    m.setReconsumeTimes(m.getReconsumeTimes() - 1);
                    ctx.setSuspendCurrentQueueTimeMillis(NOT_DELIVERED_SUSPEND_MILLIS);
                    return ConsumeOrderlyStatus.SUSPEND_CURRENT_QUEUE_A_MOMENT;
                }
                case DEAD_LETTER_NOW -> {
                    // At maxReconsumeTimes RocketMQ sends the message to %DLQ%<group> and moves on.
                    m.setReconsumeTimes(Math.max(m.getReconsumeTimes(), consumer.getMaxReconsumeTimes()));
                    return ConsumeOrderlyStatus.SUSPEND_CURRENT_QUEUE_A_MOMENT;
                }
                default -> throw new IllegalStateException();
            }
        }
        return ConsumeOrderlyStatus.SUCCESS;
    }

    private ConsumeConcurrentlyStatus consumeConcurrently(List<MessageExt> msgs, ConsumeConcurrentlyContext ctx) {
        for (MessageExt m : msgs) {
            switch (dispatch(m)) {
                case SUCCESS -> {
                }
                case RETRY -> {
                    ctx.setDelayLevelWhenNextConsume(DelayLevels.nearest(policy.backoff(m.getReconsumeTimes() + 1)));
                    readRetryTopicSoon();
                    return ConsumeConcurrentlyStatus.RECONSUME_LATER;
                }
                case NOT_DELIVERED -> {
                    // CONCURRENT cannot redeliver without a send-back, which counts an attempt (README).
                    ctx.setDelayLevelWhenNextConsume(1);
                    return ConsumeConcurrentlyStatus.RECONSUME_LATER;
                }
                case DEAD_LETTER_NOW -> {
                    ctx.setDelayLevelWhenNextConsume(-1); // straight to %DLQ%<group>
                    return ConsumeConcurrentlyStatus.RECONSUME_LATER;
                }
                default -> throw new IllegalStateException();
            }
        }
        return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
    }

    /**
     * Once per consumer, at the first redelivery: look up the route of the group's retry topic and rebalance, so
     * the redelivery comes after its back-off. (The broker creates the topic at the first heartbeat, often after the
     * consumer read its routes; otherwise the retry queue is only read after the next route poll and rebalance,
     * up to 20 s later.)
     */
    private void readRetryTopicSoon() {
        if (retryTopicLookedUp) {
            return;
        }
        retryTopicLookedUp = true;
        try {
            MQClientInstance client = consumer.getDefaultMQPushConsumerImpl().getmQClientFactory();
            for (String topic : consumer.getDefaultMQPushConsumerImpl().getRebalanceImpl().getSubscriptionInner()
                    .keySet()) {
                if (topic.startsWith(MixAll.RETRY_GROUP_TOPIC_PREFIX)) {
                    client.updateTopicRouteInfoFromNameServer(topic);
                }
            }
            client.rebalanceLater(100);
        } catch (RuntimeException e) {
            LOG.debug("group {}: early look-up of the retry topic failed ({}); RocketMQ's next route poll finds it",
                    group, e.toString());
        }
    }

    private Verdict dispatch(MessageExt m) {
        String topic = topicOf(m);
        TopicSubscription ts = topics.get(topic);
        if (ts == null || closing) {
            // Unsubscribed or closing while in flight: whoever holds the subscription later gets it.
            return hold(null);
        }
        if (ts.paused && !ts.awaitResumed()) {
            return Verdict.NOT_DELIVERED;
        }
        ReceivedMessage received;
        try {
            received = MessageMapping.fromRocketMQ(m, topic);
        } catch (RuntimeException e) {
            LOG.warn("group {}: message {} of topic {} cannot be delivered as a SmartMQ message ({}); moved to "
                    + "RocketMQ's dead-letter queue %DLQ%{} at once", group, m.getMsgId(), topic,
                    shorten(e.getMessage()), group);
            return Verdict.DEAD_LETTER_NOW;
        }
        synchronized (callsLock) {
            if (closing) {
                return hold(null);
            }
            runningCalls++;
        }
        try {
            ConsumeResult result = ts.listener.onMessage(received);
            return result == ConsumeResult.SUCCESS ? Verdict.SUCCESS : Verdict.RETRY;
        } catch (NotDeliveredException e) {
            return Verdict.NOT_DELIVERED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Verdict.RETRY;
        } catch (Exception e) {
            LOG.warn("group {}: the listener of {} threw on message {} (delivery {} of {}); it will be redelivered or "
                    + "dead-lettered", group, topic, received.id(), received.deliveryAttempt(),
                    policy.maxDeliveryAttempts(), e);
            return Verdict.RETRY;
        } finally {
            lastReturned.put(Thread.currentThread(), m);
            synchronized (callsLock) {
                runningCalls--;
                callsLock.notifyAll();
            }
        }
    }

    /**
     * A message that must not reach a listener now. ORDERED: offered again later without counting. CONCURRENT
     * while closing: held until the close dropped its queue (its result is then discarded, nothing is counted).
     */
    private Verdict hold(TopicSubscription ts) {
        if (ordering == Ordering.CONCURRENT && closing) {
            synchronized (callsLock) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!droppedOrShutDown() && System.nanoTime() < deadline) {
                    try {
                        callsLock.wait(HOLD_SLICE_MILLIS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
        }
        return Verdict.NOT_DELIVERED;
    }

    /**
     * Marks this group's queues whose last pull was issued more than {@code stalledAfterMillis} before
     * {@code nowMillis} as expired, so that RocketMQ's next rebalance (asked for at once) replaces them the way it
     * replaces an idle queue: dropped, offset persisted, a new queue with a new pull (see
     * {@link StalledPullWatchdog}). A pull that ends in between stamps its queue again and keeps it.
     *
     * @return how many queues were marked
     */
    int replaceStalledPulls(long nowMillis, long stalledAfterMillis) {
        synchronized (this) {
            if (!started || closed) {
                return 0;
            }
        }
        int marked = 0;
        for (Map.Entry<MessageQueue, ProcessQueue> e : processQueueTable().entrySet()) {
            ProcessQueue pq = e.getValue();
            long last = pq.getLastPullTimestamp();
            // 0: marked already, waiting for the rebalance.
            if (!pq.isDropped() && last > 0 && nowMillis - last > stalledAfterMillis) {
                pq.setLastPullTimestamp(0); // isPullExpired() from now on
                marked++;
                LOG.warn("group {}: the pull of {} has had no answer for {} ms (a broker holds one at most {} ms); "
                        + "having RocketMQ replace the queue", group, e.getKey(), nowMillis - last,
                        StalledPullWatchdog.BROKER_HOLD.toMillis());
            }
        }
        if (marked > 0) {
            MQClientInstance client = consumer.getDefaultMQPushConsumerImpl().getmQClientFactory();
            if (client != null) {
                client.rebalanceImmediately();
            }
        }
        return marked;
    }

    /** RocketMQ's live table of the queues this instance of the group reads (RocketMQ's threads change it). */
    Map<MessageQueue, ProcessQueue> processQueueTable() {
        return consumer.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable();
    }

    private boolean droppedOrShutDown() {
        for (ProcessQueue pq : consumer.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable()
                .values()) {
            if (!pq.isDropped()) {
                return false;
            }
        }
        return true;
    }

    private static String shorten(String s) {
        return s == null || s.length() <= 200 ? s : s.substring(0, 200) + "...";
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

    private void remove(TopicSubscription ts, Duration timeout) {
        boolean closeAll;
        synchronized (this) {
            if (!topics.remove(ts.subscription.topic(), ts)) {
                return;
            }
            closeAll = topics.isEmpty();
            if (!closeAll) {
                consumer.unsubscribe(ts.subscription.topic());
            }
        }
        ts.wake();
        if (closeAll) {
            close(timeout);
        } else {
            updateSuspension();
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

        /**
         * Holds a fetched message while paused: ORDERED up to one slice (then the queue is suspended without
         * counting), CONCURRENT until resumed or closed. Returns whether it may go to the listener now.
         */
        boolean awaitResumed() {
            synchronized (this) {
                while (paused && !closed && !closing) {
                    try {
                        wait(HOLD_SLICE_MILLIS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                    if (ordering == Ordering.ORDERED && paused) {
                        return false;
                    }
                }
                return !paused && !closed && !closing;
            }
        }

        synchronized void wake() {
            notifyAll();
        }

        @Override
        public void pause() {
            paused = true;
            updateSuspension();
        }

        @Override
        public void resume() {
            paused = false;
            wake();
            updateSuspension();
        }

        @Override
        public boolean isPaused() {
            return paused;
        }

        @Override
        public void close() {
            close(Duration.ZERO);
        }

        @Override
        public void close(Duration timeout) {
            if (!closed) {
                closed = true;
                remove(this, timeout);
            }
        }

        @Override
        public String toString() {
            return "TransportSubscription{" + subscription + ", paused=" + paused + "}";
        }
    }
}
