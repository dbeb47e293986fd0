package dev.smartmq.redis;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.Message;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.redis.internal.AppendWriter;
import dev.smartmq.redis.internal.Backlogs;
import dev.smartmq.redis.internal.Claimer;
import dev.smartmq.redis.internal.DelayedMessages;
import dev.smartmq.redis.internal.EnvelopeAuth;
import dev.smartmq.redis.internal.EnvelopeCodec;
import dev.smartmq.redis.internal.KeyLayout;
import dev.smartmq.redis.internal.KeyLayout.ShardKeys;
import dev.smartmq.redis.internal.Names;
import dev.smartmq.redis.internal.RedisClients;
import dev.smartmq.redis.internal.RedisOps;
import dev.smartmq.redis.internal.ShardRouter;
import dev.smartmq.redis.internal.StoreSettings;
import dev.smartmq.redis.internal.Unclaimed;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FallbackStore;
import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.spi.FallbackStoreException.Reason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.UnifiedJedis;

/**
 * SmartMQ's fallback store on Redis 7 (standalone, Sentinel or Cluster): a fixed number of FIFO shards per
 * (topic, consumer group), at-least-once claim/ack with per-shard in-flight hashes, dead-letter lists, and
 * an idempotency guard. See the module README for the key layout, the value format and the protocol.
 *
 * <p>Over 400 lines because it is the public entry of the adapter: about 380 lines implement the whole
 * {@code FallbackStore} SPI (each method a short check and delegation to the internal writer, claimer, backlogs
 * and unclaimed types, documented here), and its public {@link Builder} (about 260 lines, one documented setter
 * per connection and sizing setting) turns into the immutable {@code StoreSettings} at {@code build()}.
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
 * <p>Settings are copied from the builder at {@link Builder#build()} into an immutable record: a builder changed
 * later changes nothing here.
 *
 * <p>Where the work is: this class is the {@code FallbackStore} SPI and the lifecycle, delegating to
 * {@code internal} types — {@code AppendWriter} (group commit), {@code Claimer} with {@code Scripts} (the
 * at-least-once protocol), {@code Backlogs}, {@code Unclaimed}, {@code RedisOps} (the one pipeline helper). Dead
 * letters for operators: {@link RedisDeadLetters}; the idempotency guard: {@link #idempotencyGuard()}. It is
 * over 400 lines only because the nested {@link Builder} (its documented setters; callers name
 * {@code RedisFallbackStore.Builder}) lives here.
 */
public final class RedisFallbackStore implements FallbackStore {

    /** Default of {@link Builder#namespace(String)}. */
    public static final String DEFAULT_NAMESPACE = SmartMQConfig.DEFAULT_NAMESPACE;
    /** Default of {@link Builder#shards(int)}. */
    public static final int DEFAULT_SHARDS = 128;
    /** Default of {@link Builder#maxBacklogPerShard(long)}. */
    public static final long DEFAULT_MAX_BACKLOG_PER_SHARD = 100_000;
    /** Default of {@link Builder#maxBodySize(int)} (RocketMQ's limit). */
    public static final int DEFAULT_MAX_BODY_SIZE = SmartMQConfig.DEFAULT_MAX_BODY_SIZE;
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
    /** How often a cluster store re-reads the slot map even when nothing failed (it also does after a MOVED). */
    static final Duration CLUSTER_TOPOLOGY_REFRESH = RedisClients.CLUSTER_TOPOLOGY_REFRESH;

    private static final Logger LOG = LoggerFactory.getLogger(RedisFallbackStore.class);

    private enum State { LATENT, STARTED, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final StoreSettings config;
    private final KeyLayout layout;
    private final ShardRouter router;
    private final RedisOps ops;
    private final AppendWriter writer;
    /** Messages whose deliverAt is ahead: held per shard until due (DelayedMessages). */
    private final DelayedMessages delayed;
    private final Claimer claimer;
    private final Backlogs backlogs;
    private final Unclaimed unclaimed;
    private final RedisIdempotencyGuard guard;
    /** Signs what this store writes and checks what it reads; null when envelope authentication is off. */
    private final EnvelopeAuth auth;

    private RedisFallbackStore(StoreSettings config, RedisOps ops) {
        this.config = config;
        this.ops = ops;
        this.layout = new KeyLayout(config.namespace(), config.shards());
        this.router = new ShardRouter(config.shards());
        this.writer = new AppendWriter(ops, config.writerThreads(), config.writerQueueCapacity(),
                config.maxBatchSize(), config.maxBacklogPerShard(), config.replicaAcks(),
                config.replicaAckTimeout().toMillis());
        this.auth = config.envelopeKey() == null ? null : new EnvelopeAuth(config.envelopeKey(), config.namespace());
        this.claimer = new Claimer(ops, layout, config.shards(), auth);
        this.backlogs = new Backlogs(ops, layout, config.shards());
        this.unclaimed = new Unclaimed(ops, layout, config.shards(), backlogs);
        this.guard = new RedisIdempotencyGuard(ops.jedis(), layout);
        this.delayed = new DelayedMessages(ops, layout, config.maxBacklogPerShard(), Duration.ofSeconds(1),
                System::currentTimeMillis);
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
        delayed.start();
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
            delayed.close(config.appendBudget());
            writer.close(config.appendBudget());
        }
        ops.close();
        LOG.info("Redis fallback store closed");
    }


    void requireStarted() {
        State s = state.get();
        if (s != State.STARTED) {
            throw new IllegalStateException("RedisFallbackStore is " + s.name().toLowerCase()
                    + (s == State.LATENT ? ": call start() first" : ""));
        }
    }

    @Override
    public int shardCount() {
        return config.shards();
    }

    /** The namespace all keys live under. */
    @Override
    public String namespace() {
        return config.namespace();
    }

    /** The shard a message goes to (keyless messages: the next round-robin shard). */
    public int shardFor(Message message) {
        return router.shardFor(message);
    }


    @Override
    public void append(Envelope envelope, Collection<String> groups) {
        CompletableFuture<Void> f = appendAsync(envelope, groups);
        long waitMillis = config.appendBudget().multipliedBy(3).toMillis() + 1000;
        try {
            f.get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof FallbackStoreException fse) {
                // re-thrown with this thread's stack, the writer's failure as the cause
                throw new FallbackStoreException(fse.reason(), fse.getMessage(), fse, fse.notStored());
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
            Names.checkGroup(g);
        }
        Names.checkName("topic", m.topic());
        try {
            if (targets.size() == 1 && KeyLayout.UNCLAIMED_GROUP.equals(targets.get(0))) {
                unclaimed.noteTopic(m.topic());
            }
            if (m.bodySize() > config.maxBodySize()) {
                throw new FallbackStoreException(Reason.REJECTED, "message " + envelope.id() + " body is "
                        + m.bodySize() + " bytes, over maxBodySize=" + config.maxBodySize(), null);
            }
            int shard = router.shardFor(m);
            if (m.isDelayed(System.currentTimeMillis())) {
                return delayed.append(m.topic(), targets, shard, EnvelopeCodec.encode(envelope, auth),
                        m.deliverAtMillis(), m.topic() + "/" + targets + "/" + shard + " (message " + envelope.id() + ")");
            }
            List<byte[]> keys = new ArrayList<>(targets.size() * 2);
            for (String g : targets) {
                ShardKeys k = layout.shard(m.topic(), g, shard);
                keys.add(k.queue());
                keys.add(k.inFlight());
            }
            List<byte[]> args = List.of(Long.toString(config.maxBacklogPerShard()).getBytes(StandardCharsets.US_ASCII),
                    EnvelopeCodec.encode(envelope, auth));
            long deadline = System.nanoTime() + config.appendBudget().toNanos();
            AppendWriter.Pending p = new AppendWriter.Pending(shard, keys, args, targets,
                    m.topic() + "/" + targets + "/" + shard + " (message " + envelope.id() + ")", deadline);
            return writer.submit(p);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    // ------------------------------------------------------------------- consumption (internal.Claimer)

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
        requireStarted();
        return claimer.claim(topic, group, shard, consumerId, max);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The same claim script, given the shard's lease key: it claims only while {@code consumerId} holds the
     * lease and the shard's in-flight hash is empty, in one atomic step.
     */
    @Override
    public List<ClaimedMessage> claimLeased(String topic, String group, int shard, String consumerId, int max) {
        requireStarted();
        return claimer.claimLeased(topic, group, shard, consumerId, max);
    }

    /** {@inheritDoc} <p>One script per (shard, consumer) with lost claims, none when there are none. */
    @Override
    public int returnLostClaims() {
        requireStarted();
        return claimer.returnLostClaims();
    }

    /** {@inheritDoc} <p>One lease script per shard ({@code SET PX} if free or ours), all in one pipeline. */
    @Override
    public Set<Integer> acquireShardLeases(String topic, String group, Collection<Integer> shards, String consumerId,
                                           Duration lease) {
        requireStarted();
        return claimer.acquireShardLeases(topic, group, shards, consumerId, lease);
    }

    @Override
    public void releaseShardLease(String topic, String group, int shard, String consumerId) {
        requireStarted();
        claimer.releaseShardLease(topic, group, shard, consumerId);
    }

    @Override
    public void ack(ClaimedMessage message) {
        requireStarted();
        claimer.ack(message);
    }

    /** {@inheritDoc} <p>One ack script per shard, all shards in one pipeline (one round trip per node). */
    @Override
    public void ackAll(List<ClaimedMessage> messages) {
        requireStarted();
        claimer.ackAll(messages);
    }

    @Override
    public void release(ClaimedMessage message, boolean countAttempt) {
        requireStarted();
        claimer.release(message, countAttempt);
    }

    @Override
    public void deadLetter(ClaimedMessage message, String reason) {
        requireStarted();
        claimer.deadLetter(message, reason);
    }

    /**
     * Puts a message the MQ path gave up on into the dead-letter list of its (topic, group) shard (the shard its
     * key maps to), so {@code smartmq-admin dlq list|show|replay|purge} sees the dead letters of both paths.
     */
    @Override
    public void deadLetterUnclaimed(Envelope envelope, String group, String reason, String consumerId) {
        requireStarted();
        Objects.requireNonNull(envelope, "envelope");
        claimer.deadLetterUnclaimed(envelope, router.shardFor(envelope.message()), group, reason, consumerId);
    }

    /**
     * Returns in-flight entries of consumers not in {@code liveConsumerIds} to the heads of their shards,
     * oldest claim first in line (one script per shard that has entries in flight; no SCAN).
     */
    @Override
    public int recoverOrphans(String topic, String group, Set<String> liveConsumerIds) {
        requireStarted();
        return claimer.recoverOrphans(topic, group, liveConsumerIds);
    }

    // --------------------------------------------------------------------------------- backlog, unclaimed

    /** Held until due (delayed messages, see {@link DelayedMessages}): one pipeline of ZCARD per shard. */
    @Override
    public long delayedBacklog(String topic, String group) {
        requireStarted();
        Names.checkName("topic", topic);
        Names.checkGroup(group);
        return delayed.backlog(topic, group);
    }

    /** {@link #delayedBacklog} due before {@code epochMillis}: one pipeline of ZCOUNT per shard. */
    @Override
    public long delayedBacklogDueBefore(String topic, String group, long epochMillis) {
        requireStarted();
        Names.checkName("topic", topic);
        Names.checkGroup(group);
        return delayed.backlogDueBefore(topic, group, epochMillis);
    }

    /** Queued + in flight over every shard: one pipeline of LLEN + HLEN per shard (dead letters are not read). */
    @Override
    public long backlog(String topic, String group) {
        requireStarted();
        Names.checkName("topic", topic);
        Names.checkGroup(group);
        return backlogs.total(topic, group);
    }

    /** Queued, in-flight, dead-lettered and delayed counts of every shard of (topic, group); one pipeline. */
    public List<ShardBacklog> backlogPerShard(String topic, String group) {
        requireStarted();
        Names.checkName("topic", topic);
        Names.checkGroup(group);
        return backlogs.perShard(topic, group);
    }

    /**
     * Deletes every key of (topic, group) — queued, in flight, dead letters, claim sequence, delayed messages — on
     * every shard, and the group's entries in the namespace's delayed index (so no mover moves a held message into
     * the deleted group's shards later), for an operator removing a group that is gone for good
     * ({@code smartmq-admin groups remove --purge}). One command per slot, never a cross-slot one. Never called by
     * the engine.
     *
     * @return how many messages (queued + in flight + dead-lettered + delayed) were deleted
     */
    public long deleteGroup(String topic, String group) {
        requireStarted();
        Names.checkName("topic", topic);
        Names.checkName("group", group);
        return backlogs.deleteGroup(topic, group);
    }

    /**
     * Moves the topic's unclaimed messages into {@code group}'s shards, shard by shard, ahead of anything
     * already queued there (they are older). Whoever calls this first for a shard takes all that shard's
     * unclaimed messages at that moment; a second group gets what arrived after.
     */
    @Override
    public long adoptUnclaimed(String topic, String group) {
        requireStarted();
        return unclaimed.adopt(topic, group);
    }

    /**
     * Copies the topic's unclaimed messages to every group in {@code groups}, shard by shard (one atomic script
     * per non-empty shard, all groups of a shard share its hash tag), ahead of what is queued there.
     */
    @Override
    public long distributeUnclaimed(String topic, Collection<String> groups) {
        requireStarted();
        return unclaimed.distribute(topic, groups);
    }

    @Override
    public long unclaimedBacklog(String topic) {
        requireStarted();
        Names.checkName("topic", topic);
        return unclaimed.backlog(topic) + delayed.backlog(topic, KeyLayout.UNCLAIMED_GROUP);
    }

    @Override
    public Set<String> unclaimedTopics() {
        requireStarted();
        return unclaimed.topics();
    }

    // --------------------------------------------------------------------------------------------- access

    /** The idempotency guard (the {@code IdempotencyGuard} port), sharing this store's connections. */
    public RedisIdempotencyGuard idempotencyGuard() {
        return guard;
    }

    RedisOps ops() {
        return ops;
    }

    KeyLayout layout() {
        return layout;
    }

    EnvelopeAuth auth() {
        return auth;
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
            StoreSettings s = new StoreSettings(standalone, cluster, sentinelMaster, sentinels, sentinelUser,
                    sentinelPassword, sentinelSsl, client, namespace, shards, maxBacklogPerShard, maxBodySize, user,
                    password, ssl, sslSocketFactory, connectTimeout, socketTimeout, poolSize, writerThreads,
                    maxBatchSize, writerQueueCapacity, envelopeKey, replicaAcks, replicaAckTimeout);
            return new RedisFallbackStore(s, RedisClients.open(s));
        }

        private static boolean positive(Duration d) {
            return d != null && !d.isNegative() && !d.isZero();
        }

        @Override
        public String toString() {
            return "RedisFallbackStore.Builder{" + standalone + cluster + sentinels + " namespace=" + namespace
                    + ", shards=" + shards + "}";
        }
    }
}
