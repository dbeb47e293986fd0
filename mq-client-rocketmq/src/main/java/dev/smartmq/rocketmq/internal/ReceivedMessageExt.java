package dev.smartmq.rocketmq.internal;

import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.rocketmq.RocketMQProperties;
import dev.smartmq.spi.Envelope;
import java.util.Map;
import org.apache.rocketmq.common.message.MessageAccessor;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * Builds the RocketMQ {@link MessageExt} a RocketMQ listener sees for a SmartMQ {@link ReceivedMessage}, the same
 * whichever path delivered it: {@code msgId} is SmartMQ's id (also in {@code SMQ_ID}), keys and tags are RocketMQ's
 * originals ({@link RocketMQProperties#KEYS} / {@link RocketMQProperties#TAGS} when the transport had to carry
 * them aside), user properties include the ones carried in {@link RocketMQProperties#PROPERTIES}, born timestamp is
 * the send time, {@code reconsumeTimes} is {@code deliveryAttempt - 1}. Stateless; thread-safe.
 */
public final class ReceivedMessageExt {

    /** The broker name of the queue a fallback-path (and, for uniformity, every) message is shown on. */
    public static final String BROKER_NAME = "smartmq";

    private ReceivedMessageExt() {
    }

    /** The {@link MessageExt} for {@code received}. */
    public static MessageExt toMessageExt(ReceivedMessage received) {
        MessageExt ext = new MessageExt();
        ext.setTopic(received.topic());
        ext.setBody(received.body());
        ext.setMsgId(received.id());
        ext.setBornTimestamp(received.bornTimestamp());
        ext.setReconsumeTimes(Math.max(0, received.deliveryAttempt() - 1));
        ext.setBrokerName(BROKER_NAME);
        ext.setQueueId(0);
        ext.setQueueOffset(-1);
        Map<String, String> props = received.properties();
        String keys = props.get(RocketMQProperties.KEYS);
        if (keys == null) {
            keys = received.key();
        }
        if (keys != null) {
            MessageAccessor.putProperty(ext, MessageConst.PROPERTY_KEYS, keys);
        }
        String tags = props.get(RocketMQProperties.TAGS);
        if (tags == null) {
            tags = received.tags();
        }
        if (tags != null) {
            MessageAccessor.putProperty(ext, MessageConst.PROPERTY_TAGS, tags);
        }
        for (Map.Entry<String, String> p : props.entrySet()) {
            String name = p.getKey();
            if (!name.equals(RocketMQProperties.KEYS) && !name.equals(RocketMQProperties.TAGS)
                    && !name.equals(RocketMQProperties.PROPERTIES)) {
                MessageAccessor.putProperty(ext, name, p.getValue());
            }
        }
        for (Map.Entry<String, String> p : RocketMQProperties.unmapped(received)
                .entrySet()) {
            if (!MessageConst.STRING_HASH_SET.contains(p.getKey())) {
                MessageAccessor.putProperty(ext, p.getKey(), p.getValue());
            }
        }
        MessageAccessor.putProperty(ext, Envelope.ID_PROPERTY, received.id());
        MessageAccessor.putProperty(ext, Envelope.BORN_PROPERTY, Long.toString(received.bornTimestamp()));
        return ext;
    }
}
