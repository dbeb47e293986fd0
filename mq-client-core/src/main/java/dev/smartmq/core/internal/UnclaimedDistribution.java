package dev.smartmq.core.internal;

import dev.smartmq.spi.ConsumerRegistry;
import dev.smartmq.spi.FallbackStore;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a topic's unclaimed fallback messages (sent while the sender saw no group) to <em>every</em> group
 * registered for the topic, as read from the registry now (not from its cache). The late-group rule
 * (DESIGN.md §5, §6): a message in the unclaimed shards goes to all groups registered when it is
 * distributed; it is distributed when a group subscribes and by the leader's drain decision, so it never waits
 * there unseen.
 *
 * <p>Thread rules: stateless; any thread may call it. Blocks on the registry read and the store.
 */
final class UnclaimedDistribution {
    private static final Logger log = LoggerFactory.getLogger(UnclaimedDistribution.class);

    private final FallbackStore store;
    private final ConsumerRegistry sw;

    UnclaimedDistribution(FallbackStore store, ConsumerRegistry sw) {
        this.store = store;
        this.sw = sw;
    }

    /**
     * Distributes the topic's unclaimed messages to its registered groups and {@code alsoTo} (a group whose
     * own registration may not be visible yet, or null).
     *
     * @return how many messages were distributed, or empty when the registry cannot be read now (nothing done)
     */
    OptionalLong distribute(String topic, String alsoTo) {
        Optional<Set<String>> registered = sw.readGroups(topic);
        if (registered == null || registered.isEmpty()) {
            return OptionalLong.empty();
        }
        Set<String> groups = new TreeSet<>(registered.get());
        if (alsoTo != null) {
            groups.add(alsoTo);
        }
        if (groups.isEmpty()) {
            return OptionalLong.of(0);
        }
        long moved = store.distributeUnclaimed(topic, groups);
        if (moved > 0) {
            log.info("SmartMQ: {} unclaimed fallback messages of topic {} handed to groups {}", moved, topic, groups);
        }
        return OptionalLong.of(moved);
    }
}
