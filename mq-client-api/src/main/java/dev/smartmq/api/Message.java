package dev.smartmq.api;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A message to send: topic, optional key, optional tag, user properties and a body.
 *
 * <p>Immutable and validated when built: a {@code Message} that exists obeys the input rules below, so
 * {@link SmartProducer#send(Message)} rejects it only for a body over the configured size limit. The id
 * is not part of the message: the producer assigns a stable, time-ordered id when it accepts the send
 * and returns it in the {@link SendReceipt}.
 *
 * <p>Input rules (RocketMQ's, so a message valid here is valid on either path):
 * <ul>
 *   <li>topic: 1–{@value #MAX_TOPIC_LENGTH} characters of {@code [A-Za-z0-9_-]}, not a reserved system
 *       topic;</li>
 *   <li>key: optional; if present 1–{@value #MAX_KEY_LENGTH} characters without whitespace and without
 *       RocketMQ's property separators {@code \u0001} and {@code \u0002}. Messages with the same key keep their
 *       send order in the fallback store;</li>
 *   <li>tags: optional; one tag without whitespace, without {@code ||} and without {@code \u0001} or
 *       {@code \u0002};</li>
 *   <li>properties: names of {@code [A-Za-z0-9_.-]} not starting with {@value #RESERVED_PROPERTY_PREFIX};
 *       values without the control characters {@code \u0001} and {@code \u0002};</li>
 *   <li>body: not empty; its size limit is a producer setting (default 4 MiB).</li>
 * </ul>
 * RocketMQ carries keys, tags and properties in one string split on {@code \u0001} (name/value) and
 * {@code \u0002} (between properties): a key holding them could end its own property and plant another, such as
 * the message id. They are refused everywhere (DESIGN.md §9).
 */
public final class Message {

    /** Longest topic name RocketMQ accepts. */
    public static final int MAX_TOPIC_LENGTH = 127;
    /** Longest key accepted. */
    public static final int MAX_KEY_LENGTH = 512;
    /** Property names with this prefix are SmartMQ's own (the message id travels as one). */
    public static final String RESERVED_PROPERTY_PREFIX = "SMQ_";

    private final String topic;
    private final String key;
    private final String tags;
    private final Map<String, String> properties;
    private final byte[] body;
    private final long deliverAtMillis;
    private final Object transportHint;

    private Message(Builder b) {
        this.topic = b.topic;
        this.key = b.key;
        this.tags = b.tags;
        this.properties = Collections.unmodifiableMap(new LinkedHashMap<>(b.properties));
        this.body = b.body;
        this.deliverAtMillis = b.deliverAtMillis;
        this.transportHint = b.transportHint;
    }

    /** Starts a message for {@code topic}. */
    public static Builder builder(String topic) {
        return new Builder().topic(topic);
    }

    /** Starts an empty builder; {@link Builder#topic(String)} and {@link Builder#body(byte[])} are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts as a copy of this message. */
    public Builder toBuilder() {
        Builder b = new Builder().topic(topic).key(key).tags(tags);
        b.properties.putAll(properties);
        b.body = body;
        b.deliverAtMillis = deliverAtMillis;
        b.transportHint = transportHint;
        return b;
    }

    public String topic() {
        return topic;
    }

    /** The ordering and sharding key, or {@code null}. */
    public String key() {
        return key;
    }

    /** The tag, or {@code null}. */
    public String tags() {
        return tags;
    }

    /** User properties, in insertion order; unmodifiable. */
    public Map<String, String> properties() {
        return properties;
    }

    /**
     * The body. For speed this is the message's own array, not a copy: do not modify it.
     */
    public byte[] body() {
        return body;
    }

    /**
     * When the message may be delivered at the earliest, epoch milliseconds; {@code 0} for at once (the default).
     * A time in the past is "at once". On the MQ path it is a RocketMQ timer message; in the fallback store the
     * message waits in the shard's delayed set until then (see {@code mq-client-redis-fallback}).
     */
    public long deliverAtMillis() {
        return deliverAtMillis;
    }

    /** Whether {@link #deliverAtMillis()} is still ahead of {@code nowMillis}. */
    public boolean isDelayed(long nowMillis) {
        return deliverAtMillis > nowMillis;
    }

    /**
     * An opaque object for the primary transport only (e.g. the RocketMQ drop-in producer's queue selector), or
     * {@code null}. The engine passes it through untouched; it is never encoded, stored in the fallback store or
     * sent: a message that goes to the fallback store loses it (there, the key decides the shard).
     */
    public Object transportHint() {
        return transportHint;
    }

    /** Body length in bytes. */
    public int bodySize() {
        return body.length;
    }

    /**
     * Checks the size limit that depends on producer configuration.
     *
     * @throws InvalidMessageException if the body is larger than {@code maxBodySize}
     */
    public void checkBodySize(int maxBodySize) {
        if (body.length > maxBodySize) {
            throw new InvalidMessageException("message body of topic '" + topic + "' is " + body.length
                    + " bytes, over the limit of " + maxBodySize + " bytes");
        }
    }

    @Override
    public String toString() {
        // Never the body or property values: they may hold personal data.
        return "Message{topic=" + topic + ", key=" + key + ", tags=" + tags + ", properties="
                + properties.keySet() + ", bodySize=" + body.length
                + (deliverAtMillis > 0 ? ", deliverAt=" + java.time.Instant.ofEpochMilli(deliverAtMillis) : "") + "}";
    }

    /** Validates a topic name by the rules above. */
    public static void checkTopic(String topic) {
        if (topic == null || topic.isEmpty()) {
            throw new InvalidMessageException("topic must not be null or empty");
        }
        if (topic.length() > MAX_TOPIC_LENGTH) {
            throw new InvalidMessageException("topic must be at most " + MAX_TOPIC_LENGTH
                    + " characters, but was " + topic.length() + " characters");
        }
        if (!isName(topic, false)) {
            throw new InvalidMessageException("topic may contain only [A-Za-z0-9_-], but was '" + topic + "'");
        }
        if (isReservedTopic(topic)) {
            throw new InvalidMessageException("topic '" + topic + "' is reserved by RocketMQ");
        }
    }

    private static boolean isReservedTopic(String topic) {
        return topic.startsWith("rmq_sys_") || topic.startsWith("RMQ_SYS_") || topic.startsWith("%RETRY%")
                || topic.startsWith("%DLQ%") || topic.equals("TBW102") || topic.equals("SCHEDULE_TOPIC_XXXX")
                || topic.equals("SELF_TEST_TOPIC") || topic.equals("OFFSET_MOVED_EVENT")
                || topic.equals("BenchmarkTest") || topic.equals("TRANS_CHECK_MAX_TIME_TOPIC");
    }

    /**
     * Whether {@code s} matches {@code [A-Za-z0-9_-]+} ({@code [A-Za-z0-9_.-]+} with {@code dot}): the topic and
     * property name rules, checked per character instead of by a regex matcher per message.
     */
    private static boolean isName(String s, boolean dot) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
                    || c == '-' || (dot && c == '.');
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasSeparator(String s) {
        return s.indexOf('\u0001') >= 0 || s.indexOf('\u0002') >= 0;
    }

    /** {@code s} with the separators spelled out, so an error message never carries them raw. */
    private static String escaped(String s) {
        String shown = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return shown.replace("\u0001", "\\u0001").replace("\u0002", "\\u0002");
    }

    private static boolean hasWhitespace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /** Builds a {@link Message}; {@link #build()} validates and throws {@link InvalidMessageException}. */
    public static final class Builder {
        private String topic;
        private String key;
        private String tags;
        private final Map<String, String> properties = new LinkedHashMap<>();
        private byte[] body;
        private long deliverAtMillis;
        private Object transportHint;

        private Builder() {
        }

        /**
         * Delivers the message at {@code epochMillis} at the earliest ({@code 0}: at once). See
         * {@link Message#deliverAtMillis()}.
         */
        public Builder deliverAt(long epochMillis) {
            if (epochMillis < 0) {
                throw new InvalidMessageException("deliverAt must be >= 0 epoch milliseconds, but was " + epochMillis);
            }
            this.deliverAtMillis = epochMillis;
            return this;
        }

        /** {@link #deliverAt(long)} from an {@link java.time.Instant}; {@code null} for at once. */
        public Builder deliverAt(java.time.Instant at) {
            return deliverAt(at == null ? 0 : at.toEpochMilli());
        }

        /** See {@link Message#transportHint()}. */
        public Builder transportHint(Object hint) {
            this.transportHint = hint;
            return this;
        }

        public Builder topic(String topic) {
            this.topic = topic;
            return this;
        }

        /** Sharding and ordering key (e.g. an order id); {@code null} for none. */
        public Builder key(String key) {
            this.key = key;
            return this;
        }

        /** A single tag consumers can filter on; {@code null} for none. */
        public Builder tags(String tags) {
            this.tags = tags;
            return this;
        }

        public Builder property(String name, String value) {
            if (name == null || value == null) {
                throw new InvalidMessageException("property name and value must not be null, but were "
                        + name + "=" + (value == null ? "null" : "<value>"));
            }
            properties.put(name, value);
            return this;
        }

        public Builder properties(Map<String, String> props) {
            Objects.requireNonNull(props, "properties").forEach(this::property);
            return this;
        }

        /** The body; the array is copied. */
        public Builder body(byte[] body) {
            this.body = body == null ? null : body.clone();
            return this;
        }

        /** The body as UTF-8 text. */
        public Builder body(String text) {
            this.body = text == null ? null : text.getBytes(StandardCharsets.UTF_8);
            return this;
        }

        /** Validates every input rule and builds the message. */
        public Message build() {
            checkTopic(topic);
            if (key != null) {
                if (hasSeparator(key)) {
                    throw new InvalidMessageException("key must not contain RocketMQ's property separators "
                            + "(\\u0001 or \\u0002), but was '" + escaped(key) + "'");
                }
                if (key.isEmpty() || key.length() > MAX_KEY_LENGTH || hasWhitespace(key)) {
                    throw new InvalidMessageException("key must be 1-" + MAX_KEY_LENGTH
                            + " characters without whitespace, but was '" + key + "'");
                }
            }
            if (tags != null) {
                if (hasSeparator(tags)) {
                    throw new InvalidMessageException("tags must not contain RocketMQ's property separators "
                            + "(\\u0001 or \\u0002), but was '" + escaped(tags) + "'");
                }
                if (tags.isEmpty() || hasWhitespace(tags) || tags.contains("||")) {
                    throw new InvalidMessageException(
                            "tags must be one non-empty tag without whitespace or '||', but was '" + tags + "'");
                }
            }
            for (Map.Entry<String, String> p : properties.entrySet()) {
                String name = p.getKey();
                if (!isName(name, true)) {
                    throw new InvalidMessageException(
                            "property name may contain only [A-Za-z0-9_.-], but was '" + name + "'");
                }
                if (name.startsWith(RESERVED_PROPERTY_PREFIX)) {
                    throw new InvalidMessageException("property name '" + name + "' uses the reserved prefix "
                            + RESERVED_PROPERTY_PREFIX);
                }
                String value = p.getValue();
                if (hasSeparator(value)) {
                    throw new InvalidMessageException(
                            "property '" + name + "' contains an illegal control character (\\u0001 or \\u0002)");
                }
            }
            if (body == null || body.length == 0) {
                throw new InvalidMessageException("message body of topic '" + topic + "' must not be null or empty");
            }
            return new Message(this);
        }
    }
}
