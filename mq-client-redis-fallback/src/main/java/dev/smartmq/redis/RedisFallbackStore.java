package dev.smartmq.redis;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.Message;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.redis.internal.AppendWriter;
import dev.smartmq.redis.internal.DeadLetterCodec;
import dev.smartmq.redis.internal.EnvelopeAuth;
import dev.smartmq.redis.internal.EnvelopeCodec;
import dev.smartmq.redis.internal.EnvelopeFormatException;
import dev.smartmq.redis.internal.InFlight;
import dev.smartmq.redis.internal.KeyLayout;
import dev.smartmq.redis.internal.KeyLayout.ShardKeys;
import dev.smartmq.redis.internal.RedisOps;
import dev.smartmq.redis.internal.Scripts;
import dev.smartmq.redis.internal.ShardRouter;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FallbackStore;
import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.spi.FallbackStoreException.Reason;
import dev.smartmq.spi.IdempotencyGuard;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.JedisSentineled;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * SmartMQ's fallback store on Redis 7 (standalone, Sentinel or Cluster): a fixed number of FIFO shards per
 * (topic, consumer group), at-least-once claim/ack with per-shard in-flight hashes, dead-letter lists, and
 * an idempotency guard. See the module README for the key layout, the value format and the protocol.
 *
 * <pre>{@code
 * RedisFallbackStore store = RedisFallbackStore.builder()
 *         .standalone("127.0.0.1", 6379)          // or .sentinel(name, sentinels), .cluster(nodes), .client(shared)
 *         .namespace("orders")
 *         .user("smartmq").password(secret)
 *         .build();
 * store.start();
 * ...
 * store.close();
 * }</pre>
 *
 * <p>Guarantees: {@link #append} returns only after Redis acknowledged every write (the fan-out to all
 * groups of a message is one atomic script: all groups or none); every failure is a
 * {@link FallbackStoreException} ({@code UNAVAILABLE}, {@code BACKLOG_FULL} or {@code REJECTED}), never a
 * silent drop; no call blocks longer than the configured timeouts. Thread-safe; share one instance.
 *
 * <p>Ownership: a client the store builds (standalone, cluster) is closed by {@link #close()}; a
 * {@code UnifiedJedis} passed to {@link Builder#client} is shared and left open. The store starts
 * {@code smartmq-redis-writer-<n>} threads (group commit) and, on a cluster, {@code smartmq-redis-pipeline-<n>}
 * threads; {@link #close()} stops them. Futures of {@link #appendAsync} complete on a writer thread: do not
 * block in callbacks (use the {@code *Async} variants with your executor).
 *
 * <p>Security: without {@link Builder#envelopeKey(byte[])}, whoever can write the namespace's keys in Redis can
 * inject, edit or delete queued messages and plant dead letters. With a key, every value carries an HMAC-SHA256
 * and a value that fails it is dead-lettered with the reason, never delivered and never replayed (module README,
 * "Security").
 *
 * <p>Settings are copied from the builder at {@link Builder#build()}: a builder changed later changes nothing here.
 */
public final class RedisFallbackStore implements FallbackStore, IdempotencyGuard {

    /** Default of {@link Builder#namespace(String)}. */
    public static final String DEFAULT_NAMESPACE = "default";
    /** Default of {@link Builder#shards(int)}. */
    public static final int DEFAULT_SHARDS = 128;
    /** Default of {@link Builder#maxBacklogPerShard(long)}. */
    public static final long DEFAULT_MAX_BACKLOG_PER_SHARD = 100_000;
    /** Default of {@link Builder#maxBodySize(int)} (RocketMQ's limit). */
    public static final int DEFAULT_MAX_BODY_SIZE = 4 * 1024 * 1024;
    /** Default of {@link Builder#connectTimeout(Duration)}. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /** Default of {@link Builder#socketTimeout(Duration)}. */
    public static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(2);
    /** Default of {@link Builder#poolSize(int)}. */
    public static final int DEFAULT_POOL_SIZE = 16;
    /** Default of {@link Builder#writerThreads(int)}. */
    public static final int DEFAULT_WRITER_THREADS = 2;
    /** Default of {@link Builder#maxBatchSize(int)}. */
    public static final int DEFAULT_MAX_BATCH_SIZE = 256;
    /** Default of {@link Builder#writerQueueCapacity(int)}. */
    public static final int DEFAULT_WRITER_QUEUE_CAPACITY = 8192;

    private static final Logger LOG = LoggerFactory.getLogger(RedisFallbackStore.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");
    private static final int MAX_CLAIM = 1000;
    private static final int ADOPT_CHUNK = 1000;
    private static final int MAX_LOST_CLAIMS = 10_000;

    private enum State { LATENT, STARTED, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final Settings config;
    private final KeyLayout layout;
    private final ShardRouter router;
    private final RedisOps ops;
    private final AppendWriter writer;
    private final ExecutorService pipelineExecutor;
    private final RedisIdempotencyGuard guard;
    /** Signs what this store writes and checks what it reads; null when envelope authentication is off. */
    private final EnvelopeAuth auth;
    private final String tokenPrefix;
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
    /** Topics this instance already recorded in the unclaimed-topics set (bounded by the topics). */
    private final Set<String> unclaimedTopicsNoted = ConcurrentHashMap.newKeySet();

    private record LostClaimKey(ShardKeys keys, String consumerId) {
    }

    private RedisFallbackStore(Builder b, UnifiedJedis client, boolean owned, ExecutorService pipelineExecutor) {
        this.config = b.settings();
        this.layout = new KeyLayout(config.namespace, config.shards);
        this.router = new ShardRouter(config.shards);
        this.pipelineExecutor = pipelineExecutor;
        this.ops = new RedisOps(client, owned, pipelineExecutor);
        this.writer = new AppendWriter(ops, config.writerThreads, config.writerQueueCapacity, config.maxBatchSize,
                config.maxBacklogPerShard, config.replicaAcks, config.replicaAckTimeout.toMillis());
        this.guard = new RedisIdempotencyGuard(client, layout);
        this.auth = config.envelopeKey == null ? null : new EnvelopeAuth(config.envelopeKey, config.namespace);
        this.tokenPrefix = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------------------------------- lifecycle

    /**
     * Starts the writer threads and checks the server: a {@code maxmemory-policy} that can evict keys
     * (anything but {@code noeviction}) is logged at WARN, because evicting a shard loses messages. A server
     * that cannot be reached now is logged too; calls fail with {@code UNAVAILABLE} until it answers.
     */
    @Override
    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("RedisFallbackStore already " + state.get().name().toLowerCase());
        }
        writer.start();
        checkMemoryPolicy();
        LOG.info("Redis fallback store started: {}", this);
    }

    private void checkMemoryPolicy() {
        Map<String, String> policies;
        try {
            policies = ops.configGetEveryNode("maxmemory-policy");
        } catch (RuntimeException e) {
            LOG.warn("Redis fallback store: cannot check maxmemory-policy now ({}); make sure it is noeviction", e.toString());
            return;
        }
        policies.forEach((node, policy) -> {
            if (policy.startsWith("error:")) {
                LOG.info("Redis fallback store: cannot read maxmemory-policy of {} ({}); make sure it is noeviction",
                        node, policy.substring(6).trim());
            } else if (!"noeviction".equalsIgnoreCase(policy)) {
                LOG.warn("!!! Redis {} has maxmemory-policy={}: Redis may EVICT fallback shards and LOSE MESSAGES "
                        + "when it is full. Set maxmemory-policy noeviction for SmartMQ's Redis. !!!", node, policy);
            }
        });
    }

    /**
     * Stops taking appends, lets queued appends be sent (up to the socket timeout), stops the writer
     * threads and closes the client if the store built it. Idempotent.
     */
    @Override
    public void close() {
        State previous = state.getAndSet(State.CLOSED);
        if (previous == State.CLOSED) {
            return;
        }
        if (previous == State.STARTED) {
            writer.close(config.socketTimeout.plus(config.connectTimeout));
        }
        if (pipelineExecutor != null) {
            pipelineExecutor.shutdownNow();
        }
        ops.close();
        LOG.info("Redis fallback store closed");
    }

    private void requireStarted() {
        State s = state.get();
        if (s != State.STARTED) {
            throw new IllegalStateException("RedisFallbackStore is " + s.name().toLowerCase()
                    + (s == State.LATENT ? ": call start() first" : ""));
        }
    }

    @Override
    public int shardCount() {
        return config.shards;
    }

    /** The namespace all keys live under. */
    @Override
    public String namespace() {
        return config.namespace;
    }

    /** The shard a message goes to (keyless messages: the next round-robin shard). */
    public int shardFor(Message message) {
        return router.shardFor(message);
    }

    // ------------------------------------------------------------------------------------------- append

    @Override
    public void append(Envelope envelope, Collection<String> groups) {
        CompletableFuture<Void> f = appendAsync(envelope, groups);
        long waitMillis = config.connectTimeout.plus(config.socketTimeout).multipliedBy(3).toMillis() + 1000;
        try {
            f.get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof FallbackStoreException fse) {
                // re-thrown with this thread's stack, the writer's failure as the cause
                throw new FallbackStoreException(fse.reason(), fse.getMessage(), fse);
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new FallbackStoreException(Reason.UNAVAILABLE, "append failed: " + c, c);
        } catch (TimeoutException e) {
            throw new FallbackStoreException(Reason.UNAVAILABLE, "append of " + envelope.id()
                    + " not confirmed within " + waitMillis + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FallbackStoreException(Reason.UNAVAILABLE, "interrupted while appending " + envelope.id(), e);
        }
    }

    @Override
    public CompletableFuture<Void> appendAsync(Envelope envelope, Collection<String> groups) {
        // Bad input and a closed store are the caller's bugs: thrown here, not put in the future.
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(groups, "groups");
        requireStarted();
        Message m = envelope.message();
        List<String> targets = new ArrayList<>(new LinkedHashSet<>(groups));
        if (targets.isEmpty()) {
            targets.add(KeyLayout.UNCLAIMED_GROUP);
        }
        for (String g : targets) {
            checkGroup(g);
        }
        checkName("topic", m.topic());
        try {
            if (targets.size() == 1 && KeyLayout.UNCLAIMED_GROUP.equals(targets.get(0))) {
                noteUnclaimedTopic(m.topic());
            }
            if (m.bodySize() > config.maxBodySize) {
                throw new FallbackStoreException(Reason.REJECTED, "message " + envelope.id() + " body is "
                        + m.bodySize() + " bytes, over maxBodySize=" + config.maxBodySize, null);
            }
            int shard = router.shardFor(m);
            List<byte[]> keys = new ArrayList<>(targets.size() * 2);
            for (String g : targets) {
                ShardKeys k = layout.shard(m.topic(), g, shard);
                keys.add(k.queue());
                keys.add(k.inFlight());
            }
            List<byte[]> args = List.of(Long.toString(config.maxBacklogPerShard).getBytes(StandardCharsets.US_ASCII),
                    EnvelopeCodec.encode(envelope, auth));
            long deadline = System.nanoTime() + config.connectTimeout.plus(config.socketTimeout).toNanos();
            AppendWriter.Pending p = new AppendWriter.Pending(shard, keys, args, targets,
                    m.topic() + "/" + targets + "/" + shard + " (message " + envelope.id() + ")", deadline);
            return writer.submit(p);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    // --------------------------------------------------------------------------------------- consumption

    /**
     * {@inheritDoc}
     *
     * <p>One EVALSHA per call; on an empty shard that is the whole cost. Values that fail to decode are
     * moved to the shard's dead-letter list with the reason and not returned. If the reply of a claim is
     * lost (timeout, connection cut), the messages it may have moved are returned to the head of the
     * shard by this consumer's next claim on that shard, so a live consumer never strands them.
     */
    @Override
    public List<ClaimedMessage> claim(String topic, String group, int shard, String consumerId, int max) {
        return claim(topic, group, shard, consumerId, max, false);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The same claim script, given the shard's lease key: it claims only while {@code consumerId} holds the
     * lease and the shard's in-flight hash is empty, in one atomic step.
     */
    @Override
    public List<ClaimedMessage> claimLeased(String topic, String group, int shard, String consumerId, int max) {
        return claim(topic, group, shard, consumerId, max, true);
    }

    private List<ClaimedMessage> claim(String topic, String group, int shard, String consumerId, int max,
                                       boolean leased) {
        requireStarted();
        checkName("topic", topic);
        checkGroup(group);
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
     * {@inheritDoc}
     *
     * <p>One script per (shard, consumer) with lost claims, none when there are none. A shard that fails keeps its
     * tokens for the next call; the first failure is thrown after every other shard was tried.
     */
    @Override
    public int returnLostClaims() {
        requireStarted();
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
     * {@inheritDoc}
     *
     * <p>One lease script per shard ({@code SET PX} if free or ours), all in one pipeline.
     */
    @Override
    public Set<Integer> acquireShardLeases(String topic, String group, Collection<Integer> shards, String consumerId,
                                           Duration lease) {
        requireStarted();
        checkName("topic", topic);
        checkGroup(group);
        Objects.requireNonNull(consumerId, "consumerId");
        if (lease == null || lease.toMillis() < 1) {
            throw new IllegalArgumentException("lease must be at least 1 ms, but was " + lease);
        }
        List<Integer> list = new ArrayList<>(shards);
        List<byte[]> args = List.of(consumerId.getBytes(StandardCharsets.UTF_8),
                Long.toString(lease.toMillis()).getBytes(StandardCharsets.US_ASCII));
        String what = "lease shards of " + topic + "/" + group + " for " + consumerId;
        Set<Integer> held = new LinkedHashSet<>();
        if (list.size() == 1) {
            try {
                if ((Long) ops.eval(Scripts.LEASE, List.of(layout.lease(layout.shard(topic, group, list.get(0)))),
                        args) == 1) {
                    held.add(list.get(0));
                }
            } catch (RuntimeException e) {
                throw ops.failure(what, e);
            }
            return held;
        }
        List<Response<?>> rs;
        try {
            rs = runPipeline(what, p -> {
                List<Response<?>> out = new ArrayList<>(list.size());
                for (int s : list) {
                    out.add(p.evalsha(Scripts.LEASE.sha(), List.of(layout.lease(layout.shard(topic, group, s))), args));
                }
                return out;
            });
        } catch (FallbackStoreException e) {
            if (!(e.getCause() instanceof JedisNoScriptException)) {
                throw e;
            }
            // the server lost its script cache (restart): EVAL once per shard caches it again
            for (int s : list) {
                try {
                    if ((Long) ops.eval(Scripts.LEASE, List.of(layout.lease(layout.shard(topic, group, s))), args) == 1) {
                        held.add(s);
                    }
                } catch (RuntimeException ex) {
                    throw ops.failure(what, ex);
                }
            }
            return held;
        }
        for (int i = 0; i < list.size(); i++) {
            if ((Long) rs.get(i).get() == 1) {
                held.add(list.get(i));
            }
        }
        return held;
    }

    @Override
    public void releaseShardLease(String topic, String group, int shard, String consumerId) {
        requireStarted();
        checkName("topic", topic);
        checkGroup(group);
        Objects.requireNonNull(consumerId, "consumerId");
        ShardKeys k = layout.shard(topic, group, shard);
        try {
            ops.eval(Scripts.LEASE_RELEASE, List.of(layout.lease(k)), List.of(consumerId.getBytes(StandardCharsets.UTF_8)));
        } catch (RuntimeException e) {
            throw ops.failure("release the lease of " + k.name() + " held by " + consumerId, e);
        }
    }

    @Override
    public void ack(ClaimedMessage message) {
        requireStarted();
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
    @Override
    public void ackAll(List<ClaimedMessage> messages) {
        requireStarted();
        if (messages.isEmpty()) {
            return;
        }
        Map<ShardKeys, List<byte[]>> byShard = new LinkedHashMap<>();
        for (ClaimedMessage m : messages) {
            InFlight h = handle(m);
            byShard.computeIfAbsent(h.keys(), x -> new ArrayList<>()).add(h.field());
        }
        if (byShard.size() == 1) {
            Map.Entry<ShardKeys, List<byte[]>> e = byShard.entrySet().iterator().next();
            try {
                ops.eval(Scripts.ACK, ackKeys(e.getKey()), e.getValue());
            } catch (RuntimeException ex) {
                throw ops.failure("ack " + messages.size() + " messages on " + e.getKey().name(), ex);
            }
            return;
        }
        String what = "ack " + messages.size() + " messages";
        List<Map.Entry<ShardKeys, List<byte[]>>> entries = new ArrayList<>(byShard.entrySet());
        try {
            runPipeline(what, p -> {
                List<Response<?>> list = new ArrayList<>();
                entries.forEach(e -> list.add(p.evalsha(Scripts.ACK.sha(), ackKeys(e.getKey()), e.getValue())));
                return list;
            });
        } catch (FallbackStoreException e) {
            if (!(e.getCause() instanceof JedisNoScriptException)) {
                throw e;
            }
            // the server lost its script cache (restart): one EVAL per shard caches it again; acks are idempotent
            for (Map.Entry<ShardKeys, List<byte[]>> entry : entries) {
                try {
                    ops.eval(Scripts.ACK, ackKeys(entry.getKey()), entry.getValue());
                } catch (RuntimeException ex) {
                    throw ops.failure(what, ex);
                }
            }
        }
    }

    @Override
    public void release(ClaimedMessage message, boolean countAttempt) {
        requireStarted();
        InFlight h = handle(message);
        byte[] value = countAttempt ? EnvelopeCodec.encode(message.envelope().withAttempt(), auth) : h.raw();
        try {
            ops.eval(Scripts.RELEASE, List.of(h.keys().queue(), h.keys().inFlight()), List.of(h.field(), value));
        } catch (RuntimeException e) {
            throw ops.failure("release " + message.envelope().id() + " to " + h.keys().name(), e);
        }
    }

    @Override
    public void deadLetter(ClaimedMessage message, String reason) {
        requireStarted();
        InFlight h = handle(message);
        moveToDeadLetters(h.keys(), h.field(), h.raw(), Objects.requireNonNull(reason, "reason"), message.consumerId());
    }

    /**
     * Puts a message the MQ path gave up on into the dead-letter list of its (topic, group) shard (the shard its
     * key maps to), so {@code smartmq-admin dlq list|show|replay|purge} sees the dead letters of both paths.
     */
    @Override
    public void deadLetterUnclaimed(Envelope envelope, String group, String reason, String consumerId) {
        requireStarted();
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(reason, "reason");
        checkGroup(group);
        checkName("topic", envelope.topic());
        ShardKeys k = layout.shard(envelope.topic(), group, router.shardFor(envelope.message()));
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

    /** Queued + in flight over every shard: one pipeline of LLEN + HLEN per shard (dead letters are not read). */
    @Override
    public long backlog(String topic, String group) {
        requireStarted();
        checkName("topic", topic);
        checkGroup(group);
        List<Response<?>> rs = runPipeline("backlog of " + topic + "/" + group, p -> {
            List<Response<?>> list = new ArrayList<>(config.shards * 2);
            for (int s = 0; s < config.shards; s++) {
                ShardKeys k = layout.shard(topic, group, s);
                list.add(p.llen(k.queue()));
                list.add(p.hlen(k.inFlight()));
            }
            return list;
        });
        long total = 0;
        for (Response<?> r : rs) {
            total += (Long) r.get();
        }
        return total;
    }

    /**
     * Returns in-flight entries of consumers not in {@code liveConsumerIds} to the heads of their shards,
     * oldest claim first in line. One script per shard, all shards in one pipeline; no SCAN: the in-flight
     * entries of a shard are one hash, and a field names its consumer.
     */
    @Override
    public int recoverOrphans(String topic, String group, Set<String> liveConsumerIds) {
        requireStarted();
        checkName("topic", topic);
        checkGroup(group);
        List<byte[]> args = new ArrayList<>(liveConsumerIds.size() + 1);
        args.add("dead".getBytes(StandardCharsets.US_ASCII));
        liveConsumerIds.forEach(c -> args.add(c.getBytes(StandardCharsets.UTF_8)));
        // Most shards have nothing in flight (an empty hash does not exist). On one server a single EXISTS over
        // every in-flight hash says whether there is anything at all; otherwise (and on a cluster, where the
        // hashes live in different slots) one pipelined HLEN per shard finds the few shards that have entries,
        // and only those run the script (which reads the whole hash).
        String what = "recover orphans of " + topic + "/" + group;
        if (!ops.isCluster()) {
            byte[][] inFlight = new byte[config.shards][];
            for (int s = 0; s < config.shards; s++) {
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
        List<Response<?>> sizes = runPipeline(what, p -> {
            List<Response<?>> list = new ArrayList<>(config.shards);
            for (int s = 0; s < config.shards; s++) {
                list.add(p.hlen(layout.shard(topic, group, s).inFlight()));
            }
            return list;
        });
        List<Integer> busy = new ArrayList<>();
        for (int s = 0; s < config.shards; s++) {
            if ((Long) sizes.get(s).get() > 0) {
                busy.add(s);
            }
        }
        if (busy.isEmpty()) {
            return 0;
        }
        return (int) sumScriptOverShards(what, Scripts.RETURN, topic, group, busy,
                k -> List.of(k.queue(), k.inFlight(), layout.lease(k)), args);
    }

    /**
     * Moves the topic's unclaimed messages into {@code group}'s shards, shard by shard, ahead of anything
     * already queued there (they are older). Whoever calls this first for a shard takes all that shard's
     * unclaimed messages at that moment; a second group gets what arrived after.
     */
    @Override
    public long adoptUnclaimed(String topic, String group) {
        requireStarted();
        checkName("topic", topic);
        checkName("group", group);
        long moved = 0;
        for (int s = 0; s < config.shards; s++) {
            ShardKeys from = layout.shard(topic, KeyLayout.UNCLAIMED_GROUP, s);
            ShardKeys to = layout.shard(topic, group, s);
            long n;
            do {
                try {
                    n = (Long) ops.eval(Scripts.ADOPT, List.of(from.queue(), to.queue()),
                            List.of(Integer.toString(ADOPT_CHUNK).getBytes(StandardCharsets.US_ASCII)));
                } catch (RuntimeException e) {
                    throw ops.failure("adopt unclaimed messages of " + from.name() + " into group " + group, e);
                }
                moved += n;
            } while (n == ADOPT_CHUNK);
        }
        if (moved > 0) {
            LOG.info("Group {} adopted {} unclaimed messages of topic {}", group, moved, topic);
        }
        return moved;
    }

    /**
     * Records, before the first unclaimed append of a topic by this instance is sent, that the topic may have
     * unclaimed messages, so the leader's drain decision finds them (one round trip per topic and instance;
     * a failure fails the append).
     */
    private void noteUnclaimedTopic(String topic) {
        if (unclaimedTopicsNoted.contains(topic)) {
            return;
        }
        try {
            ops.jedis().sadd(layout.unclaimedTopics(), topic.getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw ops.failure("record topic " + topic + " as having unclaimed messages", e);
        }
        unclaimedTopicsNoted.add(topic);
    }

    /**
     * Copies the topic's unclaimed messages to every group in {@code groups}, shard by shard (one atomic script
     * per non-empty shard, all groups of a shard share its hash tag), ahead of what is queued there.
     */
    @Override
    public long distributeUnclaimed(String topic, Collection<String> groups) {
        requireStarted();
        checkName("topic", topic);
        List<String> targets = new ArrayList<>(new LinkedHashSet<>(groups));
        if (targets.isEmpty()) {
            return 0;
        }
        for (String g : targets) {
            checkName("group", g);
        }
        List<ShardBacklog> shards = backlogPerShard(topic, KeyLayout.UNCLAIMED_GROUP);
        long moved = 0;
        for (ShardBacklog b : shards) {
            if (b.queued() == 0) {
                continue;
            }
            List<byte[]> keys = new ArrayList<>(targets.size() + 1);
            keys.add(layout.shard(topic, KeyLayout.UNCLAIMED_GROUP, b.shard()).queue());
            for (String g : targets) {
                keys.add(layout.shard(topic, g, b.shard()).queue());
            }
            long n;
            do {
                try {
                    n = (Long) ops.eval(Scripts.DISTRIBUTE, keys,
                            List.of(Integer.toString(ADOPT_CHUNK).getBytes(StandardCharsets.US_ASCII)));
                } catch (RuntimeException e) {
                    throw ops.failure("distribute unclaimed messages of " + topic + "/" + b.shard() + " to "
                            + targets, e);
                }
                moved += n;
            } while (n == ADOPT_CHUNK);
        }
        if (moved > 0) {
            LOG.info("Groups {} got {} unclaimed messages of topic {}", targets, moved, topic);
        }
        return moved;
    }

    @Override
    public long unclaimedBacklog(String topic) {
        return backlog(topic, KeyLayout.UNCLAIMED_GROUP);
    }

    @Override
    public Set<String> unclaimedTopics() {
        requireStarted();
        Set<byte[]> members;
        try {
            members = ops.jedis().smembers(layout.unclaimedTopics());
        } catch (RuntimeException e) {
            throw ops.failure("list topics with unclaimed messages", e);
        }
        Set<String> topics = new java.util.TreeSet<>();
        for (byte[] m : members) {
            String t = new String(m, StandardCharsets.UTF_8);
            if (NAME.matcher(t).matches()) {
                topics.add(t);
            }
        }
        return topics;
    }

    // ------------------------------------------------------------------------------------------- admin

    /** Queued, in-flight and dead-lettered counts of every shard of (topic, group); one pipeline. */
    public List<ShardBacklog> backlogPerShard(String topic, String group) {
        requireStarted();
        checkName("topic", topic);
        checkGroup(group);
        List<Response<?>> rs = runPipeline("backlog of " + topic + "/" + group, p -> {
            List<Response<?>> list = new ArrayList<>(config.shards * 3);
            for (int s = 0; s < config.shards; s++) {
                ShardKeys k = layout.shard(topic, group, s);
                list.add(p.llen(k.queue()));
                list.add(p.hlen(k.inFlight()));
                list.add(p.llen(k.deadLetters()));
            }
            return list;
        });
        List<ShardBacklog> result = new ArrayList<>(config.shards);
        for (int s = 0; s < config.shards; s++) {
            result.add(new ShardBacklog(s, (Long) rs.get(3 * s).get(), (Long) rs.get(3 * s + 1).get(),
                    (Long) rs.get(3 * s + 2).get()));
        }
        return result;
    }

    /**
     * Deletes every key of (topic, group) — queued, in flight, dead letters, claim sequence — on every shard,
     * for an operator removing a group that is gone for good ({@code smartmq-admin groups remove --purge}).
     * Never called by the engine.
     *
     * @return how many messages (queued + in flight + dead-lettered) were deleted
     */
    public long deleteGroup(String topic, String group) {
        requireStarted();
        checkName("topic", topic);
        checkName("group", group);
        long messages = 0;
        for (ShardBacklog b : backlogPerShard(topic, group)) {
            messages += b.pending() + b.deadLettered();
        }
        runPipeline("delete group " + topic + "/" + group, p -> {
            List<Response<?>> list = new ArrayList<>(config.shards);
            for (int s = 0; s < config.shards; s++) {
                ShardKeys k = layout.shard(topic, group, s);
                list.add(p.del(k.queue(), k.inFlight(), k.deadLetters(), k.sequence()));
            }
            return list;
        });
        LOG.warn("Deleted group {} of topic {} from the fallback store: {} messages", group, topic, messages);
        return messages;
    }

    /** Up to {@code limit} dead letters of (topic, group), shard by shard, oldest first within a shard. */
    public List<DeadLetter> deadLetters(String topic, String group, int limit) {
        requireStarted();
        checkName("topic", topic);
        checkGroup(group);
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, but was " + limit);
        }
        List<DeadLetter> result = new ArrayList<>();
        for (int s = 0; s < config.shards && result.size() < limit; s++) {
            ShardKeys k = layout.shard(topic, group, s);
            List<byte[]> entries;
            try {
                entries = ops.jedis().lrange(k.deadLetters(), 0, limit - result.size() - 1);
            } catch (RuntimeException e) {
                throw ops.failure("list dead letters of " + k.name(), e);
            }
            for (byte[] entry : entries) {
                result.add(toDeadLetter(s, entry));
            }
        }
        return result;
    }

    /** The dead letter of (topic, group) with {@code messageId}, if any. */
    public Optional<DeadLetter> deadLetter(String topic, String group, String messageId) {
        return findDeadLetter(topic, group, messageId).map(f -> toDeadLetter(f.shard, f.entry));
    }

    /**
     * Moves every decodable dead letter of (topic, group) back to the tail of its shard, with its attempt
     * count reset to 0. Corrupt values stay in the dead-letter list.
     *
     * @return how many were replayed
     */
    public int replayDeadLetters(String topic, String group) {
        requireStarted();
        checkName("topic", topic);
        checkGroup(group);
        int replayed = 0;
        for (int s = 0; s < config.shards; s++) {
            ShardKeys k = layout.shard(topic, group, s);
            List<byte[]> entries;
            try {
                entries = ops.jedis().lrange(k.deadLetters(), 0, -1);
            } catch (RuntimeException e) {
                throw ops.failure("list dead letters of " + k.name(), e);
            }
            for (byte[] entry : entries) {
                if (replayEntry(k, entry)) {
                    replayed++;
                }
            }
        }
        return replayed;
    }

    /** Replays the dead letter with {@code messageId} (see {@link #replayDeadLetters}); false if not found. */
    public boolean replayDeadLetter(String topic, String group, String messageId) {
        Optional<Found> found = findDeadLetter(topic, group, messageId);
        return found.isPresent() && replayEntry(layout.shard(topic, group, found.get().shard), found.get().entry);
    }

    /**
     * Deletes the dead letter of (topic, group) with {@code messageId}, if any. Exactly the entry that was
     * found is removed ({@code LREM} of its stored bytes), so if it was replayed or purged meanwhile nothing
     * else is deleted. For tools that re-send a dead letter elsewhere and then drop it.
     *
     * @return whether an entry was deleted
     */
    public boolean removeDeadLetter(String topic, String group, String messageId) {
        Optional<Found> found = findDeadLetter(topic, group, messageId);
        if (found.isEmpty()) {
            return false;
        }
        ShardKeys k = layout.shard(topic, group, found.get().shard);
        try {
            return ops.jedis().lrem(k.deadLetters(), 1, found.get().entry) > 0;
        } catch (RuntimeException e) {
            throw ops.failure("remove a dead letter of " + k.name(), e);
        }
    }

    /** Deletes every dead letter of (topic, group). @return how many were deleted */
    public long purgeDeadLetters(String topic, String group) {
        requireStarted();
        checkName("topic", topic);
        checkGroup(group);
        return sumScriptOverShards("purge dead letters of " + topic + "/" + group, Scripts.PURGE, topic, group,
                allShards(),
                k -> List.of(k.deadLetters()), List.of());
    }

    private boolean replayEntry(ShardKeys k, byte[] entry) {
        DeadLetterCodec.Record r = DeadLetterCodec.decode(entry);
        Envelope env;
        try {
            env = EnvelopeCodec.decode(r.raw(), auth);
        } catch (EnvelopeFormatException e) {
            return false;
        }
        byte[] fresh = EnvelopeCodec.encode(new Envelope(env.id(), env.message(), env.bornTimestamp(), 0), auth);
        try {
            return ((Long) ops.eval(Scripts.REPLAY, List.of(k.deadLetters(), k.queue()), List.of(entry, fresh))) == 1L;
        } catch (RuntimeException e) {
            throw ops.failure("replay a dead letter of " + k.name(), e);
        }
    }

    private record Found(int shard, byte[] entry) {
    }

    private Optional<Found> findDeadLetter(String topic, String group, String messageId) {
        requireStarted();
        checkName("topic", topic);
        checkGroup(group);
        Objects.requireNonNull(messageId, "messageId");
        for (int s = 0; s < config.shards; s++) {
            ShardKeys k = layout.shard(topic, group, s);
            List<byte[]> entries;
            try {
                entries = ops.jedis().lrange(k.deadLetters(), 0, -1);
            } catch (RuntimeException e) {
                throw ops.failure("list dead letters of " + k.name(), e);
            }
            for (byte[] entry : entries) {
                try {
                    if (EnvelopeCodec.decode(DeadLetterCodec.decode(entry).raw(), auth).id().equals(messageId)) {
                        return Optional.of(new Found(s, entry));
                    }
                } catch (EnvelopeFormatException e) {
                    // a corrupt value has no id to match
                }
            }
        }
        return Optional.empty();
    }

    private DeadLetter toDeadLetter(int shard, byte[] entry) {
        DeadLetterCodec.Record r = DeadLetterCodec.decode(entry);
        Envelope env = null;
        String error = null;
        try {
            env = EnvelopeCodec.decode(r.raw(), auth);
        } catch (EnvelopeFormatException e) {
            error = e.getMessage();
        }
        return new DeadLetter(shard, r.reason(), Instant.ofEpochMilli(r.deadAt()), r.consumerId(), env, error,
                r.raw().length);
    }

    // ---------------------------------------------------------------------------------------- idempotency

    /** The idempotency guard, sharing this store's connections. */
    public RedisIdempotencyGuard idempotencyGuard() {
        return guard;
    }

    @Override
    public boolean firstSeen(String group, String messageId, Duration ttl) {
        requireStarted();
        return guard.firstSeen(group, messageId, ttl);
    }

    @Override
    public Verdict begin(String group, String messageId, Duration lease) {
        requireStarted();
        return guard.begin(group, messageId, lease);
    }

    @Override
    public void handled(String group, String messageId, Duration ttl) {
        requireStarted();
        guard.handled(group, messageId, ttl);
    }

    @Override
    public void forget(String group, String messageId) {
        requireStarted();
        guard.forget(group, messageId);
    }

    // -------------------------------------------------------------------------------------------- helpers

    @FunctionalInterface
    private interface PipelineBody {
        List<Response<?>> fill(AbstractPipeline p);
    }

    @FunctionalInterface
    private interface KeysOf {
        List<byte[]> keys(ShardKeys k);
    }

    /** Sends the commands in one pipeline and returns their replies; any failed reply fails the call. */
    private List<Response<?>> runPipeline(String what, PipelineBody body) {
        List<Response<?>> rs;
        AbstractPipeline p = null;
        RuntimeException error = null;
        try {
            p = ops.pipeline();
            rs = body.fill(p);
            p.sync();
        } catch (RuntimeException e) {
            error = e;
            rs = List.of();
        } finally {
            if (p != null) {
                try {
                    p.close();
                } catch (RuntimeException e) {
                    if (error == null) {
                        error = e;
                    }
                }
            }
        }
        if (error != null) {
            throw ops.failure(what, error);
        }
        for (Response<?> r : rs) {
            try {
                r.get();
            } catch (RuntimeException e) {
                throw ops.failure(what, e);
            }
        }
        return rs;
    }

    /** Runs a script on every shard of (topic, group) in one pipeline; sums the integer replies. */
    private List<Integer> allShards() {
        List<Integer> all = new ArrayList<>(config.shards);
        for (int s = 0; s < config.shards; s++) {
            all.add(s);
        }
        return all;
    }

    private long sumScriptOverShards(String what, Scripts.Script script, String topic, String group,
                                     List<Integer> shards, KeysOf keysOf, List<byte[]> args) {
        List<Response<Object>> rs = new ArrayList<>(shards.size());
        AbstractPipeline p = null;
        RuntimeException error = null;
        try {
            p = ops.pipeline();
            for (int s : shards) {
                rs.add(p.evalsha(script.sha(), keysOf.keys(layout.shard(topic, group, s)), args));
            }
            p.sync();
        } catch (RuntimeException e) {
            error = e;
        } finally {
            if (p != null) {
                try {
                    p.close();
                } catch (RuntimeException e) {
                    if (error == null) {
                        error = e;
                    }
                }
            }
        }
        if (error != null) {
            throw ops.failure(what, error);
        }
        long total = 0;
        for (int i = 0; i < shards.size(); i++) {
            Object reply;
            try {
                reply = rs.get(i).get();
            } catch (JedisNoScriptException e) {
                try {
                    reply = ops.eval(script, keysOf.keys(layout.shard(topic, group, shards.get(i))), args);
                } catch (RuntimeException ex) {
                    throw ops.failure(what, ex);
                }
            } catch (RuntimeException e) {
                throw ops.failure(what, e);
            }
            total += (Long) reply;
        }
        return total;
    }

    private static InFlight handle(ClaimedMessage m) {
        Objects.requireNonNull(m, "message");
        if (!(m.handle() instanceof InFlight h)) {
            throw new IllegalArgumentException("message " + m.envelope().id()
                    + " was not claimed from a RedisFallbackStore (handle " + m.handle() + ")");
        }
        return h;
    }

    private static void checkName(String field, String value) {
        if (value == null || !NAME.matcher(value).matches()) {
            throw new IllegalArgumentException(field + " must be [A-Za-z0-9_-]+, but was '" + value + "'");
        }
    }

    private static void checkGroup(String group) {
        if (!KeyLayout.UNCLAIMED_GROUP.equals(group)) {
            checkName("group", group);
        }
    }

    /** Appends sent and pipelines used so far (group-commit statistics, for tests and benchmarks). */
    long[] writerStats() {
        return new long[] {writer.appends(), writer.batches()};
    }

    /** Appends written on the master but failed because too few replicas confirmed them (for tests). */
    long notReplicatedAppends() {
        return writer.notReplicated();
    }

    /** The client (for tests in this package). */
    UnifiedJedis client() {
        return ops.jedis();
    }

    @Override
    public String toString() {
        return "RedisFallbackStore{" + config + "}";
    }

    // ------------------------------------------------------------------------------------------- settings

    /**
     * The store's settings, copied from the {@link Builder} at {@link Builder#build()}: immutable, so a builder
     * changed (or reused) later cannot change a running store. Holds no secret (only whether a password is set).
     */
    private record Settings(String target, String namespace, int shards, long maxBacklogPerShard, int maxBodySize,
                            String user, boolean passwordSet, boolean ssl, Duration connectTimeout,
                            Duration socketTimeout, int poolSize, int writerThreads, int maxBatchSize,
                            int writerQueueCapacity, byte[] envelopeKey, int replicaAcks,
                            Duration replicaAckTimeout, String sentinelUser, boolean sentinelPasswordSet,
                            boolean sentinelSsl) {
        @Override
        public String toString() {
            return target + ", namespace=" + namespace + ", shards=" + shards + ", maxBacklogPerShard="
                    + maxBacklogPerShard + ", maxBodySize=" + maxBodySize + ", user=" + user
                    + ", password=" + (passwordSet ? "****" : "none") + ", ssl=" + ssl
                    + ", connectTimeout=" + connectTimeout + ", socketTimeout=" + socketTimeout + ", poolSize="
                    + poolSize + ", writerThreads=" + writerThreads + ", maxBatchSize=" + maxBatchSize
                    + ", writerQueueCapacity=" + writerQueueCapacity
                    + ", envelopeAuthentication=" + (envelopeKey == null ? "off" : "HMAC-SHA256")
                    + ", replicaAcks=" + (replicaAcks == 0 ? "off" : replicaAcks + " within " + replicaAckTimeout)
                    + (target.startsWith("sentinel") ? ", sentinelUser=" + sentinelUser + ", sentinelPassword="
                    + (sentinelPasswordSet ? "****" : "none") + ", sentinelSsl=" + sentinelSsl : "");
        }
    }

    // -------------------------------------------------------------------------------------------- builder

    /**
     * Builds a {@link RedisFallbackStore}. Exactly one of {@link #standalone}, {@link #sentinel},
     * {@link #cluster} or {@link #client} is required. Each setter validates its value; {@link #build()} validates combinations.
     */
    public static final class Builder {

        private HostAndPort standalone;
        private Set<HostAndPort> cluster;
        private String sentinelMaster;
        private Set<HostAndPort> sentinels;
        private String sentinelUser;
        private String sentinelPassword;
        private boolean sentinelSsl;
        private int replicaAcks;
        private Duration replicaAckTimeout = Duration.ZERO;
        private UnifiedJedis client;
        private String namespace = DEFAULT_NAMESPACE;
        private int shards = DEFAULT_SHARDS;
        private long maxBacklogPerShard = DEFAULT_MAX_BACKLOG_PER_SHARD;
        private int maxBodySize = DEFAULT_MAX_BODY_SIZE;
        private String user;
        private String password;
        private boolean ssl;
        private SSLSocketFactory sslSocketFactory;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration socketTimeout = DEFAULT_SOCKET_TIMEOUT;
        private int poolSize = DEFAULT_POOL_SIZE;
        private int writerThreads = DEFAULT_WRITER_THREADS;
        private int maxBatchSize = DEFAULT_MAX_BATCH_SIZE;
        private int writerQueueCapacity = DEFAULT_WRITER_QUEUE_CAPACITY;
        private byte[] envelopeKey;

        private Builder() {
        }

        /** A standalone server (or a proxy in front of one). */
        public Builder standalone(String host, int port) {
            ConfigurationException.check(host != null && !host.isBlank(), "host", host, "must not be blank");
            ConfigurationException.check(port > 0 && port <= 65535, "port", port, "must be between 1 and 65535");
            this.standalone = new HostAndPort(host, port);
            return this;
        }

        /** A Redis Cluster, by some of its nodes. */
        public Builder cluster(Set<HostAndPort> nodes) {
            ConfigurationException.check(nodes != null && !nodes.isEmpty(), "cluster", nodes, "must name at least one node");
            this.cluster = Set.copyOf(nodes);
            return this;
        }

        /**
         * A master watched by Redis Sentinel: the store asks the {@code sentinels} where {@code masterName} is,
         * follows Sentinel's {@code +switch-master} announcements, and after a failover sends to the promoted
         * master without a restart (calls in between fail with {@code UNAVAILABLE}). {@link #user},
         * {@link #password} and {@link #ssl} apply to the data servers; {@link #sentinelPassword},
         * {@link #sentinelUser} and {@link #sentinelSsl} to the Sentinels.
         */
        public Builder sentinel(String masterName, Set<HostAndPort> sentinels) {
            ConfigurationException.check(masterName != null && !masterName.isBlank(), "masterName", masterName,
                    "must not be blank");
            ConfigurationException.check(sentinels != null && !sentinels.isEmpty(), "sentinels", sentinels,
                    "must name at least one Sentinel");
            this.sentinelMaster = masterName;
            this.sentinels = Set.copyOf(sentinels);
            return this;
        }

        /** ACL user for the Sentinels (Redis 6.2+); needs {@link #sentinelPassword}. */
        public Builder sentinelUser(String user) {
            ConfigurationException.check(user != null && !user.isBlank(), "sentinelUser", user, "must not be blank");
            this.sentinelUser = user;
            return this;
        }

        /** Password of the Sentinels ({@code requirepass} in sentinel.conf). Never logged. */
        public Builder sentinelPassword(String password) {
            if (password == null || password.isEmpty()) {
                throw new ConfigurationException("sentinelPassword must not be empty");
            }
            this.sentinelPassword = password;
            return this;
        }

        /** TLS to the Sentinels (with {@link #sslSocketFactory} if one is set, else the JVM's trust store). */
        public Builder sentinelSsl(boolean ssl) {
            this.sentinelSsl = ssl;
            return this;
        }

        /**
         * After each group-commit flush, {@code WAIT replicas timeout}: an append counts as stored only once
         * {@code replicas} replicas confirmed it; one that did not reach them within {@code timeout} fails with
         * {@code UNAVAILABLE} (the engine then tries its other path, and the caller sees a
         * {@code DeliveryException} if none can store it). Such an append is on the master already and may still
         * be delivered: a failed send may turn out to be delivered (a duplicate if the caller sends it again),
         * never the other way round. On a cluster the {@code WAIT} goes to the master that owns the shard's slot.
         * {@code timeout} must be below {@link #socketTimeout}. Off (0) by default.
         */
        public Builder replicaAcks(int replicas, Duration timeout) {
            ConfigurationException.check(replicas >= 0 && replicas <= 16, "replicaAcks", replicas,
                    "must be between 0 and 16");
            ConfigurationException.check(replicas == 0 || positive(timeout), "replicaAckTimeout", timeout,
                    "must be positive");
            this.replicaAcks = replicas;
            this.replicaAckTimeout = replicas == 0 ? Duration.ZERO : timeout;
            return this;
        }

        /**
         * A client the application already has ({@code JedisPooled}, {@code JedisCluster}, ...). It is shared:
         * the store never closes it, and its own settings (auth, TLS, timeouts) apply.
         */
        public Builder client(UnifiedJedis client) {
            ConfigurationException.check(client != null, "client", null, "must not be null");
            this.client = client;
            return this;
        }

        /** Key namespace: services that share a switch share a namespace. Default {@value RedisFallbackStore#DEFAULT_NAMESPACE}. */
        public Builder namespace(String namespace) {
            ConfigurationException.check(SmartMQConfig.isValidNamespace(namespace), "namespace",
                    namespace, SmartMQConfig.NAMESPACE_RULE);
            this.namespace = namespace;
            return this;
        }

        /** Shards per (topic, group); fixed for the life of a namespace. Default {@value RedisFallbackStore#DEFAULT_SHARDS}. */
        public Builder shards(int shards) {
            ConfigurationException.check(shards >= 1 && shards <= 16384, "shards", shards, "must be between 1 and 16384");
            this.shards = shards;
            return this;
        }

        /**
         * Most messages one shard of one group may hold (queued + in flight); an append past it fails with
         * {@code BACKLOG_FULL} and nothing is evicted. Default {@value RedisFallbackStore#DEFAULT_MAX_BACKLOG_PER_SHARD}.
         */
        public Builder maxBacklogPerShard(long max) {
            ConfigurationException.check(max >= 1, "maxBacklogPerShard", max, "must be at least 1");
            this.maxBacklogPerShard = max;
            return this;
        }

        /** Largest body accepted, in bytes. Default {@value RedisFallbackStore#DEFAULT_MAX_BODY_SIZE}. */
        public Builder maxBodySize(int bytes) {
            ConfigurationException.check(bytes >= 1 && bytes <= 256 * 1024 * 1024, "maxBodySize", bytes,
                    "must be between 1 and 268435456");
            this.maxBodySize = bytes;
            return this;
        }

        /** ACL user name (Redis 6+); without it AUTH uses the {@code default} user. */
        public Builder user(String user) {
            ConfigurationException.check(user != null && !user.isBlank(), "user", user, "must not be blank");
            this.user = user;
            return this;
        }

        /** AUTH password. Never logged. */
        public Builder password(String password) {
            if (password == null || password.isEmpty()) {
                throw new ConfigurationException("password must not be empty");
            }
            this.password = password;
            return this;
        }

        /** TLS to the server(s), with the JVM's default trust store. */
        public Builder ssl(boolean ssl) {
            this.ssl = ssl;
            return this;
        }

        /** TLS with a specific socket factory (own trust store, client certificates); implies {@code ssl(true)}. */
        public Builder sslSocketFactory(SSLSocketFactory factory) {
            ConfigurationException.check(factory != null, "sslSocketFactory", null, "must not be null");
            this.sslSocketFactory = factory;
            this.ssl = true;
            return this;
        }

        /** Both timeouts at once. */
        public Builder timeouts(Duration connect, Duration socket) {
            return connectTimeout(connect).socketTimeout(socket);
        }

        /** Budget to open a connection (and to borrow one from the pool). Default 2 s. */
        public Builder connectTimeout(Duration timeout) {
            ConfigurationException.check(positive(timeout), "connectTimeout", timeout, "must be positive");
            this.connectTimeout = timeout;
            return this;
        }

        /** Budget to wait for a reply; a paused or dead server fails calls after it. Default 2 s. */
        public Builder socketTimeout(Duration timeout) {
            ConfigurationException.check(positive(timeout), "socketTimeout", timeout, "must be positive");
            this.socketTimeout = timeout;
            return this;
        }

        /** Connections per node. Default {@value RedisFallbackStore#DEFAULT_POOL_SIZE}. */
        public Builder poolSize(int size) {
            ConfigurationException.check(size >= 1 && size <= 1024, "poolSize", size, "must be between 1 and 1024");
            this.poolSize = size;
            return this;
        }

        /** Group-commit writer threads. Default {@value RedisFallbackStore#DEFAULT_WRITER_THREADS}. */
        public Builder writerThreads(int threads) {
            ConfigurationException.check(threads >= 1 && threads <= 64, "writerThreads", threads,
                    "must be between 1 and 64");
            this.writerThreads = threads;
            return this;
        }

        /** Most appends in one pipeline. Default {@value RedisFallbackStore#DEFAULT_MAX_BATCH_SIZE}. */
        public Builder maxBatchSize(int size) {
            ConfigurationException.check(size >= 1 && size <= 10_000, "maxBatchSize", size, "must be between 1 and 10000");
            this.maxBatchSize = size;
            return this;
        }

        /**
         * Appends that may wait for a writer; past it appends fail at once with {@code UNAVAILABLE} instead
         * of queueing without bound. Default {@value RedisFallbackStore#DEFAULT_WRITER_QUEUE_CAPACITY}.
         */
        public Builder writerQueueCapacity(int capacity) {
            ConfigurationException.check(capacity >= 1, "writerQueueCapacity", capacity, "must be at least 1");
            this.writerQueueCapacity = capacity;
            return this;
        }

        /**
         * Authenticates every value this store writes with an HMAC-SHA256 under {@code key} (at least 32 bytes,
         * copied; never logged), and refuses every value it reads that does not carry a valid one: such a value
         * is dead-lettered with the reason and never delivered. Every instance of the namespace needs the same
         * key. Off by default (see the module README, "Security").
         */
        public Builder envelopeKey(byte[] key) {
            ConfigurationException.check(key != null && key.length >= 32, "envelopeKey",
                    key == null ? null : key.length + " bytes", "must be at least 32 bytes");
            this.envelopeKey = key.clone();
            return this;
        }

        /**
         * Validates and builds. A cluster client reads the slot map here, so an unreachable cluster fails
         * with {@code UNAVAILABLE}; a standalone client connects lazily.
         */
        public RedisFallbackStore build() {
            int targets = (standalone != null ? 1 : 0) + (cluster != null ? 1 : 0) + (client != null ? 1 : 0)
                    + (sentinels != null ? 1 : 0);
            ConfigurationException.check(targets == 1, "standalone/cluster/sentinel/client", targets + " set",
                    "exactly one must be set");
            ConfigurationException.check(sentinels != null || (sentinelUser == null && sentinelPassword == null
                    && !sentinelSsl), "sentinelUser/sentinelPassword/sentinelSsl", "set", "apply only to sentinel(...)");
            ConfigurationException.check(sentinelUser == null || sentinelPassword != null, "sentinelUser",
                    sentinelUser, "needs a sentinelPassword");
            ConfigurationException.check(replicaAcks == 0 || replicaAckTimeout.compareTo(socketTimeout) < 0,
                    "replicaAckTimeout", replicaAckTimeout, "must be below socketTimeout (" + socketTimeout + ")");
            if (client != null) {
                ConfigurationException.check(user == null && password == null && !ssl, "user/password/ssl",
                        "set", "apply only when the store builds its own client (configure the shared client instead)");
            }
            ConfigurationException.check(user == null || password != null, "user", user, "needs a password");
            ConfigurationException.check(writerQueueCapacity >= writerThreads, "writerQueueCapacity",
                    writerQueueCapacity, "must be at least writerThreads (" + writerThreads + ")");
            if (client != null) {
                ExecutorService exec = client instanceof JedisCluster ? newPipelineExecutor() : null;
                return new RedisFallbackStore(this, client, false, exec);
            }
            DefaultJedisClientConfig.Builder cc = DefaultJedisClientConfig.builder()
                    .connectionTimeoutMillis((int) connectTimeout.toMillis())
                    .socketTimeoutMillis((int) socketTimeout.toMillis())
                    .clientName("smartmq-fallback");
            if (password != null) {
                cc.password(password);
            }
            if (user != null) {
                cc.user(user);
            }
            if (ssl) {
                cc.ssl(true);
                if (sslSocketFactory != null) {
                    cc.sslSocketFactory(sslSocketFactory);
                }
            }
            JedisClientConfig clientConfig = cc.build();
            ConnectionPoolConfig pool = new ConnectionPoolConfig();
            pool.setMaxTotal(poolSize);
            pool.setMaxIdle(poolSize);
            pool.setMinIdle(0);
            pool.setMaxWait(connectTimeout.plus(socketTimeout));
            pool.setBlockWhenExhausted(true);
            if (standalone != null) {
                return new RedisFallbackStore(this, new JedisPooled(standalone, clientConfig, pool), true, null);
            }
            if (sentinels != null) {
                return new RedisFallbackStore(this, sentineled(clientConfig, pool), true, null);
            }
            ExecutorService exec = newPipelineExecutor();
            try {
                JedisCluster jc = new JedisCluster(cluster, clientConfig, 3, socketTimeout.multipliedBy(3), pool);
                return new RedisFallbackStore(this, jc, true, exec);
            } catch (RuntimeException e) {
                exec.shutdownNow();
                throw new FallbackStoreException(Reason.UNAVAILABLE, "cannot reach Redis Cluster " + cluster
                        + ": " + e.getMessage(), e);
            }
        }

        private JedisSentineled sentineled(JedisClientConfig masterConfig, ConnectionPoolConfig pool) {
            DefaultJedisClientConfig.Builder sc = DefaultJedisClientConfig.builder()
                    .connectionTimeoutMillis((int) connectTimeout.toMillis())
                    .socketTimeoutMillis((int) socketTimeout.toMillis())
                    .clientName("smartmq-fallback-sentinel");
            if (sentinelPassword != null) {
                sc.password(sentinelPassword);
            }
            if (sentinelUser != null) {
                sc.user(sentinelUser);
            }
            if (sentinelSsl) {
                sc.ssl(true);
                if (sslSocketFactory != null) {
                    sc.sslSocketFactory(sslSocketFactory);
                }
            }
            try {
                return new JedisSentineled(sentinelMaster, masterConfig, pool, sentinels, sc.build());
            } catch (RuntimeException e) {
                throw new FallbackStoreException(Reason.UNAVAILABLE, "cannot find master '" + sentinelMaster
                        + "' through Sentinels " + sentinels + ": " + e.getMessage(), e);
            }
        }

        private static ExecutorService newPipelineExecutor() {
            return Executors.newCachedThreadPool(new dev.smartmq.api.internal.NamedThreadFactory("redis-pipeline"));
        }

        private static boolean positive(Duration d) {
            return d != null && !d.isNegative() && !d.isZero();
        }

        /** A copy of the current values: what a store built now runs with. */
        private Settings settings() {
            String target = standalone != null ? "standalone=" + standalone
                    : cluster != null ? "cluster=" + cluster
                    : sentinels != null ? "sentinel=" + sentinelMaster + "@" + sentinels
                    : client != null ? "client=" + client.getClass().getSimpleName() + " (shared)" : "no target";
            return new Settings(target, namespace, shards, maxBacklogPerShard, maxBodySize, user, password != null,
                    ssl, connectTimeout, socketTimeout, poolSize, writerThreads, maxBatchSize, writerQueueCapacity,
                    envelopeKey == null ? null : envelopeKey.clone(), replicaAcks, replicaAckTimeout, sentinelUser,
                    sentinelPassword != null, sentinelSsl);
        }

        @Override
        public String toString() {
            return settings().toString();
        }
    }
}
