package dev.smartmq.api;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a consumer group reads: a topic, a tag filter and an ordering. Every consumer group subscribed to
 * a topic receives every message of that topic (publish/subscribe), on the MQ and in the fallback store.
 *
 * <p>All subscriptions of one group must use the same {@link Ordering}; that is how RocketMQ groups work.
 */
public final class Subscription {

    /** Tag expression that matches every message. */
    public static final String ALL_TAGS = "*";
    /** Longest consumer group name accepted. */
    public static final int MAX_GROUP_LENGTH = 120;

    private static final Pattern GROUP = Pattern.compile("[A-Za-z0-9_-]+");

    private final String topic;
    private final String group;
    private final String tagExpression;
    private final Ordering ordering;

    private Subscription(String topic, String group, String tagExpression, Ordering ordering) {
        this.topic = topic;
        this.group = group;
        this.tagExpression = tagExpression;
        this.ordering = ordering;
    }

    /** A concurrent subscription of {@code group} to every message of {@code topic}. */
    public static Subscription of(String topic, String group) {
        return builder(topic, group).build();
    }

    public static Builder builder(String topic, String group) {
        return new Builder(topic, group);
    }

    public String topic() {
        return topic;
    }

    public String group() {
        return group;
    }

    /** RocketMQ tag expression: {@code *} or {@code TagA || TagB}. */
    public String tagExpression() {
        return tagExpression;
    }

    public Ordering ordering() {
        return ordering;
    }

    /** Whether a message with {@code tags} passes this subscription's tag expression. */
    public boolean acceptsTag(String tags) {
        if (ALL_TAGS.equals(tagExpression)) {
            return true;
        }
        if (tags == null) {
            return false;
        }
        for (String t : tagExpression.split("\\|\\|")) {
            if (t.trim().equals(tags)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Subscription s && topic.equals(s.topic) && group.equals(s.group)
                && tagExpression.equals(s.tagExpression) && ordering == s.ordering;
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, group, tagExpression, ordering);
    }

    @Override
    public String toString() {
        return "Subscription{topic=" + topic + ", group=" + group + ", tags=" + tagExpression + ", ordering="
                + ordering + "}";
    }

    /** Builds a {@link Subscription}; validates in {@link #build()}. */
    public static final class Builder {
        private final String topic;
        private final String group;
        private String tagExpression = ALL_TAGS;
        private Ordering ordering = Ordering.CONCURRENT;

        private Builder(String topic, String group) {
            this.topic = topic;
            this.group = group;
        }

        public Builder tagExpression(String expression) {
            this.tagExpression = expression;
            return this;
        }

        public Builder ordering(Ordering ordering) {
            this.ordering = ordering;
            return this;
        }

        public Builder ordered() {
            return ordering(Ordering.ORDERED);
        }

        public Subscription build() {
            try {
                Message.checkTopic(topic);
            } catch (InvalidMessageException e) {
                throw new ConfigurationException("subscription " + e.getMessage());
            }
            ConfigurationException.check(group != null && !group.isEmpty() && group.length() <= MAX_GROUP_LENGTH
                    && GROUP.matcher(group).matches(), "group",
                    group == null ? null : "'" + group + "'",
                    "must be 1-" + MAX_GROUP_LENGTH + " characters of [A-Za-z0-9_-]");
            ConfigurationException.check(tagExpression != null && !tagExpression.isBlank(), "tagExpression",
                    tagExpression, "must not be blank (use \"*\" for all tags)");
            ConfigurationException.check(ordering != null, "ordering", null, "must not be null");
            return new Subscription(topic, group, tagExpression.trim(), ordering);
        }
    }
}
