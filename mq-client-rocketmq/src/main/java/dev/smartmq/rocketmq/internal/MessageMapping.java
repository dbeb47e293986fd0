package dev.smartmq.rocketmq.internal;

import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Route;
import dev.smartmq.spi.Envelope;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * Maps SmartMQ messages to RocketMQ messages and back. Stateless.
 *
 * <p>Sending: topic → topic, key → RocketMQ {@code KEYS}, tags → {@code TAGS}, user properties → user
 * properties, envelope id → {@link Envelope#ID_PROPERTY}, born time → {@link Envelope#BORN_PROPERTY}.
 * Receiving is the inverse; a message that did not come from SmartMQ (no id property) gets RocketMQ's
 * {@code msgId} as its id and RocketMQ's born timestamp.
 */
public final class MessageMapping {

    /** RocketMQ's limit on the encoded properties of one message (a 16-bit length field). */
    public static final int MAX_PROPERTIES_BYTES = Short.MAX_VALUE;

    private static final Pattern PROPERTY_NAME = Pattern.compile("[A-Za-z0-9_.-]+");

    private MessageMapping() {
    }

    /**
     * Checks the rules RocketMQ adds to {@link Message}'s own: property names it reserves, blank property
     * values (RocketMQ refuses them), the body limit, the topic length once the namespace is prepended, and the
     * encoded size of the properties.
     *
     * @throws InvalidMessageException naming the rule and the offending field
     */
    public static void validate(Message message, int maxBodySize, String namespace) {
        int topicLength = message.topic().length() + (namespace == null ? 0 : namespace.length() + 1);
        if (topicLength > Message.MAX_TOPIC_LENGTH) {
            throw new InvalidMessageException("topic '" + message.topic() + "' with namespace '" + namespace
                    + "' is " + topicLength + " characters, over RocketMQ's limit of " + Message.MAX_TOPIC_LENGTH);
        }
        message.checkBodySize(maxBodySize);
        int propertyBytes = 0;
        for (Map.Entry<String, String> p : message.properties().entrySet()) {
            if (MessageConst.STRING_HASH_SET.contains(p.getKey())) {
                throw new InvalidMessageException("property name '" + p.getKey()
                        + "' is reserved by RocketMQ (MessageConst); choose another name");
            }
            if (p.getValue().isBlank()) {
                throw new InvalidMessageException("property '" + p.getKey()
                        + "' has a blank value, which RocketMQ refuses");
            }
            propertyBytes += p.getKey().getBytes(StandardCharsets.UTF_8).length
                    + p.getValue().getBytes(StandardCharsets.UTF_8).length + 2;
        }
        if (propertyBytes > MAX_PROPERTIES_BYTES / 2) {
            // Half the wire limit: RocketMQ adds its own properties (keys, tags, unique id, ours) on top.
            throw new InvalidMessageException("properties of a message to '" + message.topic() + "' take "
                    + propertyBytes + " bytes, over the limit of " + MAX_PROPERTIES_BYTES / 2);
        }
    }

    /** The RocketMQ message for {@code envelope} (topic without namespace: the client adds it). */
    public static org.apache.rocketmq.common.message.Message toRocketMQ(Envelope envelope) {
        Message m = envelope.message();
        org.apache.rocketmq.common.message.Message out =
                new org.apache.rocketmq.common.message.Message(m.topic(), m.tags(), m.key(), m.body());
        for (Map.Entry<String, String> p : m.properties().entrySet()) {
            out.putUserProperty(p.getKey(), p.getValue());
        }
        out.putUserProperty(Envelope.ID_PROPERTY, envelope.id());
        out.putUserProperty(Envelope.BORN_PROPERTY, Long.toString(envelope.bornTimestamp()));
        return out;
    }

    /**
     * The {@link ReceivedMessage} for a delivered RocketMQ message. Properties RocketMQ reserves and SmartMQ's
     * own are not user properties; a foreign property whose name SmartMQ would refuse is left out, and of
     * several space-separated keys the first one is the key.
     */
    public static ReceivedMessage fromRocketMQ(MessageExt ext) {
        Message.Builder b = Message.builder(ext.getTopic()).body(ext.getBody());
        String keys = ext.getKeys();
        if (keys != null && !keys.isBlank()) {
            b.key(keys.trim().split("\\s+")[0]);
        }
        String tags = ext.getTags();
        if (tags != null && !tags.isBlank() && !tags.contains("||") && tags.chars().noneMatch(Character::isWhitespace)) {
            b.tags(tags);
        }
        for (Map.Entry<String, String> p : ext.getProperties().entrySet()) {
            String name = p.getKey();
            if (MessageConst.STRING_HASH_SET.contains(name) || name.startsWith(Message.RESERVED_PROPERTY_PREFIX)
                    || !PROPERTY_NAME.matcher(name).matches() || p.getValue() == null) {
                continue;
            }
            b.property(name, p.getValue());
        }
        String id = ext.getUserProperty(Envelope.ID_PROPERTY);
        if (id == null || id.isEmpty()) {
            id = ext.getMsgId();
        }
        long born = ext.getBornTimestamp();
        String bornText = ext.getUserProperty(Envelope.BORN_PROPERTY);
        if (bornText != null) {
            try {
                born = Long.parseLong(bornText);
            } catch (NumberFormatException e) {
                // A foreign producer used our property name: RocketMQ's own born time is the better answer.
                born = ext.getBornTimestamp();
            }
        }
        return new ReceivedMessage(id, b.build(), born, ext.getReconsumeTimes() + 1, Route.MQ);
    }
}
