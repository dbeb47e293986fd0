package dev.smartmq.rocketmq.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.producer.MessageQueueSelector;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * Picks the queue of every send the transport makes, from RocketMQ's route of the topic and the
 * {@link BrokerIsolation} view, and records the pick in the {@link Selection} passed as the selector argument (so
 * the transport can attribute a failure to the broker it went to).
 *
 * <ul>
 *   <li><b>With a {@link SendHint}</b> (the drop-in producer's ordered send): the queue the user's selector
 *       returns from the route; refused like a keyed send when it lives on an isolated broker.</li>
 *   <li><b>Keyed</b>: queue {@code hash(key) mod n} of {@link BrokerIsolation#stableQueues} (the route plus the
 *       remembered queues of isolated brokers), see {@link KeyHashQueueSelector}. If that queue lives on an
 *       isolated broker while another broker of the topic is not isolated, the send is refused with
 *       {@link BrokerIsolatedException} before any I/O.</li>
 *   <li><b>Keyless</b>: round robin over the queues of healthy brokers; if none is healthy, over those not isolated;
 *       if every broker is isolated, over all (a real attempt, whose failure is the cluster's).</li>
 * </ul>
 *
 * <p>Thread rules: one instance per transport, called concurrently by RocketMQ on sender and async executor
 * threads; stateless apart from the round-robin counter.
 */
public final class IsolationAwareSelector implements MessageQueueSelector {

    /** What one send asked for (its key, or none) and which queue it was given. One per send; not shared. */
    public static final class Selection {
        private final String key;
        private final SendHint hint;
        private volatile MessageQueue queue;

        public Selection(String key) {
            this(key, null);
        }

        /** A send whose queue the user's selector picks ({@code hint}), or the key rule when {@code hint} is null. */
        public Selection(String key, SendHint hint) {
            this.key = key;
            this.hint = hint;
        }

        /** The selection of a send of {@code message}: its key, and its {@link SendHint} if it carries one. */
        public static Selection of(dev.smartmq.api.Message message) {
            return new Selection(message.key(),
                    message.transportHint() instanceof SendHint h && h.selector() != null ? h : null);
        }

        /** The queue the send went to, or {@code null} if selection never happened (no route) or refused it. */
        public MessageQueue queue() {
            return queue;
        }
    }

    private final BrokerIsolation isolation;
    private final AtomicInteger roundRobin = new AtomicInteger();

    public IsolationAwareSelector(BrokerIsolation isolation) {
        this.isolation = isolation;
    }

    @Override
    public MessageQueue select(List<MessageQueue> queues, Message msg, Object arg) {
        Selection selection = (Selection) arg;
        List<MessageQueue> stable = isolation.stableQueues(msg.getTopic(), queues);
        MessageQueue chosen;
        if (selection.hint != null) {
            // The user's own selector (SmartRocketMQProducer.send(msg, selector, arg)): its queue, as RocketMQ's.
            chosen = selection.hint.choose(queues);
            String broker = chosen.getBrokerName();
            if (isolation.isIsolated(broker) && isolation.anotherAvailable(stable, broker)) {
                throw new BrokerIsolatedException(broker);
            }
        } else if (selection.key != null) {
            chosen = stable.get(KeyHashQueueSelector.indexFor(selection.key, stable.size()));
            String broker = chosen.getBrokerName();
            if (isolation.isIsolated(broker) && isolation.anotherAvailable(stable, broker)) {
                throw new BrokerIsolatedException(broker);
            }
        } else {
            chosen = keyless(queues);
        }
        selection.queue = chosen;
        return chosen;
    }

    private MessageQueue keyless(List<MessageQueue> queues) {
        int next = roundRobin.getAndIncrement();
        boolean allHealthy = true;
        for (MessageQueue q : queues) {
            if (!isolation.isHealthy(q.getBrokerName())) {
                allHealthy = false;
                break;
            }
        }
        if (allHealthy) {
            return queues.get(Math.floorMod(next, queues.size()));
        }
        List<MessageQueue> healthy = new ArrayList<>();
        List<MessageQueue> available = new ArrayList<>();
        for (MessageQueue q : queues) {
            if (isolation.isHealthy(q.getBrokerName())) {
                healthy.add(q);
            }
            if (!isolation.isIsolated(q.getBrokerName())) {
                available.add(q);
            }
        }
        List<MessageQueue> from = !healthy.isEmpty() ? healthy : !available.isEmpty() ? available : queues;
        return from.get(Math.floorMod(next, from.size()));
    }
}
