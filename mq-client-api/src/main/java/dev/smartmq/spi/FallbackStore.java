package dev.smartmq.spi;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The fallback queue: a fixed number of shards per (topic, consumer group), each a FIFO list, with
 * at-least-once claim/ack. Implemented on Redis by {@code mq-client-redis-fallback} (DESIGN.md §5, §6).
 *
 * <p>Layout rules every implementation keeps:
 * <ul>
 *   <li>{@link #shardCount()} is fixed for the life of a namespace. A message with a key goes to shard
 *       {@code hash(key) mod shardCount} (same key → same shard → FIFO); keyless messages spread evenly.</li>
 *   <li>The set of keys is a function of (namespace, topic, group, shard) only: no unbounded key growth.</li>
 *   <li>A value that fails to decode is moved to a dead-letter list with the reason by {@link #claim}, and
 *       never blocks its shard.</li>
 * </ul>
 */
public interface FallbackStore extends AutoCloseable {

    /** Connects and checks the server (e.g. warns about an evicting memory policy). Called once. */
    void start();

    /** Number of shards per (topic, group). */
    int shardCount();

    /**
     * The SmartMQ namespace this store serves, if it has one; the engine refuses to start when it differs from
     * {@code SmartMQConfig.namespace()} (a mismatch would split one fleet into two that never see each
     * other's switch or fallback messages). {@code null} when the adapter has no notion of namespace.
     */
    default String namespace() {
        return null;
    }

    /**
     * Appends a message to the shard of every group in {@code groups} and returns once the store
     * acknowledged every write. With no group registered for the topic the message goes to the topic's
     * unclaimed shards (see {@link #adoptUnclaimed}); it is never dropped.
     *
     * @throws FallbackStoreException if any write was not confirmed (the caller must treat the message as
     *                                not stored)
     */
    void append(Envelope envelope, Collection<String> groups);

    /** {@link #append} without blocking the caller; completes exceptionally with {@link FallbackStoreException}. */
    CompletableFuture<Void> appendAsync(Envelope envelope, Collection<String> groups);

    /**
     * Atomically moves up to {@code max} messages from the head of one shard into {@code consumerId}'s
     * in-flight set and returns them in shard (send) order. Returns an empty list when the shard is empty.
     */
    List<ClaimedMessage> claim(String topic, String group, int shard, String consumerId, int max);

    /** Removes a handled message from the in-flight set. Idempotent. */
    void ack(ClaimedMessage message);

    /** Acknowledges several messages, in as few round trips as the store allows. */
    default void ackAll(List<ClaimedMessage> messages) {
        for (ClaimedMessage m : messages) {
            ack(m);
        }
    }

    /**
     * Moves a claimed message back to the head of its shard (so per-key order holds), with its attempt
     * count incremented when {@code countAttempt} (it was delivered and failed) or unchanged (it was
     * claimed but never handed to the handler, e.g. on close).
     */
    void release(ClaimedMessage message, boolean countAttempt);

    /** Moves a claimed message to its group's dead-letter list with {@code reason}. */
    void deadLetter(ClaimedMessage message, String reason);

    /**
     * Adds a message that was never claimed from this store (the MQ path gave up on it) to {@code group}'s
     * dead-letter list with {@code reason}, so one dead-letter view holds the dead letters of both paths.
     * The default refuses: the caller then leaves the message to the MQ's own dead-letter queue.
     *
     * @throws FallbackStoreException        if the write was not confirmed
     * @throws UnsupportedOperationException if this store has no such list
     */
    default void deadLetterUnclaimed(Envelope envelope, String group, String reason, String consumerId) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot store MQ dead letters");
    }

    /** Messages of (topic, group) not yet acknowledged: queued in all shards plus in flight. */
    long backlog(String topic, String group);

    /**
     * Returns the in-flight messages of consumers of (topic, group) that are not in {@code liveConsumerIds}
     * to the heads of their shards.
     *
     * @return how many messages were returned
     */
    int recoverOrphans(String topic, String group, Set<String> liveConsumerIds);

    /**
     * Moves the topic's unclaimed messages (sent while no group was registered) into {@code group}'s
     * shards. Called when a group subscribes; the first group to subscribe gets them.
     *
     * @return how many messages were moved
     */
    long adoptUnclaimed(String topic, String group);

    /** Releases the store's connections (only those it created). Idempotent. */
    @Override
    void close();
}
