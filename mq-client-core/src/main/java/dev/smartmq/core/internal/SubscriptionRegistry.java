package dev.smartmq.core.internal;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.Subscription;
import java.util.Collection;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The consumer's active subscriptions by (topic, group), and the rules for adding one: not after close, not
 * twice, and every subscription of one group with the same ordering.
 *
 * <p>Threads: {@link #add}, {@link #remove} and {@link #close} serialize on one lock, so a subscription being
 * activated is either finished before {@code close()} goes on or refused; {@link #all} and {@link #names} read a
 * concurrent map without the lock, from any thread.
 */
final class SubscriptionRegistry {
    private final ConcurrentMap<String, ConsumerSubscription> byKey = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private volatile boolean closed;

    /** Throws if {@code subscription} may not be added now; otherwise nothing. Call only under {@link #add}. */
    private void check(Subscription subscription) {
        if (closed) {
            throw new IllegalStateException("SmartMQ consumer is closed");
        }
        if (byKey.containsKey(key(subscription.topic(), subscription.group()))) {
            throw new IllegalStateException("(" + subscription.topic() + ", " + subscription.group()
                    + ") is already subscribed on this SmartMQ instance");
        }
        for (ConsumerSubscription other : byKey.values()) {
            if (other.group.equals(subscription.group()) && other.subscription.ordering() != subscription.ordering()) {
                throw new ConfigurationException("ordering of group " + subscription.group() + " must be "
                        + other.subscription.ordering() + " like its other subscriptions, but was "
                        + subscription.ordering());
            }
        }
    }

    /**
     * Under the lock: checks the rules, runs {@code activate} on the new subscription (which may throw: then it is
     * not added), then adds it and runs {@code afterAdd}.
     */
    void add(Subscription subscription, Supplier<ConsumerSubscription> create,
             Consumer<ConsumerSubscription> activate, Consumer<ConsumerSubscription> afterAdd) {
        synchronized (lock) {
            check(subscription);
            ConsumerSubscription sub = create.get();
            activate.accept(sub);
            byKey.put(key(sub.topic, sub.group), sub);
            afterAdd.accept(sub);
        }
    }

    ConsumerSubscription remove(String topic, String group) {
        synchronized (lock) {
            return byKey.remove(key(topic, group));
        }
    }

    /** Refuses every later {@link #add}; {@code true} for the first call only. */
    boolean close() {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            closed = true;
            return true;
        }
    }

    boolean isClosed() {
        return closed;
    }

    Collection<ConsumerSubscription> all() {
        return byKey.values();
    }

    void clear() {
        byKey.clear();
    }

    /** The active subscriptions as {@code topic/group}, sorted (for the instance registry). */
    SortedSet<String> names() {
        SortedSet<String> names = new TreeSet<>();
        for (ConsumerSubscription sub : byKey.values()) {
            names.add(sub.topic + "/" + sub.group);
        }
        return names;
    }

    private static String key(String topic, String group) {
        return topic + '\u0000' + group;
    }
}
