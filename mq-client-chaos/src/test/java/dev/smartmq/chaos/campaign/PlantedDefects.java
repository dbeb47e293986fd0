package dev.smartmq.chaos.campaign;

import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FallbackStore;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Defects planted on purpose, to prove the checkers catch them (a checker that cannot fail proves nothing).
 * Off unless a client process is started with {@value #PROPERTY}: {@code drop-fallback:N} makes the fallback
 * store acknowledge 1 in N appends without writing them (the SDK then acknowledges a message stored nowhere:
 * the lost checker must report it); {@code reorder:N} makes a sync keyed sender store 1 in N pairs of its
 * messages in the wrong order while recording them in the right one (the order checker must report it).
 */
final class PlantedDefects {

    static final String PROPERTY = "smartmq.campaign.plant";

    private PlantedDefects() {
    }

    /** Every how many appends one is dropped, or 0. */
    static int dropFallbackEvery() {
        return every("drop-fallback");
    }

    /** Every how many keyed sync sends one pair is swapped, or 0. */
    static int reorderEvery() {
        return every("reorder");
    }

    private static int every(String kind) {
        String v = System.getProperty(PROPERTY, "");
        for (String part : v.split(",")) {
            String[] kv = part.trim().split(":");
            if (kv.length == 2 && kv[0].equals(kind)) {
                return Integer.parseInt(kv[1]);
            }
        }
        return 0;
    }

    /**
     * A fallback store that silently drops 1 in {@code every} appends (returns as if written). Everything else is
     * passed through. Thread-safe as the delegate is.
     */
    static FallbackStore droppingFallbackWrites(FallbackStore delegate, int every) {
        return new FallbackStore() {
            private final AtomicLong appends = new AtomicLong();

            private boolean drop() {
                return appends.incrementAndGet() % every == 0;
            }

            @Override
            public void start() {
                delegate.start();
            }

            @Override
            public int shardCount() {
                return delegate.shardCount();
            }

            @Override
            public String namespace() {
                return delegate.namespace();
            }

            @Override
            public void append(Envelope envelope, Collection<String> groups) {
                if (!drop()) {
                    delegate.append(envelope, groups);
                }
            }

            @Override
            public CompletableFuture<Void> appendAsync(Envelope envelope, Collection<String> groups) {
                return drop() ? CompletableFuture.completedFuture(null) : delegate.appendAsync(envelope, groups);
            }

            @Override
            public List<ClaimedMessage> claim(String topic, String group, int shard, String consumerId, int max) {
                return delegate.claim(topic, group, shard, consumerId, max);
            }

            @Override
            public void ack(ClaimedMessage message) {
                delegate.ack(message);
            }

            @Override
            public void ackAll(List<ClaimedMessage> messages) {
                delegate.ackAll(messages);
            }

            @Override
            public void release(ClaimedMessage message, boolean countAttempt) {
                delegate.release(message, countAttempt);
            }

            @Override
            public void deadLetter(ClaimedMessage message, String reason) {
                delegate.deadLetter(message, reason);
            }

            @Override
            public long backlog(String topic, String group) {
                return delegate.backlog(topic, group);
            }

            @Override
            public int recoverOrphans(String topic, String group, Set<String> liveConsumerIds) {
                return delegate.recoverOrphans(topic, group, liveConsumerIds);
            }

            @Override
            public long adoptUnclaimed(String topic, String group) {
                return delegate.adoptUnclaimed(topic, group);
            }

            @Override
            public int returnLostClaims() {
                return delegate.returnLostClaims();
            }

            @Override
            public Set<Integer> acquireShardLeases(String topic, String group, Collection<Integer> shards,
                                                   String consumerId, Duration lease) {
                return delegate.acquireShardLeases(topic, group, shards, consumerId, lease);
            }

            @Override
            public void releaseShardLease(String topic, String group, int shard, String consumerId) {
                delegate.releaseShardLease(topic, group, shard, consumerId);
            }

            @Override
            public List<ClaimedMessage> claimLeased(String topic, String group, int shard, String consumerId,
                                                    int max) {
                return delegate.claimLeased(topic, group, shard, consumerId, max);
            }

            @Override
            public void deadLetterUnclaimed(Envelope envelope, String group, String reason, String consumerId) {
                delegate.deadLetterUnclaimed(envelope, group, reason, consumerId);
            }

            @Override
            public long distributeUnclaimed(String topic, Collection<String> groups) {
                return delegate.distributeUnclaimed(topic, groups);
            }

            @Override
            public long unclaimedBacklog(String topic) {
                return delegate.unclaimedBacklog(topic);
            }

            @Override
            public Set<String> unclaimedTopics() {
                return delegate.unclaimedTopics();
            }

            @Override
            public void close() {
                delegate.close();
            }
        };
    }
}
