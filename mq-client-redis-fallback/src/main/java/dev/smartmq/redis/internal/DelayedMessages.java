package dev.smartmq.redis.internal;

import dev.smartmq.api.internal.NamedThreadFactory;
import dev.smartmq.redis.internal.KeyLayout.ShardKeys;
import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.spi.FallbackStoreException.Reason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.params.ZAddParams;
import redis.clients.jedis.resps.Tuple;

/**
 * Delayed messages in the fallback store: a message whose {@code deliverAt} is still ahead is held in a sorted set
 * of its shard, per group, scored by its due time, and moved to the tail of the group's shard queue once due.
 *
 * <pre>
 * smq:{ns:topic:shard}:group:z   zset   held values (the same encoded envelopes the queue holds), score = due ms
 * smq:ns:#delayed                zset   index: member "topic/group/shard", score = earliest due time in that
 *                                       shard's zset, +inf once it is empty (members stay: bounded by the layout;
 *                                       deleting a group removes its members: Backlogs.deleteGroup)
 * </pre>
 *
 * The shard's zset has the shard's hash tag, so the move (ZRANGEBYSCORE due … LIMIT n, RPUSH to the queue, ZREM)
 * is one atomic script in Redis Cluster too; two movers (every store instance runs one) never move a value twice.
 *
 * <p>Timer, not polling: one mover thread ({@code smartmq-redis-delay-mover-<n>}) reads the index's due members
 * (one ZRANGEBYSCORE), moves each due shard (one script per shard with due items, bounded per pass), then sleeps
 * until the index's next due time. Appends through this instance wake it if they are due earlier. While something
 * is held, appends by other instances are seen at the next look at the index, which backs off from
 * {@link #MIN_IDLE_MILLIS} to {@code idleMax}; while nothing is held anywhere in the namespace the mover is dormant
 * and looks once every {@link #DORMANT_MILLIS} (a message held by an instance that died before moving it).
 *
 * <p>Index races: an append writes the index (ZADD LT) before and after the shard's zset; the mover sets the index
 * score to what the move left and then re-reads the shard's first entry (ZADD LT if earlier). So an append that
 * races a mover either is seen by the re-read or lowers the index itself after it; and a crash between the writes
 * leaves the index member in place (found by {@link #repair()}, run at start and every few minutes). The mover's
 * index writes are {@code XX}: an entry that a group's deletion removed while a pass had it in hand is not re-added.
 *
 * <p>State is all in Redis: a restarted producer or consumer (or any other instance) moves what is due.
 * Thread rules: {@link #append} from any thread, never blocks (runs on {@code smartmq-redis-delay-append-<n>});
 * {@link #backlog} and {@link #movePass()} on the caller's thread. Key names and the Lua scripts: {@link DelayedKeys}.
 */
public final class DelayedMessages implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DelayedMessages.class);
    /** Shortest sleep of the mover between looks at the index when it found nothing due. */
    public static final long MIN_IDLE_MILLIS = 50;
    /** Due shards read from the index per round, and rounds per pass (the rest: next pass, at once). */
    private static final int INDEX_BATCH = 64;
    private static final int ROUNDS = 8;
    /** Values moved per script call, and calls per shard per pass. */
    private static final int MOVE_BATCH = 256;
    private static final int MOVES_PER_SHARD = 8;
    private static final long REPAIR_EVERY_MILLIS = TimeUnit.MINUTES.toMillis(5);
    /**
     * Sleep of the mover while the index lists nothing held (one ZRANGE per this interval): how late a message held
     * by an instance that then died is moved by a surviving one, when nothing else is held.
     */
    public static final long DORMANT_MILLIS = TimeUnit.SECONDS.toMillis(30);
    private final NamedThreadFactory moverThreads = new NamedThreadFactory("redis-delay-mover");

    private final RedisOps ops;
    private final KeyLayout layout;
    private final long maxPerShard;
    private final long idleMaxMillis;
    private final LongSupplier clock;
    private final DelayedKeys keys;
    private final byte[] index;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    /** Earliest due time this instance appended that the mover has not looked at yet (guarded by lock). */
    private long wakeAt = Long.MAX_VALUE;
    private final ExecutorService appender;
    private volatile Thread mover;
    private volatile boolean closed;
    private long lastRepairMillis;

    /**
     * @param maxPerShard   most values one group's zset of one shard may hold (the store's maxBacklogPerShard)
     * @param idleMax       longest sleep between looks at the index when nothing is due (bounds how late a message
     *                      appended by another instance is moved)
     * @param clockMillis   epoch milliseconds (tests pass their own)
     */
    public DelayedMessages(RedisOps ops, KeyLayout layout, long maxPerShard, Duration idleMax, LongSupplier clockMillis) {
        this.ops = ops;
        this.layout = layout;
        this.maxPerShard = maxPerShard;
        this.idleMaxMillis = Math.max(MIN_IDLE_MILLIS, idleMax.toMillis());
        this.clock = clockMillis;
        this.keys = new DelayedKeys(layout);
        this.index = keys.index();
        this.appender = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(10_000),
                new NamedThreadFactory("redis-delay-append"));
    }

    /** The zset of a shard's held values (same hash tag as the shard). */
    public byte[] zset(ShardKeys k) {
        return keys.zset(k);
    }

    /**
     * Runs the first pass on the caller's thread (what a crashed or restarted instance left due is moved now, and the
     * index repaired), then starts the mover thread. A Redis that cannot be reached now is logged; the thread retries.
     */
    public void start() {
        long next;
        try {
            lastRepairMillis = clock.getAsLong() - REPAIR_EVERY_MILLIS; // the first pass repairs
            next = movePass();
        } catch (RuntimeException e) {
            LOG.warn("SmartMQ delayed-message mover of namespace {}: first pass failed ({}); retrying in the background",
                    layout.namespace(), ops.failure("moving due delayed messages", e).getMessage());
            next = clock.getAsLong();
        }
        long firstNext = next;
        Thread t = moverThreads.newThread(() -> run(firstNext));
        mover = t;
        t.start();
    }

    /**
     * Holds {@code value} in the zsets of {@code groups}' shard {@code shard} of {@code topic} until {@code dueMillis}.
     * Completes on an append thread; exceptionally with {@link FallbackStoreException} (BACKLOG_FULL when every
     * group's zset is full, UNAVAILABLE when Redis cannot be reached: the caller treats the message as not stored).
     */
    public CompletableFuture<Void> append(String topic, List<String> groups, int shard, byte[] value, long dueMillis,
                                          String what) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        try {
            appender.execute(() -> {
                try {
                    hold(topic, groups, shard, value, dueMillis, what);
                    f.complete(null);
                } catch (RuntimeException e) {
                    f.completeExceptionally(ops.failure("delayed append to " + what, e));
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(FallbackStoreException.notSent("delayed append to " + what
                    + " not started: " + (closed ? "the store is closing" : "10000 delayed appends already queued"), e));
        }
        return f;
    }

    private void hold(String topic, List<String> groups, int shard, byte[] value, long due, String what) {
        List<byte[]> keys = new ArrayList<>(groups.size());
        List<byte[]> members = new ArrayList<>(groups.size());
        for (String g : groups) {
            ShardKeys k = layout.shard(topic, g, shard);
            keys.add(zset(k));
            members.add(DelayedKeys.member(k));
        }
        lowerIndex(members, due); // first: a crash after the hold leaves an index member to find
        Object r = ops.eval(DelayedKeys.HOLD, keys, List.of(bytes(Long.toString(maxPerShard)), bytes(Long.toString(due)), value));
        if (r instanceof Long l && l < 0) {
            throw new FallbackStoreException(Reason.BACKLOG_FULL, "delayed append to " + what + ": every group's"
                    + " delayed set of the shard holds " + maxPerShard + " messages", null);
        }
        try {
            lowerIndex(members, due); // again: a mover that raced the hold may have set the index above it
        } catch (RuntimeException e) {
            // the message IS held: whatever this failure says (a refusal, a full server), it must not read "not stored"
            throw new FallbackStoreException(Reason.UNAVAILABLE, "delayed append to " + what + " held, but its due"
                    + " time was not indexed again (" + e.getMessage() + "); it may still be delivered", e);
        }
        lock.lock();
        try {
            if (due < wakeAt) {
                wakeAt = due;
                wake.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    private void lowerIndex(List<byte[]> members, long due) {
        for (byte[] m : members) {
            ops.jedis().zadd(index, due, m, ZAddParams.zAddParams().lt());
        }
    }

    /** Values held for (topic, group) over every shard: one pipeline of ZCARD. */
    public long backlog(String topic, String group) {
        return backlogDueBefore(topic, group, Long.MAX_VALUE);
    }

    /**
     * Values held for (topic, group) due before {@code epochMillis} over every shard: one pipeline of ZCARD
     * ({@link Long#MAX_VALUE}: all) or ZCOUNT (score = due time).
     */
    public long backlogDueBefore(String topic, String group, long epochMillis) {
        List<Response<Long>> rs = new ArrayList<>(layout.shards());
        try (AbstractPipeline p = ops.pipeline()) {
            for (int s = 0; s < layout.shards(); s++) {
                byte[] key = zset(layout.shard(topic, group, s));
                rs.add(epochMillis == Long.MAX_VALUE ? p.zcard(key)
                        : p.zcount(key, "-inf".getBytes(StandardCharsets.US_ASCII),
                        ("(" + epochMillis).getBytes(StandardCharsets.US_ASCII)));
            }
            p.sync();
        } catch (RuntimeException e) {
            throw ops.failure("delayed backlog of " + topic + "/" + group, e);
        }
        long total = 0;
        for (Response<Long> r : rs) {
            total += r.get();
        }
        return total;
    }

    /**
     * One pass of the mover: moves every due value of the shards the index lists as due (bounded: see the
     * constants; what is left is due at once in the next pass).
     *
     * @return the epoch milliseconds of the next due value known to the index, or {@link Long#MAX_VALUE}
     */
    public long movePass() {
        long now = clock.getAsLong();
        for (int round = 0; round < ROUNDS; round++) {
            List<Tuple> due = ops.jedis().zrangeByScoreWithScores(index, Double.NEGATIVE_INFINITY, now, 0, INDEX_BATCH);
            for (Tuple t : due) {
                moveShard(t.getBinaryElement(), now);
            }
            if (due.size() < INDEX_BATCH) {
                break;
            }
        }
        if (now - lastRepairMillis >= REPAIR_EVERY_MILLIS) {
            lastRepairMillis = now;
            repair();
        }
        List<Tuple> first = ops.jedis().zrangeWithScores(index, 0, 0);
        if (first.isEmpty() || Double.isInfinite(first.get(0).getScore())) {
            return Long.MAX_VALUE;
        }
        return (long) first.get(0).getScore();
    }

    private void moveShard(byte[] member, long now) {
        ShardKeys k = keys.parse(member);
        if (k == null) {
            LOG.warn("SmartMQ delayed index of namespace {}: entry '{}' is not topic/group/shard; removed",
                    layout.namespace(), new String(member, StandardCharsets.UTF_8));
            ops.jedis().zrem(index, member);
            return;
        }
        byte[] z = zset(k);
        String next = "";
        long moved = 0;
        for (int i = 0; i < MOVES_PER_SHARD; i++) {
            List<?> r = (List<?>) ops.eval(DelayedKeys.MOVE, List.of(z, k.queue()),
                    List.of(bytes(Long.toString(now)), bytes(Integer.toString(MOVE_BATCH))));
            long n = (Long) r.get(0);
            moved += n;
            next = text(r.get(1));
            if (n < MOVE_BATCH) {
                break;
            }
        }
        if (moved > 0) {
            LOG.debug("SmartMQ: {} delayed messages of {} due, moved to the shard", moved, k.name());
        }
        double score = next.isEmpty() ? Double.POSITIVE_INFINITY : Double.parseDouble(next);
        // XX: an entry removed since it was read (the group was deleted: Backlogs.deleteGroup) stays removed. An
        // append always writes its own entries (ZADD LT, which adds), so XX never hides a held value.
        ops.jedis().zadd(index, score, member, ZAddParams.zAddParams().xx());
        // Re-read after the index write: an append that held a value after the move is seen here, or lowers the
        // index itself after this write (it writes the index after its hold).
        List<Tuple> head = ops.jedis().zrangeWithScores(z, 0, 0);
        if (!head.isEmpty() && head.get(0).getScore() < score) {
            ops.jedis().zadd(index, head.get(0).getScore(), member, ZAddParams.zAddParams().lt().xx());
        }
    }

    /**
     * Re-reads the first entry of every shard the index lists as empty and lowers the index where one is held
     * (a crash between an append's hold and its index write). One ZRANGE per such shard, every few minutes.
     */
    public void repair() {
        List<byte[]> idle = ops.jedis().zrangeByScore(index, Double.MAX_VALUE, Double.POSITIVE_INFINITY);
        for (byte[] member : idle) {
            ShardKeys k = keys.parse(member);
            if (k == null) {
                continue;
            }
            List<Tuple> head = ops.jedis().zrangeWithScores(zset(k), 0, 0);
            if (!head.isEmpty()) {
                ops.jedis().zadd(index, head.get(0).getScore(), member, ZAddParams.zAddParams().lt());
            }
        }
    }

    private void run(long firstNext) {
        long idle = MIN_IDLE_MILLIS;
        long next = firstNext;
        while (!closed) {
            long now = clock.getAsLong();
            long sleep;
            if (next <= now) {
                idle = MIN_IDLE_MILLIS;
                sleep = 0; // due now (or a bounded pass left some): go on
            } else if (next == Long.MAX_VALUE) {
                // Nothing held anywhere in the namespace: dormant. This instance's own appends wake it; another
                // instance's are moved by that instance's mover, and seen here at the next dormant look.
                sleep = DORMANT_MILLIS;
                idle = MIN_IDLE_MILLIS;
            } else {
                // Something is held: look again at its due time, or sooner (backing off) for other instances' appends.
                sleep = Math.min(next - now, idle);
                idle = Math.min(idle * 2, idleMaxMillis);
            }
            if (sleep > 0) {
                sleepUntil(now + sleep);
            }
            if (closed) {
                return;
            }
            try {
                next = movePass();
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                LOG.warn("SmartMQ delayed-message mover of namespace {}: {} (retrying in {} ms)", layout.namespace(),
                        ops.failure("moving due delayed messages", e).getMessage(), idle);
                next = clock.getAsLong() + idle;
                idle = Math.min(idle * 2, idleMaxMillis);
            }
        }
    }

    private void sleepUntil(long until) {
        lock.lock();
        try {
            while (!closed) {
                long now = clock.getAsLong();
                long limit = Math.min(until, wakeAt);
                if (limit <= now) {
                    break;
                }
                wake.await(limit - now, TimeUnit.MILLISECONDS);
            }
            wakeAt = Long.MAX_VALUE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        } finally {
            lock.unlock();
        }
    }

    private static String text(Object o) {
        return o instanceof byte[] b ? new String(b, StandardCharsets.US_ASCII) : String.valueOf(o);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Stops the mover and the append thread (queued appends finish first, up to {@code timeout}). Idempotent. */
    public void close(Duration timeout) {
        closed = true;
        lock.lock();
        try {
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        appender.shutdown();
        try {
            if (!appender.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                appender.shutdownNow();
            }
            Thread t = mover;
            if (t != null) {
                t.join(timeout.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(2));
    }
}
