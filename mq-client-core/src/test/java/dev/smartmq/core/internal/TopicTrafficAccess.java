package dev.smartmq.core.internal;

/** Test access to {@link TopicTraffic}'s bound. */
public final class TopicTrafficAccess {
    private TopicTrafficAccess() {
    }

    public static int maxTopics() {
        return TopicTraffic.MAX_TOPICS;
    }
}
