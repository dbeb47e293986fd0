package dev.smartmq.redis;

import static dev.smartmq.redis.Fixtures.envelope;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.smartmq.redis.internal.EnvelopeCodec;
import dev.smartmq.spi.Envelope;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.redis.RedisServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.JedisPooled;

/**
 * Figures for the report, not assertions on speed: append throughput with 8 producer threads through the
 * group-commit writer, against the naive loop of one RPUSH round trip per message. Off by default; run with
 * {@code -Dsmartmq.bench=true -Dit.test=AppendThroughputBenchIT}.
 */
@Tag("bench")
@EnabledIfSystemProperty(named = "smartmq.bench", matches = "true")
class AppendThroughputBenchIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static final int THREADS = 8;
    private static final int PER_THREAD = 5_000;

    @Test
    void groupCommitVersusOneRoundTripPerMessage() throws Exception {
        RedisServer server = redis.server();
        for (int writers : new int[] {1, 2}) {
            groupCommit(server, writers);
        }
        try (RedisFallbackStore store = RedisFallbackStore.builder().standalone(server.host(), server.port())
                .namespace("bench-async").build()) {
            store.start();
            long[] before = store.writerStats();
            run("group commit, 8 threads, appendAsync() windows of 256", () -> {
                List<java.util.concurrent.CompletableFuture<Void>> window = new ArrayList<>();
                for (int i = 0; i < 256; i++) {
                    window.add(store.appendAsync(envelope("bench", null,
                            "payload-of-some-64-bytes-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), List.of("g")));
                }
                window.forEach(java.util.concurrent.CompletableFuture::join);
            }, PER_THREAD / 256, 256);
            long[] after = store.writerStats();
            System.out.printf("  async used %d pipelines for %d appends (%.1f appends per round trip)%n",
                    after[1] - before[1], after[0] - before[0], (after[0] - before[0]) / (double) (after[1] - before[1]));
        }
        try (JedisPooled naive = new JedisPooled(server.hostAndPort(), server.clientConfig(2000))) {
            byte[] key = "naive:q".getBytes();
            run("naive RPUSH per message, 8 threads", () -> {
                Envelope e = envelope("bench", null, "payload-of-some-64-bytes-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
                naive.rpush(key, EnvelopeCodec.encode(e));
            }, PER_THREAD);
            assertEquals(THREADS * PER_THREAD, naive.llen(key));
            naive.del(key);
            run("naive RPUSH per message, 1 thread", () -> {
                Envelope e = envelope("bench", null, "payload-of-some-64-bytes-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
                naive.rpush(key, EnvelopeCodec.encode(e));
            }, PER_THREAD, 1, 1);
        }
    }

    private static void groupCommit(RedisServer server, int writers) throws Exception {
        try (RedisFallbackStore store = RedisFallbackStore.builder().standalone(server.host(), server.port())
                .namespace("bench" + writers).writerThreads(writers).build()) {
            store.start();
            run("warm-up", () -> store.append(envelope("warm", null, "x"), List.of("g")), 500);
            long[] before = store.writerStats();
            run("group commit, " + writers + " writer thread(s), 8 producer threads, sync append()",
                    () -> store.append(envelope("bench", null, "payload-of-some-64-bytes-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
                            List.of("g")), PER_THREAD);
            long[] after = store.writerStats();
            System.out.printf("  group commit used %d pipelines for %d appends (%.1f appends per round trip)%n",
                    after[1] - before[1], after[0] - before[0], (after[0] - before[0]) / (double) (after[1] - before[1]));
            assertEquals(THREADS * PER_THREAD, store.backlog("bench", "g"));
        }
    }

    private static double run(String name, Runnable op, int perThread) throws Exception {
        return run(name, op, perThread, 1, THREADS);
    }

    private static double run(String name, Runnable op, int perThread, int appendsPerOp) throws Exception {
        return run(name, op, perThread, appendsPerOp, THREADS);
    }

    private static double run(String name, Runnable op, int perThread, int appendsPerOp, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long start = System.nanoTime();
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            done.add(pool.submit(() -> {
                for (int i = 0; i < perThread; i++) {
                    op.run();
                }
            }));
        }
        for (Future<?> f : done) {
            f.get(300, TimeUnit.SECONDS);
        }
        pool.shutdown();
        double seconds = (System.nanoTime() - start) / 1e9;
        long count = (long) threads * perThread * appendsPerOp;
        double rate = count / seconds;
        System.out.printf("%s: %d appends in %.2f s = %.0f appends/s%n", name, count, seconds, rate);
        return rate;
    }
}
