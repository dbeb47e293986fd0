package dev.smartmq.rocketmq;

import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import java.util.Objects;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;

/**
 * What {@link SmartRocketMQProducer} returns: a RocketMQ {@link SendResult} (so code that reads one keeps
 * compiling) whose {@code msgId} is SmartMQ's stable message id and whose status is always {@code SEND_OK},
 * because SmartMQ returns only once the message is stored durably (on the MQ or in the fallback store).
 *
 * <p>{@link #getOffsetMsgId()} is RocketMQ's own id when the message went to the MQ, {@code null} otherwise.
 * {@link #getMessageQueue()} is {@code null} and {@link #getQueueOffset()} is {@code -1}: SmartMQ does not
 * expose queues, and a message in the fallback store has none.
 */
public final class SmartSendResult extends SendResult {

    private final Route route;
    private final long switchEpoch;

    public SmartSendResult(SendReceipt receipt) {
        Objects.requireNonNull(receipt, "receipt");
        this.route = receipt.route();
        this.switchEpoch = receipt.switchEpoch();
        setSendStatus(SendStatus.SEND_OK);
        setMsgId(receipt.messageId());
        setOffsetMsgId(receipt.transportMessageId());
        setQueueOffset(-1);
    }

    /** Where the message was stored: {@code MQ} or {@code FALLBACK}. */
    public Route route() {
        return route;
    }

    /** Epoch of the degradation switch the producer routed by. */
    public long switchEpoch() {
        return switchEpoch;
    }

    @Override
    public String toString() {
        return "SmartSendResult{msgId=" + getMsgId() + ", route=" + route + ", sendStatus=" + getSendStatus()
                + ", transportMsgId=" + getOffsetMsgId() + ", switchEpoch=" + switchEpoch + "}";
    }
}
