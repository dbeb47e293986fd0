package dev.smartmq.bench;

import dev.smartmq.redis.internal.EnvelopeCodec;
import dev.smartmq.spi.Envelope;
import dev.smartmq.testkit.redis.RedisServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntryBinary;

/**
 * The smallest honest model of a Redis Streams layout for the fallback path, for measuring only (scenario
 * {@code streams-vs-lists}; not a {@code FallbackStore}): one stream per (topic, shard), key
 * {@code {ns:topic:shard}:stream} (hash tag per shard, as the list layout's keys), one Redis consumer group per
 * SmartMQ group created at offset 0; appends are group-committed like the list store's (writer threads, each
 * owning the shards {@code shard % writers}, send what their queue holds as one pipeline of {@code XADD}s, one per
 * message whatever the number of groups); a claim is one {@code XREADGROUP ... COUNT n STREAMS <a worker's
 * shards> > ...}, the ack is {@code XACK} + {@code XDEL} of the batch in one pipeline (Redis 7.0 has no XACKDEL;
 * with one group the entry can be deleted at once). What it does not do (and a store would have to): the
 * backlog cap, dead letters, XAUTOCLAIM of orphans, trimming with several groups, idempotency, Cluster.
 *
 * <p>Thread rules: {@link #append} from any thread; {@link #claimAndAck} from one thread per {@link Jedis}
 * connection (each worker its own); {@link #close} once.
 */
final class StreamsPrototype implements AutoCloseable {

    private static final byte[] FIELD = "v".getBytes(StandardCharsets.UTF_8);
    private static final int MAX_BATCH = 512;

    private record Pending(byte[] key, byte[] value, CompletableFuture<Void> done) {
    }

    private final RedisServer redis;
    private final byte[][] keys;
    private final List<String> groups;
    private final List<BlockingQueue<Pending>> queues = new ArrayList<>();
    private final List<Thread> writers = new ArrayList<>();
    private final List<Jedis> connections = new ArrayList<>();
    private volatile boolean closed;

    StreamsPrototype(RedisServer redis, String namespace, String topic, int shards, List<String> groups,
                     int writerThreads) {
        this.redis = redis;
        this.groups = List.copyOf(groups);
        this.keys = new byte[shards][];
        for (int s = 0; s < shards; s++) {
            keys[s] = ("{" + namespace + ":" + topic + ":" + s + "}:stream").getBytes(StandardCharsets.UTF_8);
        }
        for (int w = 0; w < writerThreads; w++) {
            BlockingQueue<Pending> q = new ArrayBlockingQueue<>(8192);
            Jedis jedis = redis.newClient();
            queues.add(q);
            connections.add(jedis);
            Thread t = new Thread(() -> write(q, jedis), "bench-streams-writer-" + (w + 1));
            t.setDaemon(true);
            writers.add(t);
            t.start();
        }
    }

    int shards() {
        return keys.length;
    }

    byte[] key(int shard) {
        return keys[shard];
    }

    /** Creates every shard's stream and consumer groups (after a FLUSHDB). */
    void createGroups() {
        try (Jedis j = redis.newClient()) {
            Pipeline p = j.pipelined();
            for (byte[] key : keys) {
                for (String g : groups) {
                    p.xgroupCreate(key, g.getBytes(StandardCharsets.UTF_8), "0".getBytes(StandardCharsets.UTF_8), true);
                }
            }
            p.sync();
        }
    }

    /** Group-committed XADD of the encoded envelope to {@code shard}'s stream. */
    CompletableFuture<Void> append(Envelope envelope, int shard) {
        Pending p = new Pending(keys[shard], EnvelopeCodec.encode(envelope), new CompletableFuture<>());
        try {
            if (!queues.get(shard % queues.size()).offer(p, 1, TimeUnit.SECONDS)) {
                p.done().completeExceptionally(new IllegalStateException("streams writer queue full"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.done().completeExceptionally(e);
        }
        return p.done();
    }

    private void write(BlockingQueue<Pending> q, Jedis jedis) {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        List<Response<byte[]>> replies = new ArrayList<>(MAX_BATCH);
        while (!closed) {
            try {
                Pending first = q.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                q.drainTo(batch, MAX_BATCH - 1);
                Pipeline p = jedis.pipelined();
                for (Pending e : batch) {
                    replies.add(p.xadd(e.key(), XAddParams.xAddParams(), Map.of(FIELD, e.value())));
                }
                p.sync();
                for (int i = 0; i < batch.size(); i++) {
                    try {
                        replies.get(i).get();
                        batch.get(i).done().complete(null);
                    } catch (RuntimeException e) {
                        batch.get(i).done().completeExceptionally(e);
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                batch.forEach(x -> x.done().completeExceptionally(e));
            } finally {
                batch.clear();
                replies.clear();
            }
        }
    }

    /**
     * One claim of up to {@code count} entries per stream of {@code shards} for {@code group}, decoded, then
     * XACK + XDEL of what came in one pipeline. Returns how many entries it handled (0: nothing left).
     */
    int claimAndAck(Jedis jedis, String group, String consumer, int[] shards, int count) {
        Map<byte[], StreamEntryID> streams = new LinkedHashMap<>();
        for (int s : shards) {
            streams.put(keys[s], StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY);
        }
        byte[] g = group.getBytes(StandardCharsets.UTF_8);
        List<Map.Entry<byte[], List<StreamEntryBinary>>> reply = jedis.xreadGroupBinary(g,
                consumer.getBytes(StandardCharsets.UTF_8), XReadGroupParams.xReadGroupParams().count(count), streams);
        if (reply == null || reply.isEmpty()) {
            return 0;
        }
        int n = 0;
        Pipeline p = jedis.pipelined();
        for (Map.Entry<byte[], List<StreamEntryBinary>> stream : reply) {
            List<StreamEntryBinary> entries = stream.getValue();
            if (entries.isEmpty()) {
                continue;
            }
            byte[][] ids = new byte[entries.size()][];
            for (int i = 0; i < ids.length; i++) {
                StreamEntryBinary e = entries.get(i);
                try {
                    EnvelopeCodec.decode(firstValue(e.getFields()));
                } catch (dev.smartmq.redis.internal.EnvelopeFormatException ex) {
                    throw new IllegalStateException("undecodable stream entry " + e.getID(), ex);
                }
                ids[i] = e.getID().toString().getBytes(StandardCharsets.UTF_8);
            }
            p.xack(stream.getKey(), g, ids);
            if (groups.size() == 1) {
                p.xdel(stream.getKey(), ids);
            }
            n += ids.length;
        }
        p.sync();
        return n;
    }

    /** Binary maps are keyed by array identity: find the value by content. */
    private static byte[] firstValue(Map<byte[], byte[]> fields) {
        for (Map.Entry<byte[], byte[]> f : fields.entrySet()) {
            if (java.util.Arrays.equals(f.getKey(), FIELD)) {
                return f.getValue();
            }
        }
        throw new IllegalStateException("stream entry without field v");
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : writers) {
            t.interrupt();
        }
        for (Thread t : writers) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        connections.forEach(Jedis::close);
    }
}
