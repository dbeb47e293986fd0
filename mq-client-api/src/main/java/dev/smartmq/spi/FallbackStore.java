package dev.smartmq.spi;

import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
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

    /**
     * Returns the messages of every claim made through this store instance whose reply was lost (a timeout or a
     * cut connection after the store may have run it) to the heads of their shards. The engine calls it on a
     * timer and whenever an instance stops claiming a shard (ordered allocation moved it), so such messages are
     * never stranded in flight. Cheap when there is nothing to return (no I/O).
     *
     * @return how many messages were returned
     * @throws FallbackStoreException if the store cannot be reached (the claims are kept and returned later)
     */
    default int returnLostClaims() {
        return 0;
    }

    /**
     * Takes or renews, for {@code consumerId}, the leases of {@code shards} of an ORDERED (topic, group): a shard's
     * lease is free, or already held by {@code consumerId}, and then held by it for {@code lease}. At most one
     * instance holds a shard's lease at a time; that instance alone may {@link #claimLeased claim} from it.
     * The default (a store without leases) grants every lease: no fencing.
     *
     * @return the shards {@code consumerId} holds now
     * @throws FallbackStoreException if the store cannot be reached
     */
    default Set<Integer> acquireShardLeases(String topic, String group, Collection<Integer> shards, String consumerId,
                                            Duration lease) {
        return new HashSet<>(shards);
    }

    /** Gives up a shard's lease if {@code consumerId} holds it (otherwise does nothing). */
    default void releaseShardLease(String topic, String group, int shard, String consumerId) {
    }

    /**
     * {@link #claim} for an ORDERED shard, fenced: claims only while {@code consumerId} holds the shard's lease and
     * nothing else of the shard is in flight (a previous holder's unfinished batch must be acknowledged, released
     * or recovered first, so no newer message overtakes it). Returns an empty list otherwise. The default
     * (a store without leases) is {@link #claim}.
     */
    default List<ClaimedMessage> claimLeased(String topic, String group, int shard, String consumerId, int max) {
        return claim(topic, group, shard, consumerId, max);
    }

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
     * Messages of (topic, group) held until their {@code deliverAt} ({@link dev.smartmq.api.Message#deliverAtMillis()}),
     * not yet in a shard's queue, so not in {@link #backlog}. The leader's drain decision adds them: the switch does not
     * return to NORMAL while a delayed message waits for its time. An ORDERED subscription's drain-first gate does not
     * wait for them (a delayed message has no place in a key's order). The default (a store without delayed messages,
     * which appends them at once) is 0.
     */
    default long delayedBacklog(String topic, String group) {
        return 0;
    }

    /**
     * The {@link #delayedBacklog} messages due before {@code epochMillis}: the ones the leader's drain decision waits
     * for ({@code SmartMQConfig.delayedDrainHorizon}). The default (a store that cannot tell) counts them all.
     */
    default long delayedBacklogDueBefore(String topic, String group, long epochMillis) {
        return delayedBacklog(topic, group);
    }

    /**
     * Returns the in-flight messages of consumers of (topic, group) that are not in {@code liveConsumerIds}
     * to the heads of their shards. A shard whose lease (see {@link #acquireShardLeases}) is held by an instance
     * that is not in {@code liveConsumerIds} is skipped: that instance still works on it (it reaches the store,
     * not the registry); its entries come back once its lease expired.
     *
     * @return how many messages were returned
     */
    int recoverOrphans(String topic, String group, Set<String> liveConsumerIds);

    /**
     * Moves the topic's unclaimed messages (sent while no group was registered) into {@code group}'s
     * shards only. The engine uses {@link #distributeUnclaimed} (every group gets them); this is for tools.
     *
     * @return how many messages were moved
     */
    long adoptUnclaimed(String topic, String group);

    /**
     * Copies every message waiting in the topic's unclaimed shards to the shard of each group in
     * {@code groups} (ahead of what is queued there: they are older, and keep their order) and removes it
     * from the unclaimed shards, atomically per shard: a message goes to all of {@code groups} or stays
     * unclaimed. Nothing happens when {@code groups} is empty.
     *
     * @return how many messages left the unclaimed shards
     * @throws FallbackStoreException if the store cannot be reached (what was moved before stays moved)
     */
    long distributeUnclaimed(String topic, Collection<String> groups);

    /** Messages waiting in the topic's unclaimed shards. */
    long unclaimedBacklog(String topic);

    /**
     * Topics whose unclaimed shards hold or held messages (a superset: a topic stays listed once its
     * unclaimed shards are empty). Bounded by the number of topics. The leader's drain decision reads it so
     * that no message waits there unseen.
     */
    Set<String> unclaimedTopics();

    /** Releases the store's connections (only those it created). Idempotent. */
    @Override
    void close();
}
