package dev.smartmq.core.internal;

import dev.smartmq.spi.ConsumerRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The abandoned-group rule of the drain decision (issue 12): a registered group that has had <em>no live
 * consumer</em> for {@code abandonedGroupTimeout}, as observed by this leader, stops holding the switch in
 * RECOVERING; its fallback messages are kept (never deleted here) and are delivered when a consumer of the
 * group comes back (it sweeps its shards in every state), or removed by an operator
 * ({@code smartmq-admin groups remove}). The same holds for a topic's unclaimed messages while the topic has no
 * registered group at all. A live consumer, or a registry that cannot be read (then nobody can tell), never
 * makes a group abandoned; the clock restarts when a consumer is seen again, and on a new leader (observations
 * are this leader's, judged on its own monotonic clock, so clock skew plays no part).
 *
 * <p>Thread rules: confined to the thread of {@link DrainDecision#tick()}.
 */
final class Abandonment {
    private static final Logger log = LoggerFactory.getLogger(Abandonment.class);

    private final ConsumerRegistry sw;
    private final long timeoutNanos;
    private final Duration timeout;
    private final Map<String, Long> withoutConsumerSince = new HashMap<>();
    private final Map<String, Long> reported = new HashMap<>();

    Abandonment(ConsumerRegistry sw, Duration timeout) {
        this.sw = sw;
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
    }

    /** Whether (topic, group), holding {@code backlog} messages, no longer counts for the drain decision. */
    boolean groupAbandoned(String topic, String group, long backlog, long nowNanos) {
        String key = topic + "\n" + group;
        Optional<Set<String>> live = sw.liveConsumers(topic, group);
        if (live != null && live.isPresent()) {
            if (live.get().isEmpty()) {
                withoutConsumerSince.putIfAbsent(key, nowNanos);
            } else {
                withoutConsumerSince.remove(key);
                if (reported.remove(key) != null) {
                    log.info("SmartMQ: group {} of topic {} has a live consumer again; it holds the switch until "
                            + "its {} fallback messages are consumed", group, topic, backlog);
                }
            }
        }
        return decide(key, nowNanos, () -> log.warn("SmartMQ: group {} of topic {} has had no live consumer for {}"
                + " (abandonedGroupTimeout): its {} fallback messages are KEPT but no longer hold the switch in "
                + "RECOVERING. Remove the group with 'smartmq-admin groups remove' if it is gone for good.",
                group, topic, timeout, backlog));
    }

    /** Whether the unclaimed messages of a topic with {@code noGroup} no longer count. */
    boolean topicAbandoned(String topic, boolean noGroup, long waiting, long nowNanos) {
        String key = topic + "\n#unclaimed";
        if (noGroup) {
            withoutConsumerSince.putIfAbsent(key, nowNanos);
        } else {
            withoutConsumerSince.remove(key);
            reported.remove(key);
        }
        return decide(key, nowNanos, () -> log.warn("SmartMQ: topic {} has had no registered group for {} "
                + "(abandonedGroupTimeout): its {} unclaimed fallback messages are KEPT for the first groups that "
                + "register, but no longer hold the switch in RECOVERING", topic, timeout, waiting));
    }

    private boolean decide(String key, long nowNanos, Runnable report) {
        Long since = withoutConsumerSince.get(key);
        boolean abandoned = since != null && nowNanos - since >= timeoutNanos;
        if (abandoned && reported.putIfAbsent(key, nowNanos) == null) {
            report.run();
        }
        return abandoned;
    }
}
