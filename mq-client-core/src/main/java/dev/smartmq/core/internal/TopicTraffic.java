package dev.smartmq.core.internal;

import com.codahale.metrics.Counter;
import dev.smartmq.api.Route;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts sends per topic and deliveries per (topic, group), next to the per-instance totals of
 * {@link EngineMetrics}, so that an exporter can tag them ({@code topic}, {@code group}, {@code route},
 * {@code outcome}) instead of summing the whole instance. Dropwizard names (under the engine's prefix):
 * <ul>
 *   <li>{@code producer.sends.topic.<topic>.<route>.<outcome>}: {@code mq.success}, {@code fallback.success},
 *       {@code none.failed} (stored nowhere), {@code none.rejected} (refused as input);</li>
 *   <li>{@code consumer.deliveries.<topic>.<group>.<route>.<outcome>}: {@code route} {@code mq} or
 *       {@code fallback}, {@code outcome} {@code success}, {@code retried} or {@code dead-lettered}.</li>
 * </ul>
 * Topic and group names never hold a dot (the api's and the transport's name rules), so the names split on it.
 *
 * <p>Cardinality: the counters of a topic (4) or of a (topic, group) (6) are registered when it is first seen,
 * so their number follows the topics the application sends to and the groups it subscribes. It is bounded: after
 * {@value #MAX_TOPICS} topics (or {@value #MAX_GROUPS} pairs) every further one is counted under the topic
 * (and group) {@value #OTHER}, with one WARN; the per-instance totals stay exact either way. A message refused
 * before it had a valid topic (a null message) is counted under {@value #OTHER} too.
 *
 * <p>Thread rules: every method may be called from any thread, concurrently; the hot path is two map reads and
 * a {@link Counter} increment (no allocation once the topic is known). Registration goes through
 * {@link EngineMetrics#add}, so {@link EngineMetrics#close()} removes these counters with the others.
 */
final class TopicTraffic {
    private static final Logger log = LoggerFactory.getLogger(TopicTraffic.class);

    /** Distinct topics counted one by one; further topics share {@value #OTHER}. */
    static final int MAX_TOPICS = 500;
    /** Distinct (topic, group) pairs counted one by one; further pairs share ({@value #OTHER}, {@value #OTHER}). */
    static final int MAX_GROUPS = 500;
    /** Topic and group name of what is over the bound (not a valid topic or group name, so never a real one). */
    static final String OTHER = "(other)";

    /** Map key of {@link #OTHER} (holds a dot, which a topic or group never does). */
    private static final String OTHER_KEY = "(other).";

    /** Send counters of one topic. */
    static final class Sends {
        final Counter mq;
        final Counter fallback;
        final Counter failed;
        final Counter rejected;

        private Sends(EngineMetrics m, String topic) {
            String p = "producer.sends.topic." + topic + ".";
            mq = m.add(p + "mq.success", new Counter());
            fallback = m.add(p + "fallback.success", new Counter());
            failed = m.add(p + "none.failed", new Counter());
            rejected = m.add(p + "none.rejected", new Counter());
        }
    }

    /** Delivery counters of one (topic, group). */
    static final class Deliveries {
        private final Counter[] success = new Counter[2];
        private final Counter[] retried = new Counter[2];
        private final Counter[] deadLettered = new Counter[2];

        private Deliveries(EngineMetrics m, String topic, String group) {
            String p = "consumer.deliveries." + topic + "." + group + ".";
            for (Route r : new Route[] {Route.MQ, Route.FALLBACK}) {
                String route = r == Route.MQ ? "mq" : "fallback";
                success[index(r)] = m.add(p + route + ".success", new Counter());
                retried[index(r)] = m.add(p + route + ".retried", new Counter());
                deadLettered[index(r)] = m.add(p + route + ".dead-lettered", new Counter());
            }
        }

        private static int index(Route r) {
            return r == Route.MQ ? 0 : 1;
        }
    }

    private final EngineMetrics metrics;
    private final ConcurrentMap<String, Sends> sends = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, ConcurrentMap<String, Deliveries>> deliveries = new ConcurrentHashMap<>();
    private final AtomicInteger groupCount = new AtomicInteger();
    private final AtomicBoolean topicsWarned = new AtomicBoolean();
    private final AtomicBoolean groupsWarned = new AtomicBoolean();

    TopicTraffic(EngineMetrics metrics) {
        this.metrics = metrics;
    }

    /** The send counters of {@code topic} ({@code null}: a message without a topic). */
    Sends sends(String topic) {
        if (topic == null) {
            return otherSends();
        }
        Sends s = sends.get(topic);
        if (s != null) {
            return s;
        }
        synchronized (sends) {
            s = sends.get(topic);
            if (s != null) {
                return s;
            }
            if (sends.size() >= MAX_TOPICS) {
                if (topicsWarned.compareAndSet(false, true)) {
                    log.warn("SmartMQ: more than {} topics sent to; sends of further topics are counted under the "
                            + "topic '{}' (the instance totals stay exact)", MAX_TOPICS, OTHER);
                }
                return otherSends();
            }
            s = new Sends(metrics, topic);
            sends.put(topic, s);
            return s;
        }
    }

    private Sends otherSends() {
        return sends.computeIfAbsent(OTHER_KEY, t -> new Sends(metrics, OTHER));
    }

    void sentMq(String topic) {
        sends(topic).mq.inc();
    }

    void sentFallback(String topic) {
        sends(topic).fallback.inc();
    }

    void sendFailed(String topic) {
        sends(topic).failed.inc();
    }

    void sendRejected(String topic) {
        sends(topic).rejected.inc();
    }

    /** The delivery counters of (topic, group). */
    Deliveries deliveries(String topic, String group) {
        ConcurrentMap<String, Deliveries> byGroup = deliveries.get(topic);
        Deliveries d = byGroup == null ? null : byGroup.get(group);
        if (d != null) {
            return d;
        }
        synchronized (deliveries) {
            byGroup = deliveries.computeIfAbsent(topic, t -> new ConcurrentHashMap<>());
            d = byGroup.get(group);
            if (d != null) {
                return d;
            }
            if (groupCount.get() >= MAX_GROUPS) {
                if (groupsWarned.compareAndSet(false, true)) {
                    log.warn("SmartMQ: more than {} (topic, group) pairs consumed; deliveries of further pairs are "
                            + "counted under the topic and group '{}' (the instance totals stay exact)", MAX_GROUPS,
                            OTHER);
                }
                return deliveries.computeIfAbsent(OTHER_KEY, t -> new ConcurrentHashMap<>())
                        .computeIfAbsent(OTHER_KEY, g -> new Deliveries(metrics, OTHER, OTHER));
            }
            d = new Deliveries(metrics, topic, group);
            byGroup.put(group, d);
            groupCount.incrementAndGet();
            return d;
        }
    }

    void consumed(String topic, String group, Route route) {
        deliveries(topic, group).success[Deliveries.index(route)].inc();
    }

    void retried(String topic, String group, Route route) {
        deliveries(topic, group).retried[Deliveries.index(route)].inc();
    }

    void deadLettered(String topic, String group, Route route) {
        deliveries(topic, group).deadLettered[Deliveries.index(route)].inc();
    }
}
