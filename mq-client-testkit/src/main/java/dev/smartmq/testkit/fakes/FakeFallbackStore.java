package dev.smartmq.testkit.fakes;

import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FallbackStore;
import dev.smartmq.spi.FallbackStoreException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-memory {@link FallbackStore} with the port's semantics: FIFO shards, claim and ack, release to the head,
 * dead letters. The test can make appends fail, lose claim replies, and read what is queued per (topic, group)
 * ({@link #queued}) — e.g. to check that a send made while the switch is DEGRADED ({@link FakeSwitch#force}) was
 * fanned out to every registered group.
 *
 * <p>Thread rules: thread-safe (every operation holds the store's monitor); shared by several engines it models
 * one Redis.
 */
public final class FakeFallbackStore implements FallbackStore {

    public record DeadLetter(Envelope envelope, String topic, String group, String reason) {
    }

    public record Claim(String consumerId, int shard, int count) {
    }

    private final int shards;
    private final List<String> events;
    private final Map<String, ArrayDeque<Envelope>[]> queues = new HashMap<>();
    private final Map<String, List<Envelope>> unclaimed = new HashMap<>();
    private final Map<Object, ClaimedMessage> inFlight = new LinkedHashMap<>();
    private final List<DeadLetter> deadLetters = new ArrayList<>();
    private final List<Claim> claims = new CopyOnWriteArrayList<>();
    private final AtomicLong claimCalls = new AtomicLong();
    private final AtomicInteger appendCalls = new AtomicInteger();
    private final AtomicInteger backlogCalls = new AtomicInteger();
    private final AtomicInteger recoverCalls = new AtomicInteger();
    private final AtomicInteger roundRobin = new AtomicInteger();
    private volatile boolean failAppends;
    private volatile FallbackStoreException.Reason failReason = FallbackStoreException.Reason.UNAVAILABLE;
    private volatile boolean failNotSent;
    private volatile boolean recordClaims;
    private volatile String namespace;
    /** While set, a claim moves its messages but its reply is "lost" (throws); lost claims per consumer + shard. */
    private volatile boolean loseClaimReplies;
    private final Map<String, List<ClaimedMessage>> lostClaims = new LinkedHashMap<>();

    public FakeFallbackStore(int shards, List<String> events) {
        this.shards = shards;
        this.events = events;
    }

    public FakeFallbackStore(int shards) {
        this(shards, new CopyOnWriteArrayList<>());
    }

    /** The namespace the fake claims to serve ({@code null}: none, the default). */
    public FakeFallbackStore namespace(String ns) {
        this.namespace = ns;
        return this;
    }

    @Override
    public String namespace() {
        return namespace;
    }

    /** Appends fail with {@code UNAVAILABLE} ("the write may or may not have happened") while {@code fail}. */
    public void failAppends(boolean fail) {
        failAppends(fail, FallbackStoreException.Reason.UNAVAILABLE);
    }

    /** Appends fail with {@code reason} while {@code fail}. */
    public void failAppends(boolean fail, FallbackStoreException.Reason reason) {
        failAppends(fail, reason, false);
    }

    /**
     * Appends fail with {@code reason} while {@code fail}; with {@code notSent} an {@code UNAVAILABLE} one says the
     * write never left the client ({@link FallbackStoreException#notStored()}), as a closed or saturated store does.
     */
    public void failAppends(boolean fail, FallbackStoreException.Reason reason, boolean notSent) {
        this.failReason = java.util.Objects.requireNonNull(reason, "reason");
        this.failNotSent = notSent;
        this.failAppends = fail;
    }

    public void recordClaims(boolean record) {
        this.recordClaims = record;
    }

    public long claimCalls() {
        return claimCalls.get();
    }

    public int appendCalls() {
        return appendCalls.get();
    }

    public int backlogCalls() {
        return backlogCalls.get();
    }

    public int recoverCalls() {
        return recoverCalls.get();
    }

    public List<Claim> claims() {
        return claims;
    }

    public synchronized List<DeadLetter> deadLetters() {
        return new ArrayList<>(deadLetters);
    }

    public synchronized int inFlightCount() {
        return inFlight.size();
    }

    /** Whether a message with {@code id} is queued (any group, unclaimed included) or in flight. */
    public synchronized boolean contains(String id) {
        for (ArrayDeque<Envelope>[] qs : queues.values()) {
            for (ArrayDeque<Envelope> q : qs) {
                for (Envelope e : q) {
                    if (e.id().equals(id)) {
                        return true;
                    }
                }
            }
        }
        for (List<Envelope> l : unclaimed.values()) {
            for (Envelope e : l) {
                if (e.id().equals(id)) {
                    return true;
                }
            }
        }
        return inFlight.values().stream().anyMatch(m -> m.envelope().id().equals(id));
    }

    /** Messages of {@code topic} waiting in its unclaimed shards (sent while no group was known). */
    public synchronized int unclaimedCount(String topic) {
        return unclaimed.getOrDefault(topic, List.of()).size();
    }

    /** Queued (not in flight) messages of (topic, group), shard by shard. */
    public synchronized List<Envelope> queued(String topic, String group) {
        List<Envelope> all = new ArrayList<>();
        for (ArrayDeque<Envelope> q : shardsOf(topic, group)) {
            all.addAll(q);
        }
        return all;
    }

    public int shardOf(Envelope e) {
        String key = e.message().key();
        return key != null ? Math.floorMod(key.hashCode(), shards) : Math.floorMod(roundRobin.getAndIncrement(), shards);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private ArrayDeque<Envelope>[] shardsOf(String topic, String group) {
        return queues.computeIfAbsent(topic + "|" + group, k -> {
            ArrayDeque<Envelope>[] a = new ArrayDeque[shards];
            for (int i = 0; i < shards; i++) {
                a[i] = new ArrayDeque<>();
            }
            return a;
        });
    }

    @Override
    public void start() {
        events.add("store.start");
    }

    @Override
    public int shardCount() {
        return shards;
    }

    @Override
    public synchronized void append(Envelope envelope, Collection<String> groups) {
        appendCalls.incrementAndGet();
        if (failAppends) {
            throw new FallbackStoreException(failReason, "fake store: down", null, failNotSent);
        }
        if (groups.isEmpty()) {
            unclaimed.computeIfAbsent(envelope.topic(), t -> new ArrayList<>()).add(envelope);
            return;
        }
        int shard = shardOf(envelope);
        for (String g : groups) {
            shardsOf(envelope.topic(), g)[shard].addLast(envelope);
        }
    }

    @Override
    public CompletableFuture<Void> appendAsync(Envelope envelope, Collection<String> groups) {
        try {
            append(envelope, groups);
            return CompletableFuture.completedFuture(null);
        } catch (FallbackStoreException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * While {@code lose}: every claim moves its messages in flight and then fails as if its reply were lost, and
     * {@link #returnLostClaims()} fails too (the store is unreachable). Like the Redis store, a claim of the same
     * consumer on the same shard returns that consumer's lost claims of the shard first.
     */
    public void loseClaimReplies(boolean lose) {
        this.loseClaimReplies = lose;
    }

    /** Messages of lost claim replies not returned yet. */
    public synchronized int lostClaimCount() {
        return lostClaims.values().stream().mapToInt(List::size).sum();
    }

    @Override
    public synchronized int returnLostClaims() {
        if (loseClaimReplies) {
            throw new FallbackStoreException(FallbackStoreException.Reason.UNAVAILABLE, "fake store unreachable", null);
        }
        int n = 0;
        for (List<ClaimedMessage> list : lostClaims.values()) {
            n += returnToHead(list);
        }
        lostClaims.clear();
        return n;
    }

    private int returnToHead(List<ClaimedMessage> list) {
        int n = 0;
        for (int i = list.size() - 1; i >= 0; i--) {
            ClaimedMessage m = list.get(i);
            if (inFlight.remove(m.handle()) != null) {
                shardsOf(m.topic(), m.group())[m.shard()].addFirst(m.envelope());
                n++;
            }
        }
        return n;
    }

    @Override
    public synchronized List<ClaimedMessage> claim(String topic, String group, int shard, String consumerId, int max) {
        claimCalls.incrementAndGet();
        String lostKey = topic + "|" + group + "|" + shard + "|" + consumerId;
        if (!loseClaimReplies && lostClaims.containsKey(lostKey)) {
            returnToHead(lostClaims.remove(lostKey));
        }
        ArrayDeque<Envelope> q = shardsOf(topic, group)[shard];
        List<ClaimedMessage> out = new ArrayList<>();
        while (out.size() < max && !q.isEmpty()) {
            ClaimedMessage m = new ClaimedMessage(q.pollFirst(), topic, group, shard, consumerId, new Object());
            inFlight.put(m.handle(), m);
            out.add(m);
        }
        if (recordClaims) {
            claims.add(new Claim(consumerId, shard, out.size()));
        }
        if (loseClaimReplies) {
            lostClaims.computeIfAbsent(lostKey, k -> new ArrayList<>()).addAll(out);
            throw new FallbackStoreException(FallbackStoreException.Reason.UNAVAILABLE, "fake claim reply lost", null);
        }
        return out;
    }

    @Override
    public synchronized void ack(ClaimedMessage message) {
        inFlight.remove(message.handle());
    }

    @Override
    public synchronized void release(ClaimedMessage message, boolean countAttempt) {
        if (inFlight.remove(message.handle()) != null) {
            Envelope e = countAttempt ? message.envelope().withAttempt() : message.envelope();
            shardsOf(message.topic(), message.group())[message.shard()].addFirst(e);
        }
    }

    @Override
    public synchronized void deadLetter(ClaimedMessage message, String reason) {
        if (inFlight.remove(message.handle()) != null) {
            deadLetters.add(new DeadLetter(message.envelope(), message.topic(), message.group(), reason));
        }
    }

    @Override
    public synchronized long backlog(String topic, String group) {
        backlogCalls.incrementAndGet();
        long n = 0;
        for (ArrayDeque<Envelope> q : shardsOf(topic, group)) {
            n += q.size();
        }
        for (ClaimedMessage m : inFlight.values()) {
            if (m.topic().equals(topic) && m.group().equals(group)) {
                n++;
            }
        }
        return n;
    }

    @Override
    public synchronized int recoverOrphans(String topic, String group, Set<String> liveConsumerIds) {
        recoverCalls.incrementAndGet();
        List<ClaimedMessage> orphans = new ArrayList<>();
        for (Iterator<ClaimedMessage> it = inFlight.values().iterator(); it.hasNext(); ) {
            ClaimedMessage m = it.next();
            if (m.topic().equals(topic) && m.group().equals(group) && !liveConsumerIds.contains(m.consumerId())) {
                orphans.add(m);
                it.remove();
            }
        }
        for (int i = orphans.size() - 1; i >= 0; i--) {
            ClaimedMessage m = orphans.get(i);
            shardsOf(topic, group)[m.shard()].addFirst(m.envelope());
        }
        return orphans.size();
    }

    @Override
    public synchronized long adoptUnclaimed(String topic, String group) {
        List<Envelope> list = unclaimed.remove(topic);
        if (list == null) {
            return 0;
        }
        for (Envelope e : list) {
            shardsOf(topic, group)[shardOf(e)].addLast(e);
        }
        return list.size();
    }

    @Override
    public synchronized long distributeUnclaimed(String topic, Collection<String> groups) {
        if (groups.isEmpty()) {
            return 0;
        }
        List<Envelope> list = unclaimed.remove(topic);
        if (list == null) {
            return 0;
        }
        unclaimed.put(topic, new ArrayList<>());
        for (String g : groups) {
            for (Envelope e : list) {
                shardsOf(topic, g)[shardOf(e)].addLast(e);
            }
        }
        return list.size();
    }

    @Override
    public synchronized long unclaimedBacklog(String topic) {
        return unclaimedCount(topic);
    }

    @Override
    public synchronized Set<String> unclaimedTopics() {
        return Set.copyOf(unclaimed.keySet());
    }

    @Override
    public void close() {
        events.add("store.close");
    }
}
