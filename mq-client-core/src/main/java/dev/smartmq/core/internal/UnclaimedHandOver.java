package dev.smartmq.core.internal;

import dev.smartmq.spi.ConsumerRegistry;
import dev.smartmq.spi.FallbackStore;
import java.util.Collection;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a sender's per-key order across the unclaimed shards: the groups a fallback append goes to. While the
 * sender's registry cache shows no group, its appends go to the unclaimed shards; the first time it sees the
 * topic's groups again it hands what is unclaimed to them ({@link UnclaimedDistribution}) <em>before</em> its
 * first direct write, so an ORDERED consumer never takes a key's newer message ahead of its older unclaimed ones
 * (found by the fault campaign: a producer restarted during a ZooKeeper quorum loss). Until the hand-over has
 * succeeded (registry readable, none of this sender's unclaimed appends still in flight) its appends keep going
 * to the unclaimed shards, behind the older ones.
 *
 * <p>Thread rules: any sender thread; never blocks except for the one hand-over (a registry read and one store
 * call per non-empty shard), which one thread at a time runs. State is bounded by the topics this sender uses.
 */
final class UnclaimedHandOver {
    private static final Logger log = LoggerFactory.getLogger(UnclaimedHandOver.class);

    private final ConsumerRegistry registry;
    private final UnclaimedDistribution distribution;
    /** Topics this sender wrote to the unclaimed shards and has not handed over since. */
    private final Set<String> owed = ConcurrentHashMap.newKeySet();
    /** This sender's unclaimed appends still in flight, per topic. */
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final Object handOverLock = new Object();

    UnclaimedHandOver(FallbackStore store, ConsumerRegistry registry) {
        this.registry = registry;
        this.distribution = new UnclaimedDistribution(store, registry);
    }

    /** The groups to append a message of {@code topic} to now: empty means the unclaimed shards. */
    Collection<String> groupsFor(String topic) {
        Set<String> groups = registry.groups(topic);
        if (groups.isEmpty()) {
            owed.add(topic);
            return groups;
        }
        if (owed.contains(topic) && !handOver(topic)) {
            return Set.of();
        }
        return groups;
    }

    /** An append to {@code groups} starts (call {@link #finished} when it is answered). */
    void started(String topic, Collection<String> groups) {
        if (groups.isEmpty()) {
            inFlight.computeIfAbsent(topic, t -> new AtomicInteger()).incrementAndGet();
        }
    }

    /** The append {@link #started} with {@code groups} was answered, stored or not. */
    void finished(String topic, Collection<String> groups) {
        if (groups.isEmpty()) {
            AtomicInteger n = inFlight.get(topic);
            if (n != null) {
                n.decrementAndGet();
            }
        }
    }

    private boolean handOver(String topic) {
        synchronized (handOverLock) {
            if (!owed.contains(topic)) {
                return true;
            }
            AtomicInteger pending = inFlight.get(topic);
            if (pending != null && pending.get() > 0) {
                return false; // an older unclaimed append could still land behind the hand-over
            }
            OptionalLong moved;
            try {
                moved = distribution.distribute(topic, null);
            } catch (RuntimeException e) {
                log.warn("SmartMQ: handing this sender's unclaimed messages of topic {} to its groups failed ({});"
                        + " its messages stay in the unclaimed shards until it succeeds", topic, e.toString());
                return false;
            }
            if (moved.isEmpty()) {
                return false; // the registry cannot be read now: stay behind the older ones
            }
            owed.remove(topic);
            return true;
        }
    }
}
