package dev.smartmq.spi;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The namespace's registry of consumer groups, live consumer instances and SmartMQ instances (DESIGN.md §7):
 * producers fan fallback messages out to the registered groups, consumers recover the in-flight messages of dead
 * instances, operators read the instance reports. Handed out by a {@link Coordination}; implemented on ZooKeeper
 * by {@code mq-client-zk-switch}.
 *
 * <p>Thread rules: every method may be called from any thread. {@link #groups} and {@link #registeredGroups}
 * answer from a cache and never block; {@link #readGroups} and {@link #liveConsumers} read the store and block
 * up to the adapter's operation timeout.
 */
public interface ConsumerRegistry {

    /**
     * Registers a live consumer instance of {@code group} for {@code topic}: a durable record of the group
     * and a record of the instance that disappears when the instance dies. Never fails because the store is
     * unreachable: the registration is completed when it comes back.
     */
    ConsumerRegistration registerConsumer(String topic, String group, String consumerId);

    /** Consumer groups registered for {@code topic} (cached; empty if none). */
    Set<String> groups(String topic);

    /** Every registered topic and its groups (cached). */
    Map<String, Set<String>> registeredGroups();

    /**
     * Consumer groups registered for {@code topic}, read from the store now rather than from the cache, so
     * that a group registered a moment ago is included; empty when the store cannot answer. Blocks up to the
     * adapter's operation timeout: not for a send path. The default answers from the cache.
     */
    default Optional<Set<String>> readGroups(String topic) {
        return Optional.of(groups(topic));
    }

    /**
     * Live consumer instances of (topic, group), or empty when the store is unreachable (then nobody can
     * tell who is dead, and orphans must not be recovered).
     */
    Optional<Set<String>> liveConsumers(String topic, String group);

    /**
     * Publishes what this instance is doing in the namespace's instance registry, where operators read it. The
     * engine calls it at start, on every change and from its maintenance loop; an adapter writes only when the
     * report differs from the last one written. Never blocks, never throws for an unreachable store (the report
     * is written when it is back). The default ignores it (an adapter without an instance registry).
     */
    default void reportInstance(InstanceReport report) {
    }
}
