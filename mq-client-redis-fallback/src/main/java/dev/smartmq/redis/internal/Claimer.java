package dev.smartmq.redis.internal;

import dev.smartmq.redis.internal.KeyLayout.ShardKeys;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.spi.FallbackStoreException.Reason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Response;

/**
 * The at-least-once protocol of the list layout, client side: claim (plain and leased), the claims whose reply
 * was lost, shard leases of ORDERED delivery, ack, release, dead letter, and orphan recovery. Every move between
 * a shard's queue, in-flight hash and dead-letter list is one of the atomic {@link Scripts}; this class chooses
 * which script runs on which keys, decodes what a claim returned, and remembers what it could not confirm.
 *
 * <p>Thread rules: thread-safe, shared by every consumer thread of a store. Its own state is the lost-claim
 * tokens (bounded by {@link #MAX_LOST_CLAIMS}) and the shards found empty at their last claim (bounded by the key
 * layout), both in concurrent collections; callers check the store is started and the names are valid.
 */
public final class Claimer {

    private static final Logger LOG = LoggerFactory.getLogger(Claimer.class);
    /** Most messages one claim may take. */
    public static final int MAX_CLAIM = 1000;
    private static final int MAX_LOST_CLAIMS = 10_000;

    private final RedisOps ops;
    private final KeyLayout layout;
    private final int shards;
    /** Signs what this store writes and checks what it reads; null when envelope authentication is off. */
    private final EnvelopeAuth auth;
    private final String tokenPrefix = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    private final AtomicLong tokenCounter = new AtomicLong();
    /**
     * Tokens of claims whose reply was lost, per (shard, consumer): returned by that consumer's next claim on the
     * shard, or by {@link #returnLostClaims()} (the engine's timer, and when it stops claiming a shard). Keys are
     * bounded by the layout; tokens by {@link #MAX_LOST_CLAIMS} (past it, claims are refused until they are
     * returned, so no claim is ever made that could not be tracked).
     */
    private final Map<LostClaimKey, Set<String>> lostClaims = new ConcurrentHashMap<>();
    private final AtomicInteger lostClaimCount = new AtomicInteger();
    /**
     * Shards (by {@link ShardKeys#name()}) whose last claim here found nothing: the next claim asks {@code LLEN}
     * first, one plain command, instead of running the claim script (a script call plus the LPOP inside it).
     * Bounded by the key layout: one entry per (topic, group, shard).
     */
    private final Set<String> emptyAtLastClaim = ConcurrentHashMap.newKeySet();

    private record LostClaimKey(ShardKeys keys, String consumerId) {
    }

    public Claimer(RedisOps ops, KeyLayout layout, int shards, EnvelopeAuth auth) {
        this.ops = ops;
        this.layout = layout;
        this.shards = shards;
        this.auth = auth;
    }

    /**
     * One EVALSHA per call; on an empty shard that is the whole cost. Values that fail to decode are
     * moved to the shard's dead-letter list with the reason and not returned. If the reply of a claim is
     * lost (timeout, connection cut), the messages it may have moved are returned to the head of the
     * shard by this consumer's next claim on that shard, so a live consumer never strands them.
     */
    public List<ClaimedMessage> claim(String topic, String group, int shard, String consumerId, int max) {
        return claim(topic, group, shard, consumerId, max, false);
    }

    /**
     * The same claim script, given the shard's lease key: it claims only while {@code consumerId} holds the
     * lease and the shard's in-flight hash is empty, in one atomic step.
     */
    public List<ClaimedMessage> claimLeased(String topic, String group, int shard, String consumerId, int max) {
        return claim(topic, group, shard, consumerId, max, true);
    }

    private List<ClaimedMessage> claim(String topic, String group, int shard, String consumerId, int max,
                                       boolean leased) {
        Names.checkName("topic", topic);
        Names.checkGroup(group);
        Objects.requireNonNull(consumerId, "consumerId");
        if (consumerId.isEmpty()) {
            throw new IllegalArgumentException("consumerId must not be empty");
        }
        if (max < 1 || max > MAX_CLAIM) {
            throw new IllegalArgumentException("max must be between 1 and " + MAX_CLAIM + ", but was " + max);
        }
        ShardKeys k = layout.shard(topic, group, shard);
        returnLostClaims(k, consumerId);
        if (lostClaimCount.get() >= MAX_LOST_CLAIMS) {
            throw new FallbackStoreException(Reason.UNAVAILABLE, "claim from " + k.name() + " refused: "
                    + lostClaimCount.get() + " claims whose reply was lost are not returned yet (Redis does not answer "
                    + "well); claims resume once returnLostClaims() has returned them", null);
        }
        String shardName = k.name();
        if (emptyAtLastClaim.contains(shardName)) {
            long queued;
            try {
                queued = ops.jedis().llen(k.queue());
            } catch (RuntimeException e) {
                throw ops.failure("claim from " + shardName, e);
            }
            if (queued == 0) {
                return List.of();
            }
        }
        List<byte[]> keys = leased ? List.of(k.queue(), k.inFlight(), k.sequence(), layout.lease(k))
                : List.of(k.queue(), k.inFlight(), k.sequence());
        byte[] consumer = consumerId.getBytes(StandardCharsets.UTF_8);
        for (int round = 0; round < 4; round++) {
            String token = tokenPrefix + "." + Long.toString(tokenCounter.incrementAndGet(), 36);
            Object reply;
            try {
                reply = ops.eval(Scripts.CLAIM, keys, List.of(Integer.toString(max).getBytes(StandardCharsets.US_ASCII),
                        consumer, token.getBytes(StandardCharsets.US_ASCII)));
            } catch (RuntimeException e) {
                FallbackStoreException failure = ops.failure("claim from " + k.name(), e);
                if (failure.reason() == Reason.UNAVAILABLE) {
                    rememberLostClaim(k, consumerId, token);
                }
                throw failure;
            }
            List<?> items = (List<?>) reply;
            if (items.isEmpty()) {
                emptyAtLastClaim.add(shardName);
                return List.of();
            }
            emptyAtLastClaim.remove(shardName);
            List<ClaimedMessage> result = new ArrayList<>(items.size() / 2);
            for (int i = 0; i + 1 < items.size(); i += 2) {
                byte[] field = (byte[]) items.get(i);
                byte[] raw = (byte[]) items.get(i + 1);
                try {
                    Envelope env = EnvelopeCodec.decode(raw, auth);
                    if (auth != null && !env.topic().equals(topic)) {
                        // a genuine value copied into another topic's shard: authentic, but not this topic's
                        throw new EnvelopeFormatException("authenticated value of topic '" + env.topic()
                                + "' found in a shard of topic '" + topic + "'");
                    }
                    result.add(new ClaimedMessage(env, topic, group, shard, consumerId, new InFlight(k, field, raw)));
                } catch (EnvelopeFormatException e) {
                    String reason = "undecodable value: " + e.getMessage();
                    try {
                        moveToDeadLetters(k, field, raw, reason, consumerId);
                        LOG.warn("Dead-lettered a corrupt value of shard {} ({} bytes): {}", k.name(), raw.length, reason);
                    } catch (FallbackStoreException f) {
                        // nothing handed out: the whole claim goes back to the head on the next claim
                        rememberLostClaim(k, consumerId, token);
                        throw f;
                    }
                }
            }
            if (!result.isEmpty()) {
                return result;
            }
            // every value was corrupt: claim again rather than report an empty shard that is not empty
        }
        return List.of();
    }

    private void rememberLostClaim(ShardKeys k, String consumerId, String token) {
        // Always tracked (claim() refuses new claims past MAX_LOST_CLAIMS, so this overshoots by at most the
        // number of threads claiming at once).
        if (lostClaims.computeIfAbsent(new LostClaimKey(k, consumerId), x -> ConcurrentHashMap.newKeySet()).add(token)) {
            lostClaimCount.incrementAndGet();
        }
    }

    /**
     * One script per (shard, consumer) with lost claims, none when there are none. A shard that fails keeps its
     * tokens for the next call; the first failure is thrown after every other shard was tried.
     */
    public int returnLostClaims() {
        if (lostClaimCount.get() <= 0) {
            return 0;
        }
        int returned = 0;
        FallbackStoreException failure = null;
        for (LostClaimKey key : new ArrayList<>(lostClaims.keySet())) {
            try {
                returned += returnLostClaims(key.keys(), key.consumerId());
            } catch (FallbackStoreException e) {
                if (failure == null) {
                    failure = e;
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        return returned;
    }

    private int returnLostClaims(ShardKeys k, String consumerId) {
        Set<String> tokens = lostClaims.get(new LostClaimKey(k, consumerId));
        if (tokens == null || tokens.isEmpty()) {
            return 0;
        }
        List<String> snapshot = new ArrayList<>(tokens);
        List<byte[]> args = new ArrayList<>(snapshot.size() + 1);
        args.add("token".getBytes(StandardCharsets.US_ASCII));
        snapshot.forEach(t -> args.add(t.getBytes(StandardCharsets.US_ASCII)));
        long returned;
        try {
            returned = (Long) ops.eval(Scripts.RETURN, List.of(k.queue(), k.inFlight()), args);
        } catch (RuntimeException e) {
            throw ops.failure("return lost claims of " + consumerId + " to " + k.name(), e);
        }
        int removed = 0;
        for (String t : snapshot) {
            if (tokens.remove(t)) {
                removed++;
            }
        }
        lostClaimCount.addAndGet(-removed);
        if (returned > 0) {
            LOG.info("Returned {} messages of {} claim(s) whose reply was lost to the head of shard {}",
                    returned, snapshot.size(), k.name());
        }
        return (int) returned;
    }

    /**
     * One lease script per shard ({@code SET PX} if free or ours), all in one pipeline.
     */
    public Set<Integer> acquireShardLeases(String topic, String group, Collection<Integer> shards, String consumerId,
                                           Duration lease) {
        Names.checkName("topic", topic);
        Names.checkGroup(group);
        Objects.requireNonNull(consumerId, "consumerId");
        if (lease == null || lease.toMillis() < 1) {
            throw new IllegalArgumentException("lease must be at least 1 ms, but was " + lease);
        }
        List<Integer> list = new ArrayList<>(shards);
        List<byte[]> args = List.of(consumerId.getBytes(StandardCharsets.UTF_8),
                Long.toString(lease.toMillis()).getBytes(StandardCharsets.US_ASCII));
        List<RedisOps.Call> calls = new ArrayList<>(list.size());
        list.forEach(s -> calls.add(new RedisOps.Call(List.of(layout.lease(layout.shard(topic, group, s))), args)));
        List<Object> replies = ops.evalEach("lease shards of " + topic + "/" + group + " for " + consumerId,
                Scripts.LEASE, calls);
        Set<Integer> held = new LinkedHashSet<>();
        for (int i = 0; i < list.size(); i++) {
            if ((Long) replies.get(i) == 1) {
                held.add(list.get(i));
            }
        }
        return held;
    }

    public void releaseShardLease(String topic, String group, int shard, String consumerId) {
        Names.checkName("topic", topic);
        Names.checkGroup(group);
        Objects.requireNonNull(consumerId, "consumerId");
        ShardKeys k = layout.shard(topic, group, shard);
        try {
            ops.eval(Scripts.LEASE_RELEASE, List.of(layout.lease(k)), List.of(consumerId.getBytes(StandardCharsets.UTF_8)));
        } catch (RuntimeException e) {
            throw ops.failure("release the lease of " + k.name() + " held by " + consumerId, e);
        }
    }

    public void ack(ClaimedMessage message) {
        InFlight h = handle(message);
        try {
            ops.eval(Scripts.ACK, ackKeys(h.keys()), List.of(h.field()));
        } catch (RuntimeException e) {
            throw ops.failure("ack " + message.envelope().id() + " on " + h.keys().name(), e);
        }
    }

    private static List<byte[]> ackKeys(ShardKeys k) {
        return List.of(k.queue(), k.inFlight(), k.sequence());
    }

    /**
     * One ack script per shard (HDEL, and the claim sequence deleted when the shard is drained); all shards in one
     * pipeline (one round trip per node).
     */
    public void ackAll(List<ClaimedMessage> messages) {
        if (messages.isEmpty()) {
            return;
        }
        Map<ShardKeys, List<byte[]>> byShard = new LinkedHashMap<>();
        for (ClaimedMessage m : messages) {
            InFlight h = handle(m);
            byShard.computeIfAbsent(h.keys(), x -> new ArrayList<>()).add(h.field());
        }
        List<RedisOps.Call> calls = new ArrayList<>(byShard.size());
        byShard.forEach((k, fields) -> calls.add(new RedisOps.Call(ackKeys(k), fields)));
        ops.evalEach("ack " + messages.size() + " messages" + (calls.size() == 1
                ? " on " + byShard.keySet().iterator().next().name() : ""), Scripts.ACK, calls);
    }

    public void release(ClaimedMessage message, boolean countAttempt) {
        InFlight h = handle(message);
        byte[] value = countAttempt ? EnvelopeCodec.encode(message.envelope().withAttempt(), auth) : h.raw();
        try {
            ops.eval(Scripts.RELEASE, List.of(h.keys().queue(), h.keys().inFlight()), List.of(h.field(), value));
        } catch (RuntimeException e) {
            throw ops.failure("release " + message.envelope().id() + " to " + h.keys().name(), e);
        }
    }

    public void deadLetter(ClaimedMessage message, String reason) {
        InFlight h = handle(message);
        moveToDeadLetters(h.keys(), h.field(), h.raw(), Objects.requireNonNull(reason, "reason"), message.consumerId());
    }

    /**
     * Puts a message the MQ path gave up on into the dead-letter list of its (topic, group) shard (the shard its
     * key maps to), so {@code smartmq-admin dlq list|show|replay|purge} sees the dead letters of both paths.
     */
    public void deadLetterUnclaimed(Envelope envelope, int shard, String group, String reason, String consumerId) {
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(reason, "reason");
        Names.checkGroup(group);
        Names.checkName("topic", envelope.topic());
        ShardKeys k = layout.shard(envelope.topic(), group, shard);
        byte[] record = DeadLetterCodec.encode(reason, System.currentTimeMillis(), consumerId,
                EnvelopeCodec.encode(envelope, auth));
        try {
            ops.jedis().rpush(k.deadLetters(), record);
        } catch (RuntimeException e) {
            throw ops.failure("dead-letter MQ message " + envelope.id() + " in " + k.name(), e);
        }
    }

    private void moveToDeadLetters(ShardKeys k, byte[] field, byte[] raw, String reason, String consumerId) {
        byte[] record = DeadLetterCodec.encode(reason, System.currentTimeMillis(), consumerId, raw);
        try {
            ops.eval(Scripts.DEAD_LETTER, List.of(k.inFlight(), k.deadLetters(), k.queue(), k.sequence()),
                    List.of(field, record));
        } catch (RuntimeException e) {
            throw ops.failure("dead-letter a value of " + k.name(), e);
        }
    }


    /**
     * Returns in-flight entries of consumers not in {@code liveConsumerIds} to the heads of their shards,
     * oldest claim first in line. One script per shard, all shards in one pipeline; no SCAN: the in-flight
     * entries of a shard are one hash, and a field names its consumer.
     */
    public int recoverOrphans(String topic, String group, Set<String> liveConsumerIds) {
        Names.checkName("topic", topic);
        Names.checkGroup(group);
        List<byte[]> args = new ArrayList<>(liveConsumerIds.size() + 1);
        args.add("dead".getBytes(StandardCharsets.US_ASCII));
        liveConsumerIds.forEach(c -> args.add(c.getBytes(StandardCharsets.UTF_8)));
        // Most shards have nothing in flight (an empty hash does not exist). On one server a single EXISTS over
        // every in-flight hash says whether there is anything at all; otherwise (and on a cluster, where the
        // hashes live in different slots) one pipelined HLEN per shard finds the few shards that have entries,
        // and only those run the script (which reads the whole hash).
        String what = "recover orphans of " + topic + "/" + group;
        if (!ops.isCluster()) {
            byte[][] inFlight = new byte[shards][];
            for (int s = 0; s < shards; s++) {
                inFlight[s] = layout.shard(topic, group, s).inFlight();
            }
            long existing;
            try {
                existing = ops.jedis().exists(inFlight);
            } catch (RuntimeException e) {
                throw ops.failure(what, e);
            }
            if (existing == 0) {
                return 0;
            }
        }
        List<Response<Long>> sizes = ops.runPipeline(what, p -> {
            List<Response<Long>> list = new ArrayList<>(shards);
            for (int s = 0; s < shards; s++) {
                list.add(p.hlen(layout.shard(topic, group, s).inFlight()));
            }
            return list;
        });
        List<Integer> busy = new ArrayList<>();
        for (int s = 0; s < shards; s++) {
            if (sizes.get(s).get() > 0) {
                busy.add(s);
            }
        }
        if (busy.isEmpty()) {
            return 0;
        }
        List<RedisOps.Call> calls = new ArrayList<>(busy.size());
        for (int s : busy) {
            ShardKeys k = layout.shard(topic, group, s);
            calls.add(new RedisOps.Call(List.of(k.queue(), k.inFlight(), layout.lease(k)), args));
        }
        return (int) ops.sumEach(what, Scripts.RETURN, calls);
    }

    private static InFlight handle(ClaimedMessage m) {
        Objects.requireNonNull(m, "message");
        if (!(m.handle() instanceof InFlight h)) {
            throw new IllegalArgumentException("message " + m.envelope().id()
                    + " was not claimed from a RedisFallbackStore (handle " + m.handle() + ")");
        }
        return h;
    }
}
