package dev.smartmq.rocketmq.internal;

import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Route;
import dev.smartmq.rocketmq.RocketMQProperties;
import dev.smartmq.spi.Envelope;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * Maps SmartMQ messages to RocketMQ messages and back. Stateless.
 *
 * <p>Sending: topic → topic, key → RocketMQ {@code KEYS}, tags → {@code TAGS}, user properties → user
 * properties, envelope id → {@link Envelope#ID_PROPERTY}, born time → {@link Envelope#BORN_PROPERTY}; a property
 * {@link RocketMQProperties#KEYS} (set by {@code SmartRocketMQProducer} for several keys or an ordered send) is
 * RocketMQ's {@code KEYS} instead of the key.
 *
 * <p>Receiving is lenient: whatever RocketMQ accepted is delivered, also from a raw producer that breaks
 * {@link Message}'s rules. What a {@link Message} cannot hold natively is carried in the properties named in
 * {@link RocketMQProperties} (all keys, a tag expression-like tag, properties with names SmartMQ refuses). The id
 * is {@code SMQ_ID} only in the form SmartMQ writes (a UUIDv7), otherwise RocketMQ's {@code msgId}.
 */
public final class MessageMapping {

    /** RocketMQ's limit on the encoded properties of one message (a 16-bit length field). */
    public static final int MAX_PROPERTIES_BYTES = Short.MAX_VALUE;

    private static final Pattern PROPERTY_NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    /** The text form of a UUIDv7 as SmartMQ writes it (lower case, version 7, RFC 9562 variant). */
    private static final Pattern UUID_V7 =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

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
            if (p.getKey().equals(RocketMQProperties.KEYS)) {
                out.setKeys(p.getValue()); // all of RocketMQ's keys (the drop-in producer's), indexed by the broker
            } else {
                out.putUserProperty(p.getKey(), p.getValue());
            }
        }
        out.putUserProperty(Envelope.ID_PROPERTY, envelope.id());
        out.putUserProperty(Envelope.BORN_PROPERTY, Long.toString(envelope.bornTimestamp()));
        // Delay: the drop-in producer's RocketMQ delay level as that level (the broker's messageDelayLevel applies);
        // otherwise a deliverAt still ahead as a RocketMQ timer message (needs the broker's timerWheelEnable).
        if (m.transportHint() instanceof SendHint h && h.delayLevel() > 0) {
            out.setDelayTimeLevel(h.delayLevel());
        } else if (m.isDelayed(System.currentTimeMillis())) {
            out.setDeliverTimeMs(m.deliverAtMillis());
        }
        return out;
    }

    /** Whether {@code id} has the form of the ids SmartMQ assigns (UUIDv7 text), the only {@code SMQ_ID} trusted. */
    public static boolean isSmartMQId(String id) {
        return id != null && UUID_V7.matcher(id).matches();
    }

    /** {@link #fromRocketMQ(MessageExt, String)} with the message's own topic. */
    public static ReceivedMessage fromRocketMQ(MessageExt ext) {
        return fromRocketMQ(ext, ext.getTopic());
    }

    /**
     * The {@link ReceivedMessage} for a delivered RocketMQ message, delivered as {@code topic} (the topic without
     * the namespace). Never refuses a message RocketMQ can carry; see the class comment for what goes where.
     *
     * @throws InvalidMessageException only when no {@link Message} can represent it at all (an empty body, which
     *                                 only non-Java producers can send); the reason never quotes keys or values
     */
    public static ReceivedMessage fromRocketMQ(MessageExt ext, String topic) {
        byte[] body = ext.getBody();
        if (body == null || body.length == 0) {
            throw new InvalidMessageException("the message has an empty body, which a SmartMQ message cannot have");
        }
        Message.Builder b = Message.builder(topic).body(body);
        Map<String, String> unmapped = new LinkedHashMap<>();

        String keys = ext.getKeys();
        if (keys != null && !keys.isBlank()) {
            String trimmed = keys.trim();
            String first = trimmed.split("\\s+")[0];
            boolean firstFits = first.length() <= Message.MAX_KEY_LENGTH;
            if (firstFits) {
                b.key(first);
            }
            if (!firstFits || !first.equals(trimmed)) {
                b.property(RocketMQProperties.KEYS, keys);
            }
        }
        String tags = ext.getTags();
        if (tags != null && !tags.isEmpty()) {
            if (!tags.isBlank() && !tags.contains("||") && tags.chars().noneMatch(Character::isWhitespace)) {
                b.tags(tags);
            } else {
                b.property(RocketMQProperties.TAGS, tags);
            }
        }
        String id = ext.getUserProperty(Envelope.ID_PROPERTY);
        boolean trusted = isSmartMQId(id);
        for (Map.Entry<String, String> p : ext.getProperties().entrySet()) {
            String name = p.getKey();
            String value = p.getValue();
            if (value == null || MessageConst.STRING_HASH_SET.contains(name)) {
                continue; // RocketMQ's own: keys and tags above, the rest is transport detail
            }
            if (name.equals(Envelope.ID_PROPERTY) || name.equals(Envelope.BORN_PROPERTY)) {
                if (!trusted) {
                    unmapped.put(name, value); // a foreign producer's value: visible, never the identity
                }
                continue;
            }
            if (PROPERTY_NAME.matcher(name).matches() && !name.startsWith(Message.RESERVED_PROPERTY_PREFIX)
                    && !name.startsWith(RocketMQProperties.PREFIX)
                    && value.indexOf('\u0001') < 0 && value.indexOf('\u0002') < 0) {
                b.property(name, value);
            } else {
                unmapped.put(name, value);
            }
        }
        if (!unmapped.isEmpty()) {
            b.property(RocketMQProperties.PROPERTIES, RocketMQProperties.encode(unmapped));
        }
        if (!trusted) {
            id = ext.getMsgId();
        }
        long born = ext.getBornTimestamp();
        String bornText = trusted ? ext.getUserProperty(Envelope.BORN_PROPERTY) : null;
        if (bornText != null) {
            try {
                born = Long.parseLong(bornText);
            } catch (NumberFormatException e) {
                born = ext.getBornTimestamp();
            }
        }
        return new ReceivedMessage(id, b.build(), born, ext.getReconsumeTimes() + 1, Route.MQ);
    }
}
