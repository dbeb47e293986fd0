package dev.smartmq.redis.internal;

import dev.smartmq.api.internal.NamedThreadFactory;
import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.spi.FallbackStoreException.Reason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Group commit of appends. Producer threads enqueue; writer threads ({@code smartmq-redis-writer-<n>}) each
 * drain their queue and send what they found as one pipeline (one per node on a cluster) holding one
 * {@link Scripts#APPEND_BATCH} call (one per slot on a cluster, see {@link AppendBatch}), so many concurrent
 * producers cost few round trips and one script call, and each shard's backlog is read once per flush. A shard always goes to the same writer, so appends to a shard
 * are sent in the order they were submitted.
 *
 * <p>Every append's future completes exactly once: normally when its own reply arrives (also when some of its
 * groups were full and skipped: {@link GroupOverflows} reports them), with {@link Reason#BACKLOG_FULL} if every
 * group was full, or with {@link Reason#UNAVAILABLE} when its reply
 * was not read (connection lost or timed out), when it waited in the queue beyond its deadline (then it was
 * never sent), or when it was queued behind a batch that lost the connection (then it was never sent
 * either: failing it at once beats making it wait for another timeout). An append that was never sent (also one
 * refused by a full queue or a closed writer) says so: {@link FallbackStoreException#notStored()}; one whose reply
 * was not read does not. Nothing is dropped silently.
 *
 * <p>Replica acknowledgement ({@code replicaAcks > 0}): each pipeline ends with {@code WAIT replicas timeout} on
 * the same connection (on a cluster: one {@code WAIT} per slot of the batch, each routed to the master that owns
 * that slot, after that node's appends), so it covers every append before it on that connection. An append
 * whose {@code WAIT} reported fewer replicas (or whose {@code WAIT} reply was not read) fails with
 * {@link Reason#UNAVAILABLE}: its value IS on the master and may still be delivered (if that master survives),
 * so the caller, who sees the failure, gets a duplicate at worst if it stores the message elsewhere - never a
 * success for a write that is not replicated.
 *
 * <p>Thread rules: {@link #submit} from any thread; each queue is drained by its own writer thread only.
 */
public final class AppendWriter {
    private final NamedThreadFactory writerThreads = new NamedThreadFactory("redis-writer");

    private static final Logger LOG = LoggerFactory.getLogger(AppendWriter.class);

    /** One append: a value to the queues of some groups of one shard. */
    public static final class Pending {
        final int shard;
        final List<byte[]> keys;
        final List<byte[]> args;
        final List<String> groups;
        final String where;
        final long deadlineNanos;
        final CompletableFuture<Void> future = new CompletableFuture<>();

        public Pending(int shard, List<byte[]> keys, List<byte[]> args, List<String> groups, String where,
                       long deadlineNanos) {
            this.shard = shard;
            this.keys = keys;
            this.args = args;
            this.groups = groups;
            this.where = where;
            this.deadlineNanos = deadlineNanos;
        }

        public CompletableFuture<Void> future() {
            return future;
        }
    }

    private final RedisOps ops;
    private final int maxBatch;
    private final long maxBacklog;
    private final int replicaAcks;
    private final long replicaAckTimeoutMillis;
    private final List<BlockingQueue<Pending>> queues = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong appends = new AtomicLong();
    private final GroupOverflows overflows = new GroupOverflows();
    private final AtomicLong notReplicated = new AtomicLong();
    private volatile boolean running = true;

    public AppendWriter(RedisOps ops, int threads, int queueCapacity, int maxBatch, long maxBacklog) {
        this(ops, threads, queueCapacity, maxBatch, maxBacklog, 0, 0);
    }

    /**
     * @param replicaAcks             replicas that must confirm each flush ({@code WAIT}); 0 = do not wait
     * @param replicaAckTimeoutMillis the {@code WAIT} timeout (below the socket timeout)
     */
    public AppendWriter(RedisOps ops, int threads, int queueCapacity, int maxBatch, long maxBacklog,
                        int replicaAcks, long replicaAckTimeoutMillis) {
        this.ops = ops;
        this.maxBatch = maxBatch;
        this.maxBacklog = maxBacklog;
        this.replicaAcks = replicaAcks;
        this.replicaAckTimeoutMillis = replicaAckTimeoutMillis;
        int perQueue = Math.max(1, queueCapacity / threads);
        for (int i = 0; i < threads; i++) {
            BlockingQueue<Pending> q = new ArrayBlockingQueue<>(perQueue);
            queues.add(q);
            this.threads.add(writerThreads.newThread(() -> run(q)));
        }
    }

    public void start() {
        threads.forEach(Thread::start);
    }

    /** Enqueues; never blocks. A full queue fails the append at once (UNAVAILABLE). */
    public CompletableFuture<Void> submit(Pending p) {
        if (!running) {
            p.future.completeExceptionally(FallbackStoreException.notSent(
                    "append to " + p.where + " not sent: the store is closed", null));
            return p.future;
        }
        BlockingQueue<Pending> q = queues.get(p.shard % queues.size());
        if (!q.offer(p)) {
            p.future.completeExceptionally(FallbackStoreException.notSent(
                    "append to " + p.where + " not sent: writer queue full (" + q.size()
                            + " appends waiting for Redis)", null));
        }
        return p.future;
    }

    private void run(BlockingQueue<Pending> q) {
        List<Pending> batch = new ArrayList<>(maxBatch);
        // EVALSHA is cheaper, but the NOSCRIPT fallback re-runs the refused calls AFTER the rest of their
        // batch (on a cluster another writer may load the script mid-batch). A shard is in one call only, so that
        // cannot reorder it, but the rule from the per-message script stays as the cautious default: a writer sends the script body (EVAL) until one of its batches went through whole - the script
        // is then cached server-wide - and goes back to EVAL after any connection failure (the server may
        // have restarted and lost its script cache) or NOSCRIPT (someone ran SCRIPT FLUSH).
        boolean[] sendBody = {true};
        while (running || !q.isEmpty()) {
            try {
                Pending first = q.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                q.drainTo(batch, maxBatch - 1);
                send(batch, q, sendBody);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException e) {
                // must never kill the writer: fail what it held and carry on
                LOG.error("unexpected failure in the Redis append writer", e);
                for (Pending p : batch) {
                    fail(p, new FallbackStoreException(Reason.UNAVAILABLE, "append to " + p.where + " failed: " + e, e));
                }
            } finally {
                batch.clear();
            }
        }
        failAll(q, "the store is closed");
    }

    private void send(List<Pending> batch, BlockingQueue<Pending> q, boolean[] sendBody) {
        long now = System.nanoTime();
        List<Pending> live = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            if (p.future.isDone()) {
                continue;
            }
            if (now - p.deadlineNanos > 0) {
                fail(p, FallbackStoreException.notSent("append to " + p.where
                        + " not sent: waited beyond its timeout for Redis", null));
            } else {
                live.add(p);
            }
        }
        if (live.isEmpty()) {
            return;
        }
        batches.incrementAndGet();
        appends.addAndGet(live.size());
        List<AppendBatch> calls = AppendBatch.split(live, ops.isCluster());
        List<Response<Object>> responses = new ArrayList<>(calls.size());
        List<Response<Long>> waits = new ArrayList<>(live.size());
        RuntimeException batchError = ops.pipelined(pipeline -> {
            for (AppendBatch c : calls) {
                responses.add(sendBody[0]
                        ? pipeline.eval(Scripts.APPEND_BATCH.body(), c.keys(), c.args())
                        : pipeline.evalsha(Scripts.APPEND_BATCH.sha(), c.keys(), c.args()));
            }
            addWaits(pipeline, live, waits);
            return null;
        }).error();
        List<AppendBatch> noScript = new ArrayList<>();
        boolean connectionLost = batchError != null && RedisOps.isConnectionFailure(batchError);
        for (int i = 0; i < calls.size(); i++) {
            AppendBatch c = calls.get(i);
            if (i >= responses.size()) {
                c.members.forEach(p -> fail(p, ops.failure("append to " + p.where, batchError)));
                continue;
            }
            try {
                completeAll(c, responses.get(i).get(), waits);
            } catch (JedisNoScriptException e) {
                noScript.add(c);
            } catch (JedisDataException e) {
                c.members.forEach(p -> fail(p, ops.failure("append to " + p.where, e)));
            } catch (RuntimeException e) {
                // reply not read: connection lost or timed out; the writes may or may not have happened
                RuntimeException cause = batchError != null ? batchError : e;
                c.members.forEach(p -> fail(p, new FallbackStoreException(Reason.UNAVAILABLE, "append to " + p.where
                        + " not confirmed: " + cause.getMessage(), cause)));
                connectionLost |= batchError == null;
            }
        }
        for (AppendBatch c : noScript) {
            try {
                if (replicaAcks > 0) {
                    sendAlone(c);
                } else {
                    completeAll(c, ops.eval(Scripts.APPEND_BATCH, c.keys(), c.args()), null);
                }
            } catch (RuntimeException e) {
                c.members.forEach(p -> fail(p, ops.failure("append to " + p.where, e)));
            }
        }
        sendBody[0] = connectionLost || batchError != null || !noScript.isEmpty();
        if (connectionLost) {
            ops.onConnectionFailure();
            if (!ops.isCluster()) {
                // one server, and it just failed: those waiting would only wait for the same timeout
                failAll(q, "Redis unavailable (the batch before it lost the connection: "
                        + (batchError != null ? batchError.getMessage() : "replies not read") + ")");
            }
        }
    }

    /**
     * Adds the {@code WAIT}s of a batch after its appends: {@code waits.get(i)} is the one covering
     * {@code live.get(i)}. One per batch on a single server (Sentinel or standalone); on a cluster one per slot,
     * routed by the slot's key to the master that owns it, after that master's appends on the same connection.
     */
    private void addWaits(AbstractPipeline pipeline, List<Pending> live, List<Response<Long>> waits) {
        if (replicaAcks <= 0) {
            return;
        }
        if (!ops.isCluster()) {
            Response<Long> w = pipeline.waitReplicas(live.get(0).keys.get(0), replicaAcks, replicaAckTimeoutMillis);
            live.forEach(p -> waits.add(w));
            return;
        }
        Map<Integer, Response<Long>> perSlot = new HashMap<>();
        for (Pending p : live) {
            byte[] key = p.keys.get(0);
            waits.add(perSlot.computeIfAbsent(JedisClusterCRC16.getSlot(key),
                    slot -> pipeline.waitReplicas(key, replicaAcks, replicaAckTimeoutMillis)));
        }
    }

    /** Whether the append's {@code WAIT} saw enough replicas; if not, fails it (its value is on the master). */
    private boolean replicated(Pending p, Response<Long> wait) {
        long acked;
        String why;
        try {
            if (wait == null) {
                throw new IllegalStateException("WAIT was not sent");
            }
            Long n = wait.get();
            acked = n == null ? 0 : n;
            why = acked + " of " + replicaAcks + " replica(s) confirmed it within " + replicaAckTimeoutMillis + " ms";
        } catch (RuntimeException e) {
            acked = -1;
            why = "the replica acknowledgement (WAIT) was not read: " + e.getMessage();
        }
        if (acked >= replicaAcks) {
            return true;
        }
        notReplicated.incrementAndGet();
        fail(p, new FallbackStoreException(Reason.UNAVAILABLE, "append to " + p.where + " not acknowledged: "
                + why + " (it is on the master and may still be delivered)", null));
        return false;
    }

    /**
     * Completes every append of a call from its per-append replies; with replica acks, a written one only if its
     * {@code WAIT} (by its index in the flush, or {@code alone} for a call retried on its own) saw enough replicas.
     */
    private void completeAll(AppendBatch c, Object reply, List<Response<Long>> waits) {
        completeAll(c, reply, waits, null);
    }

    private void completeAll(AppendBatch c, Object reply, List<Response<Long>> waits, Response<Long> alone) {
        List<?> replies = (List<?>) reply;
        for (int j = 0; j < c.members.size(); j++) {
            AppendWriter.Pending p = c.members.get(j);
            Object r = replies.get(j);
            if (isWritten(r) && replicaAcks > 0) {
                int i = c.indexes.get(j);
                Response<Long> w = alone != null ? alone : waits != null && i < waits.size() ? waits.get(i) : null;
                if (!replicated(p, w)) {
                    continue;
                }
            }
            complete(p, r);
        }
    }

    /** One call and its {@code WAIT} in a pipeline of their own (the NOSCRIPT retry with replica acks). */
    private void sendAlone(AppendBatch c) {
        RedisOps.Sent<List<Response<?>>> sent = ops.pipelined(pipeline ->
                List.of(pipeline.eval(Scripts.APPEND_BATCH.body(), c.keys(), c.args()),
                        pipeline.waitReplicas(c.keys().get(0), replicaAcks, replicaAckTimeoutMillis)));
        if (sent.error() != null) {
            throw sent.error();
        }
        @SuppressWarnings("unchecked")
        Response<Long> wait = (Response<Long>) sent.responses().get(1);
        completeAll(c, sent.responses().get(0).get(), null, wait);
    }

    private static boolean isWritten(Object reply) {
        return reply instanceof Long l && l == 1L;
    }

    private void complete(Pending p, Object reply) {
        if (reply instanceof List<?> skippedKeys && !skippedKeys.isEmpty()) {
            overflows.report(p.where, skippedKeys.stream().map(k -> p.groups.get((int) ((Long) k - 1) / 2)).toList(),
                    maxBacklog);
            p.future.complete(null);
            return;
        }
        long r = reply instanceof Long l ? l : 0L;
        if (r == 1L) {
            p.future.complete(null);
        } else if (r < 0) {
            int keyIndex = (int) (-r) - 1;
            String group = p.groups.get(keyIndex / 2);
            fail(p, new FallbackStoreException(Reason.BACKLOG_FULL, "append to " + p.where
                    + " refused: shard backlog of group '" + group + "' reached maxBacklogPerShard=" + maxBacklog
                    + "; nothing was written", null));
        } else {
            fail(p, new FallbackStoreException(Reason.REJECTED, "append to " + p.where
                    + ": unexpected script reply " + reply, null));
        }
    }

    private static void fail(Pending p, FallbackStoreException e) {
        p.future.completeExceptionally(e);
    }

    private void failAll(BlockingQueue<Pending> q, String why) {
        List<Pending> rest = new ArrayList<>();
        q.drainTo(rest);
        for (Pending p : rest) {
            fail(p, FallbackStoreException.notSent("append to " + p.where + " not sent: " + why, null));
        }
    }

    /** Stops taking appends, lets the writers send what is queued (up to {@code timeout}), fails the rest. */
    public void close(Duration timeout) {
        running = false;
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread t : threads) {
            try {
                long left = deadline - System.nanoTime();
                if (left > 0) {
                    t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Thread t : threads) {
            if (t.isAlive()) {
                t.interrupt();
            }
        }
        for (BlockingQueue<Pending> q : queues) {
            failAll(q, "the store was closed before it was sent");
        }
    }

    /** Pipelines sent so far (round trips; per node on a cluster). */
    public long batches() {
        return batches.get();
    }

    /** Messages not stored for a group because its shard was full, per group (the others got them). */
    public java.util.Map<String, Long> overflows() {
        return overflows.counts();
    }

    /** Appends written on the master that failed because too few replicas confirmed them. */
    public long notReplicated() {
        return notReplicated.get();
    }

    /** Appends sent so far. */
    public long appends() {
        return appends.get();
    }
}
