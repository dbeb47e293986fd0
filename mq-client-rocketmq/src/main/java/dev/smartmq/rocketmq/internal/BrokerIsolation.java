package dev.smartmq.rocketmq.internal;

import dev.smartmq.spi.BrokerHealthListener;
import dev.smartmq.spi.FailureScope;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * The transport's local view of which brokers are failing (DESIGN.md §4: "a broker that fails while others serve is
 * isolated locally"). Like RocketMQ's own latency fault strategy, but counting only our infrastructure failures, with
 * re-admission by probe instead of by time, and with a memory of the isolated broker's queues so that keys keep
 * their queues while the broker is away.
 *
 * <ul>
 *   <li>A send that failed on broker B is {@link FailureScope#BROKER} while another broker of the topic is not
 *       isolated, else {@link FailureScope#CLUSTER}. So with every broker failing, failures count once all but the
 *       last are isolated (a few failures later than with one broker).</li>
 *   <li>After {@code threshold} consecutive failures B is <b>isolated</b>, as long as another broker of the topic is
 *       not isolated (the last broker of a topic is never isolated: its failures are the cluster's). A broker that
 *       leaves a topic's route while it has failures is isolated at once (a stopped broker unregisters itself from
 *       the name server; its keys must not move to the other brokers' queues).</li>
 *   <li>While B is isolated, {@link #stableQueues} returns the topic's route <em>with</em> B's last known queues, so
 *       {@code hash(key) mod queues} gives every key the queue it had before; keys whose queue is on B fail at once
 *       (the caller stores them in the fallback store), all other keys keep their queues.</li>
 *   <li>{@link #readmit} (after a successful probe) ends the isolation; a broker isolated and out of every route for
 *       {@link #FORGET_AFTER_NANOS} is forgotten (its keys then spread over the remaining queues).</li>
 * </ul>
 *
 * <p>Thread rules: used by every sender thread, RocketMQ's async executor and callback threads, and the engine's
 * prober thread at once. Per-broker state changes under that broker's monitor; reads on the send path are lock-free
 * (volatile fields, concurrent maps). The {@link BrokerHealthListener} is called after the monitor is released.
 */
public final class BrokerIsolation {

    /** A broker isolated and absent from every route this long is forgotten (10 minutes). */
    public static final long FORGET_AFTER_NANOS = 10L * 60 * 1_000_000_000L;

    private static final Comparator<MessageQueue> ROUTE_ORDER =
            Comparator.comparing(MessageQueue::getBrokerName).thenComparingInt(MessageQueue::getQueueId);

    private final int threshold;
    private final LongSupplier nanoTime;
    private final ConcurrentMap<String, Health> brokers = new ConcurrentHashMap<>();
    /** Per topic, the route as {@link #stableQueues} last saw it from RocketMQ. */
    private final ConcurrentMap<String, List<MessageQueue>> lastRoute = new ConcurrentHashMap<>();
    private final AtomicInteger isolatedCount = new AtomicInteger();
    private volatile BrokerHealthListener listener = BrokerHealthListener.NONE;

    /** One broker's health. Fields written under the object's monitor, read without it. */
    private static final class Health {
        volatile int consecutiveFailures;
        volatile boolean isolated;
        volatile long isolatedAtNanos;
        /** Per topic, the broker's queues when it was isolated. Guarded by this. */
        final Map<String, List<MessageQueue>> remembered = new HashMap<>();
    }

    /** A broker to probe: its name and the topics whose queues it held when it was isolated. */
    public record Isolated(String broker, Set<String> topics, long isolatedAtNanos) {
    }

    /**
     * @param threshold consecutive failures of one broker that isolate it (at least 1)
     * @param nanoTime  the clock ({@code System::nanoTime} outside tests)
     */
    public BrokerIsolation(int threshold, LongSupplier nanoTime) {
        if (threshold < 1) {
            throw new IllegalArgumentException("threshold must be at least 1, but was " + threshold);
        }
        this.threshold = threshold;
        this.nanoTime = nanoTime;
    }

    public void listener(BrokerHealthListener listener) {
        this.listener = listener == null ? BrokerHealthListener.NONE : listener;
    }

    /**
     * The queues keys are hashed over for {@code topic}: RocketMQ's current route, plus the remembered queues of
     * isolated brokers that are missing from it (then sorted as RocketMQ sorts routes: broker name, queue id).
     * Also notices brokers that left the route while failing and isolates them.
     */
    public List<MessageQueue> stableQueues(String topic, List<MessageQueue> current) {
        List<MessageQueue> last = lastRoute.get(topic);
        if (last == null || !last.equals(current)) {
            if (last != null) {
                isolateBrokersThatLeft(topic, last, current);
            }
            lastRoute.put(topic, List.copyOf(current));
        }
        if (isolatedCount.get() == 0) {
            return current;
        }
        List<MessageQueue> merged = null;
        for (Map.Entry<String, Health> e : brokers.entrySet()) {
            Health h = e.getValue();
            if (!h.isolated || containsBroker(current, e.getKey())) {
                continue;
            }
            List<MessageQueue> queues;
            synchronized (h) {
                queues = h.remembered.get(topic);
            }
            if (queues != null && !queues.isEmpty()) {
                if (merged == null) {
                    merged = new ArrayList<>(current);
                }
                merged.addAll(queues);
            }
        }
        if (merged == null) {
            return current;
        }
        merged.sort(ROUTE_ORDER);
        return merged;
    }

    /** Whether a send of {@code topic} ever found a route in this transport (its brokers served it once). */
    public boolean wasRouted(String topic) {
        return lastRoute.containsKey(topic);
    }

    /** Whether {@code broker} is isolated now. */
    public boolean isIsolated(String broker) {
        Health h = brokers.get(broker);
        return h != null && h.isolated;
    }

    /** Whether {@code broker} is healthy: not isolated and no failure since its last success. */
    public boolean isHealthy(String broker) {
        Health h = brokers.get(broker);
        return h == null || (!h.isolated && h.consecutiveFailures == 0);
    }

    /** Whether a broker of {@code queues} other than {@code broker} is not isolated. */
    public boolean anotherAvailable(List<MessageQueue> queues, String broker) {
        for (MessageQueue q : queues) {
            if (!q.getBrokerName().equals(broker) && !isIsolated(q.getBrokerName())) {
                return true;
            }
        }
        return false;
    }

    /** A send to {@code broker} succeeded. */
    public void recordSuccess(String broker) {
        Health h = brokers.get(broker);
        if (h != null && h.consecutiveFailures != 0 && !h.isolated) {
            synchronized (h) {
                h.consecutiveFailures = 0;
            }
        }
    }

    /**
     * A send of {@code topic} failed on {@code broker} for an infrastructure reason.
     *
     * @return {@link FailureScope#BROKER} while another broker of the topic is not isolated, else
     *         {@link FailureScope#CLUSTER}
     */
    public FailureScope recordFailure(String topic, String broker, String reason) {
        Health h = brokers.computeIfAbsent(broker, b -> new Health());
        List<MessageQueue> route = lastRoute.getOrDefault(topic, List.of());
        boolean isolatedNow = false;
        FailureScope scope;
        synchronized (h) {
            h.consecutiveFailures++;
            boolean otherAvailable = anotherAvailable(route, broker);
            if (h.isolated) {
                scope = otherAvailable ? FailureScope.BROKER : FailureScope.CLUSTER;
            } else if (h.consecutiveFailures >= threshold && otherAvailable) {
                isolate(h, broker);
                isolatedNow = true;
                scope = FailureScope.BROKER;
            } else {
                // Not "another healthy": a burst of in-flight failures of a hung broker (its channel closed at
                // once) must not count because the good broker had one blip that its next success clears.
                scope = otherAvailable ? FailureScope.BROKER : FailureScope.CLUSTER;
            }
        }
        if (isolatedNow) {
            listener.brokerIsolated(broker, threshold + " consecutive failures, last: " + reason);
        }
        return scope;
    }

    /** The brokers isolated now, with what a probe needs. */
    public List<Isolated> isolated() {
        List<Isolated> out = new ArrayList<>();
        for (Map.Entry<String, Health> e : brokers.entrySet()) {
            Health h = e.getValue();
            if (h.isolated) {
                synchronized (h) {
                    out.add(new Isolated(e.getKey(), Set.copyOf(h.remembered.keySet()), h.isolatedAtNanos));
                }
            }
        }
        return out;
    }

    /** Names of the brokers isolated now. */
    public Set<String> isolatedNames() {
        Set<String> out = new LinkedHashSet<>();
        brokers.forEach((name, h) -> {
            if (h.isolated) {
                out.add(name);
            }
        });
        return Set.copyOf(out);
    }

    /** Ends the isolation of {@code broker} (a probe reached it, or it is forgotten). */
    public void readmit(String broker, String reason) {
        Health h = brokers.get(broker);
        if (h == null) {
            return;
        }
        synchronized (h) {
            if (!h.isolated) {
                return;
            }
            h.isolated = false;
            h.consecutiveFailures = 0;
            h.remembered.clear();
            isolatedCount.decrementAndGet();
        }
        listener.brokerReadmitted(broker, reason);
    }

    /** Whether {@code broker} has been isolated for longer than {@link #FORGET_AFTER_NANOS}. */
    public boolean isolatedLongerThanForgetTime(Isolated i) {
        return nanoTime.getAsLong() - i.isolatedAtNanos() > FORGET_AFTER_NANOS;
    }

    // Caller holds h's monitor.
    private void isolate(Health h, String broker) {
        h.isolated = true;
        h.isolatedAtNanos = nanoTime.getAsLong();
        lastRoute.forEach((topic, queues) -> {
            List<MessageQueue> own = queues.stream().filter(q -> q.getBrokerName().equals(broker)).toList();
            if (!own.isEmpty()) {
                h.remembered.put(topic, own);
            }
        });
        isolatedCount.incrementAndGet();
    }

    private void isolateBrokersThatLeft(String topic, List<MessageQueue> last, List<MessageQueue> current) {
        Set<String> left = new LinkedHashSet<>();
        for (MessageQueue q : last) {
            if (!containsBroker(current, q.getBrokerName())) {
                left.add(q.getBrokerName());
            }
        }
        for (String broker : left) {
            Health h = brokers.get(broker);
            if (h == null || h.consecutiveFailures == 0) {
                continue; // left without failing (scale-in): RocketMQ's own rule, keys spread over what is left
            }
            boolean isolatedNow = false;
            synchronized (h) {
                if (!h.isolated && anotherAvailable(current, broker)) {
                    isolate(h, broker);
                    // The route that still had it is the one keys were hashed over.
                    List<MessageQueue> own = last.stream().filter(q -> q.getBrokerName().equals(broker)).toList();
                    h.remembered.put(topic, own);
                    isolatedNow = true;
                }
            }
            if (isolatedNow) {
                listener.brokerIsolated(broker, "left the route of " + topic + " after failing");
            }
        }
    }

    private static boolean containsBroker(List<MessageQueue> queues, String broker) {
        for (MessageQueue q : queues) {
            if (q.getBrokerName().equals(broker)) {
                return true;
            }
        }
        return false;
    }
}
