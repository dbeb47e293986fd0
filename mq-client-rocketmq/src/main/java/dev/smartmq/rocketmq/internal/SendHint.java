package dev.smartmq.rocketmq.internal;

import dev.smartmq.api.InvalidMessageException;
import java.util.List;
import java.util.Objects;
import org.apache.rocketmq.client.producer.MessageQueueSelector;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * What {@code SmartRocketMQProducer} asks of the MQ path beyond the SmartMQ message, carried to the transport as the
 * message's {@code transportHint}: the user's {@link MessageQueueSelector} and its {@code arg} (the message goes to
 * the queue the selector returns, as {@code DefaultMQProducer.send(msg, selector, arg)} does), and RocketMQ's delay
 * level (sent as that level, so the broker's own {@code messageDelayLevel} applies). The fallback store never sees
 * the hint: there {@code String.valueOf(arg)}, the message's key, picks the shard, and the message's
 * {@code deliverAt} (computed from the level) holds it back.
 *
 * <p>Immutable; the selector is called on RocketMQ's sender threads (sync: the caller; async: the transport's
 * executor), as RocketMQ calls it.
 *
 * @param selector   the user's selector, or {@code null} (the key rule picks the queue)
 * @param message    the user's RocketMQ message, what the selector is shown (as RocketMQ shows it)
 * @param arg        the user's arg
 * @param delayLevel RocketMQ's delay level (1-based), or 0 for none
 */
public record SendHint(MessageQueueSelector selector, Message message, Object arg, int delayLevel) {

    public SendHint {
        Objects.requireNonNull(message, "message");
        if (delayLevel < 0) {
            throw new IllegalArgumentException("delayLevel must be >= 0, but was " + delayLevel);
        }
    }

    /** A hint with only a delay level. */
    public static SendHint delayLevel(Message message, int delayLevel) {
        return new SendHint(null, message, null, delayLevel);
    }

    /** This hint with {@code selector} and {@code arg}. */
    public SendHint withSelector(MessageQueueSelector selector, Object arg) {
        return new SendHint(Objects.requireNonNull(selector, "selector"), message, arg, delayLevel);
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
