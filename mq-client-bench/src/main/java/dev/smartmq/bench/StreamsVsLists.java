package dev.smartmq.bench;

import static dev.smartmq.bench.ProducerScenarios.side;

import dev.smartmq.api.Message;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.Envelope;
import dev.smartmq.testkit.redis.RedisServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.Jedis;

/**
 * streams-vs-lists (issue 19): the core operations of a Redis Streams layout ({@link StreamsPrototype}) side by
 * side with the list layout of {@link RedisFallbackStore} (through its public store API), same redis-server,
 * same encoded envelopes, same 128 shards, alternating rounds. Three lines; in each, {@code smartmq} is the
 * Streams figure and {@code baseline} the list store's, so a ratio above 1 means Streams is faster:
 * <ul>
 *   <li>{@code streams-append}: 8 threads of sync appends for one group — group-committed XADD vs the store's
 *   group-committed append script; with Redis memory per message (used_memory delta / messages);</li>
 *   <li>{@code streams-fanout}: the same for three groups — still one XADD (three consumer groups on the stream)
 *   vs the store's three copies;</li>
 *   <li>{@code streams-drain}: a preloaded backlog drained by 8 workers, each owning 16 shards —
 *   {@code XREADGROUP COUNT 16} over its 16 streams + pipelined {@code XACK}/{@code XDEL} vs the store's
 *   {@code claim(shard, 16)} + {@code ackAll}.</li>
 * </ul>
 * The list side enforces its backlog cap per message and keeps at-least-once in-flight copies; the Streams side
 * has no cap, no dead letters, no orphan recovery (see {@link StreamsPrototype}).
 */
final class StreamsVsLists {

    static final String TOPIC = "bench_streams";
    static final String NS = "bench-streams";

    private StreamsVsLists() {
    }

    static List<BenchLine> run(BenchEnvironment env, BenchOptions o) throws Exception {
        RedisServer redis = env.redis();
        RedisFallbackStore store = env.store(NS);
        int shards = store.shardCount();
        Message message = Message.builder(TOPIC).body(ProducerScenarios.body(o.bodySize())).build();
        List<String> one = List.of("g1");
        List<String> three = List.of("g1", "g2", "g3");
        List<BenchLine> lines = new ArrayList<>();
        try (StreamsPrototype s1 = new StreamsPrototype(redis, NS, TOPIC, shards, one,
                RedisFallbackStore.DEFAULT_WRITER_THREADS);
             StreamsPrototype s3 = new StreamsPrototype(redis, NS, TOPIC, shards, three,
                     RedisFallbackStore.DEFAULT_WRITER_THREADS)) {
            lines.add(append(env, o, "streams-append", s1, store, message, one));
            lines.add(append(env, o, "streams-fanout", s3, store, message, three));
            lines.add(drain(env, o, s1, store, message));
        }
        return lines;
    }

    private static Envelope envelope(Message m) {
        return new Envelope(UUID.randomUUID().toString(), m, System.currentTimeMillis(), 0);
    }

    private static BenchLine append(BenchEnvironment env, BenchOptions o, String name, StreamsPrototype streams,
                                    RedisFallbackStore store, Message message, List<String> groups) throws Exception {
        List<Double> memStreams = new ArrayList<>();
        List<Double> memLists = new ArrayList<>();
        AtomicLong next = new AtomicLong();
        Alternation.Side streamSide = side("streams-xadd", streams::createGroups, seconds -> measured(env, memStreams,
                () -> LoadGenerator.closedLoop(o.threads(), seconds, () -> streams.append(envelope(message),
                        (int) (next.getAndIncrement() % streams.shards())).join())));
        Alternation.Side listSide = side("lists-append", seconds -> measured(env, memLists,
                () -> LoadGenerator.closedLoop(o.threads(), seconds, () -> store.append(envelope(message), groups))));
        Alternation.Outcome out = Alternation.run(name, o, List.of(streamSide, listSide), env::flushRedis, env.cpu());
        out.printSummary(name);
        double ms = median(memStreams);
        double ml = median(memLists);
        System.out.printf(Locale.ROOT, "  %s Redis used_memory per message (%d groups): streams %.0f B, lists %.0f B%n",
                name, groups.size(), ms, ml);
        return out.line(name, 1).with("groups", groups.size())
                .with("streams_bytes_per_msg", String.format(Locale.ROOT, "%.0f", ms))
                .with("lists_bytes_per_msg", String.format(Locale.ROOT, "%.0f", ml))
                .with("errors", out.errors(0) + out.errors(1));
    }

    private static BenchLine drain(BenchEnvironment env, BenchOptions o, StreamsPrototype streams,
                                   RedisFallbackStore store, Message message) throws Exception {
        int batch = 16;
        long n = Math.max(10_000, Math.min(400_000, (long) (o.secondsPerRound() * 20_000)));
        Alternation.Side streamSide = side("streams-xreadgroup", () -> {
            streams.createGroups();
            List<CompletableFuture<Void>> window = new ArrayList<>();
            for (long i = 0; i < n; i++) {
                window.add(streams.append(envelope(message), (int) (i % streams.shards())));
                if (window.size() == 1024) {
                    CompletableFuture.allOf(window.toArray(new CompletableFuture[0])).join();
                    window.clear();
                }
            }
            CompletableFuture.allOf(window.toArray(new CompletableFuture[0])).join();
        }, seconds -> workers(o.threads(), streams.shards(), n, (t, mine) -> {
            try (Jedis jedis = env.redis().newClient()) {
                long done = 0;
                int k;
                while ((k = streams.claimAndAck(jedis, "g1", "c" + t, mine, batch)) > 0) {
                    done += k;
                }
                return done;
            }
        }));
        Alternation.Side listSide = side("lists-claim-ack", () -> RedisScenarios.preloadTopic(store, TOPIC, message, n,
                List.of("g1")), seconds -> workers(o.threads(), store.shardCount(), n, (t, mine) -> {
            long done = 0;
            boolean any = true;
            while (any) {
                any = false;
                for (int shard : mine) {
                    List<ClaimedMessage> claimed = store.claim(TOPIC, "g1", shard, "c" + t, batch);
                    if (!claimed.isEmpty()) {
                        store.ackAll(claimed);
                        done += claimed.size();
                        any = true;
                    }
                }
            }
            return done;
        }));
        Alternation.Outcome out = Alternation.run("streams-drain", o.withWarmupSeconds(0),
                List.of(streamSide, listSide), env::flushRedis, env.cpu());
        out.printSummary("streams-drain");
        return out.line("streams-drain", 1).with("messages", n).with("workers", o.threads()).with("batch", batch);
    }

    interface Worker {
        long drain(int index, int[] shards) throws Exception;
    }

    /** {@code threads} workers, worker t owning shards t, t + threads, ...; timed until all are done. */
    private static RoundResult workers(int threads, int shards, long expected, Worker worker) throws Exception {
        AtomicLong total = new AtomicLong();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < threads; t++) {
            int idx = t;
            List<Integer> own = new ArrayList<>();
            for (int s = t; s < shards; s += threads) {
                own.add(s);
            }
            int[] mine = own.stream().mapToInt(Integer::intValue).toArray();
            Thread th = new Thread(() -> {
                try {
                    go.await();
                    total.addAndGet(worker.drain(idx, mine));
                } catch (Exception e) {
                    errors.add(e);
                }
            }, "bench-drain-" + (t + 1));
            th.setDaemon(true);
            ts.add(th);
            th.start();
        }
        long t0 = System.nanoTime();
        go.countDown();
        for (Thread th : ts) {
            th.join();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        if (!errors.isEmpty()) {
            throw new IllegalStateException("drain worker failed", errors.get(0));
        }
        if (total.get() != expected) {
            System.out.println("  warning: drained " + total.get() + " of " + expected);
        }
        return RoundResult.external(total.get(), secs, Double.NaN);
    }

    /** Runs {@code round}, recording Redis used_memory after minus before, per operation, in {@code sink}. */
    private static RoundResult measured(BenchEnvironment env, List<Double> sink, ProducerScenarios.RoundFn0 round)
            throws Exception {
        long before = FanoutScenarios.usedMemory(env);
        RoundResult r = round.run();
        long after = FanoutScenarios.usedMemory(env);
        if (r.ops() > 0) {
            sink.add((double) (after - before) / r.ops());
        }
        return r;
    }

    private static double median(List<Double> values) {
        return Alternation.median(values.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
