package dev.smartmq.rocketmq.internal;

import dev.smartmq.api.InvalidMessageException;
import java.util.List;
import java.util.Objects;
import org.apache.rocketmq.client.producer.MessageQueueSelector;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * A user's {@link MessageQueueSelector} and its {@code arg}, carried from {@code SmartRocketMQProducer} to the
 * transport as the SmartMQ message's {@code transportHint}, so the MQ path puts the message on the queue the
 * selector returns, as {@code DefaultMQProducer.send(msg, selector, arg)} does. In the fallback store the hint is
 * dropped: there {@code String.valueOf(arg)}, the message's key, picks the shard.
 *
 * <p>Immutable; the selector is called on RocketMQ's sender threads (sync: the caller; async: the transport's
 * executor), as RocketMQ calls it.
 *
 * @param selector the user's selector
 * @param message  the user's RocketMQ message, what the selector is shown (as RocketMQ shows it)
 * @param arg      the user's arg
 */
public record SelectorHint(MessageQueueSelector selector, Message message, Object arg) {

    public SelectorHint {
        Objects.requireNonNull(selector, "selector");
        Objects.requireNonNull(message, "message");
    }

    /**
     * The queue the user's selector picks from {@code queues}.
     *
     * @throws InvalidMessageException if the selector throws, returns {@code null} or a queue not in {@code queues}
     *                                 (the caller's error: sending the message elsewhere would break its contract)
     */
    public MessageQueue choose(List<MessageQueue> queues) {
        MessageQueue chosen;
        try {
            chosen = selector.select(queues, message, arg);
        } catch (RuntimeException e) {
            throw new InvalidMessageException("the MessageQueueSelector threw " + e, e);
        }
        if (chosen == null) {
            throw new InvalidMessageException("the MessageQueueSelector returned null for topic " + message.getTopic());
        }
        if (!queues.contains(chosen)) {
            throw new InvalidMessageException("the MessageQueueSelector returned " + chosen
                    + ", which is not one of the topic's queues " + queues);
        }
        return chosen;
    }
}
