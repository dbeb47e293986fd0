package dev.smartmq.bench;

import static dev.smartmq.bench.BenchEnvironment.TOPIC;
import static dev.smartmq.bench.ProducerScenarios.side;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Message;
import dev.smartmq.api.Route;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.Subscription;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.bench.BenchEnvironment.SmartClient;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.redis.internal.KeyLayout;
import dev.smartmq.spi.Envelope;
import dev.smartmq.testkit.redis.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ListDirection;
import redis.clients.jedis.util.KeyValue;

/** degraded-vs-redis (SmartMQ in DEGRADED against redis-benchmark) and drain (claim/ack against raw LMPOP). */
final class RedisScenarios {

    static final String DRAIN_TOPIC = "bench_drain";
    static final String DRAIN_GROUP = "bench_drain_group";

    private RedisScenarios() {
    }

    // ------------------------------------------------------------------------------------ degraded-vs-redis

    static List<BenchLine> degradedVsRedis(BenchEnvironment env, BenchOptions o) throws Exception {
        byte[] body = ProducerScenarios.body(o.bodySize());
        SmartClient smart = ProducerScenarios.degradedClient(env, "bench-degraded-vs-redis");
        RedisServer redis = env.redis();
        RedisBenchmarkTool tool = new RedisBenchmarkTool();
        ProducerScenarios.RouteCounter routes = new ProducerScenarios.RouteCounter();
        Alternation.Side smartSide = ProducerScenarios.smartSync(smart.mq().producer(), body, o.threads(), routes);
        Alternation.Side plain = redisBenchmark(tool, redis, o, 1, 20_000);
        Alternation.Side pipelined = redisBenchmark(tool, redis, o, 100, 200_000);
        System.out.printf("  degraded-vs-redis baseline: %s -t lpush -d %d -c %d (then -P 100), same redis-server%n",
                tool.binary(), o.bodySize(), o.threads());
        Alternation.Outcome out = Alternation.run("degraded-vs-redis", o, List.of(smartSide, plain, pipelined),
                env::flushRedis, env.cpu());
        out.printSummary("degraded-vs-redis");
        System.out.printf(Locale.ROOT, "  degraded-vs-redis redis-benchmark p99 %.2f ms (-P 100: %.2f ms), SmartMQ p99 %.2f ms%n",
                out.p99Millis(1), out.p99Millis(2), out.p99Millis(0));
        System.out.printf(Locale.ROOT, "  degraded-vs-redis physical limit (-P 100): %,.0f LPUSH/s; SmartMQ reaches %.1f%% of it%n",
                out.medianOps(2), 100 * out.medianRatio(0, 2));
        BenchLine main = out.line("degraded-vs-redis", 1)
                .with("baseline_p99_ms", String.format(Locale.ROOT, "%.2f", out.p99Millis(1)))
                .with("clients", o.threads())
                .with("errors", out.errors(0));
        BenchLine ceiling = out.line("degraded-vs-redis-pipelined", 2)
                .with("baseline_p99_ms", String.format(Locale.ROOT, "%.2f", out.p99Millis(2)))
                .with("pipeline", 100);
        return List.of(main, ceiling);
    }

    private static Alternation.Side redisBenchmark(RedisBenchmarkTool tool, RedisServer redis, BenchOptions o,
                                                   int pipeline, long firstRequests) {
        double[] lastRps = {0};
        String label = pipeline > 1 ? "redis-benchmark-P" + pipeline : "redis-benchmark";
        return side(label, seconds -> {
            // Sized from the previous run so a round lasts about `seconds`.
            long n = lastRps[0] > 0 ? Math.max(5_000, (long) (lastRps[0] * seconds)) : firstRequests;
            RedisBenchmarkTool.Run run = tool.lpush(redis.host(), redis.port(), o.threads(), n, o.bodySize(), pipeline);
            lastRps[0] = run.rps();
            return RoundResult.external(n, n / run.rps(), run.p99Millis());
        });
    }

    // ------------------------------------------------------------------------------------------------ drain

    static BenchLine drain(BenchEnvironment env, BenchOptions o) throws Exception {
        return drain(env, o, "drain", "bench-drain", List.of(DRAIN_GROUP));
    }

    /**
     * drain-3-groups: the drain with the backlog appended for three groups of the topic (every message stored
     * once per group) and one SmartMQ consumer subscribed to all three; the baseline pops the same 3 x 128
     * lists. Counted in deliveries (messages x groups) on both sides.
     */
    static BenchLine drain3Groups(BenchEnvironment env, BenchOptions o) throws Exception {
        return drain(env, o, "drain-3-groups", "bench-drain-3",
                List.of(DRAIN_GROUP, DRAIN_GROUP + "_2", DRAIN_GROUP + "_3"));
    }

    private static BenchLine drain(BenchEnvironment env, BenchOptions o, String name, String ns, List<String> groups)
            throws Exception {
        byte[] body = ProducerScenarios.body(o.bodySize());
        env.rocketMQ().createTopic(DRAIN_TOPIC, 1);
        SmartClient smart = env.smartMQ(ns, SmartMQConfig.custom().consumerThreads(o.threads()));
        BenchEnvironment.force(env.operator(ns), SwitchState.DEGRADED, SwitchMode.MANUAL);
        BenchEnvironment.await("SmartMQ to route DEGRADED", Duration.ofSeconds(30),
                () -> smart.mq().effectiveState() == SwitchState.DEGRADED);
        RedisFallbackStore loader = env.store(ns);
        int batch = smart.mq().config().claimBatchSize();
        KeyLayout layout = new KeyLayout(ns, loader.shardCount());
        List<byte[]> queues = new ArrayList<>();
        for (String g : groups) {
            for (int s = 0; s < loader.shardCount(); s++) {
                queues.add(layout.shard(DRAIN_TOPIC, g, s).queue());
            }
        }
        Message message = Message.builder(DRAIN_TOPIC).body(body).build();
        // messages appended per round; deliveries = messages x groups
        long[] backlog = {Math.max(5_000, 20_000 / groups.size())};

        Alternation.Between refill = () -> {
            env.flushRedis();
            preload(loader, message, backlog[0], groups);
        };
        Alternation.Side smartSide = side("smartmq-claim-ack", refill,
                seconds -> smartDrain(smart, loader, groups, backlog[0], seconds));
        Alternation.Side rawSide = side("raw-lmpop", refill,
                seconds -> rawDrain(env.redis(), queues, o.threads(), batch, backlog[0] * groups.size()));
        // Warm-up sizes the backlog: as many messages as SmartMQ drains in one round.
        if (o.warmupSeconds() > 0) {
            smartSide.prepare();
            RoundResult w = smartSide.run(o.warmupSeconds());
            System.out.printf(Locale.ROOT, "  %s warm-up %-20s %s%n", name, smartSide.label(), w.summary());
            backlog[0] = Math.max(5_000, Math.min(2_000_000,
                    (long) (w.opsPerSecond() * o.secondsPerRound() / groups.size())));
            rawSide.prepare();
            RoundResult wr = rawSide.run(o.warmupSeconds());
            System.out.printf(Locale.ROOT, "  %s warm-up %-20s %s%n", name, rawSide.label(), wr.summary());
        }
        System.out.printf("  %s backlog per round: %,d messages of %d bytes x %d groups over %d shards; %d SmartMQ "
                        + "workers (claim batch %d) vs %d raw LMPOP threads (COUNT %d)%n", name, backlog[0],
                o.bodySize(), groups.size(), loader.shardCount(), o.threads(), batch, o.threads(), batch);
        Alternation.Outcome out = Alternation.run(name, o.withWarmupSeconds(0),
                List.of(smartSide, rawSide), env::flushRedis, env.cpu());
        out.printSummary(name);
        return out.line(name, 1).with("messages", backlog[0]).with("groups", groups.size())
                .with("workers", o.threads()).with("batch", batch);
    }

    /** Appends {@code n} messages to the drain group's shards (keyless: round robin over every shard). */
    static void preload(RedisFallbackStore store, Message message, long n) {
        preload(store, message, n, List.of(DRAIN_GROUP));
    }

    /** Appends {@code n} messages for {@code groups} (keyless: round robin over every shard). */
    static void preload(RedisFallbackStore store, Message message, long n, List<String> groups) {
        preloadTopic(store, DRAIN_TOPIC, message, n, groups);
    }

    /** Appends {@code n} messages of {@code topic} for {@code groups} and checks every group's backlog. */
    static void preloadTopic(RedisFallbackStore store, String topic, Message message, long n, List<String> groups) {
        List<CompletableFuture<Void>> window = new ArrayList<>(1024);
        for (long i = 0; i < n; i++) {
            window.add(store.appendAsync(new Envelope(UUID.randomUUID().toString(), message,
                    System.currentTimeMillis(), 0), groups));
            if (window.size() == 1024) {
                CompletableFuture.allOf(window.toArray(new CompletableFuture[0])).join();
                window.clear();
            }
        }
        CompletableFuture.allOf(window.toArray(new CompletableFuture[0])).join();
        for (String g : groups) {
            long queued = store.backlog(topic, g);
            if (queued != n) {
                throw new IllegalStateException("preloaded " + n + " messages but the backlog of " + g + " is " + queued);
            }
        }
    }

    /**
     * Subscribes every group, times from the first to the last fallback delivery (n per group), unsubscribes and
     * checks that every group's backlog (queued + in flight) is zero, i.e. every message was acknowledged.
     */
    private static RoundResult smartDrain(SmartClient smart, RedisFallbackStore probe, List<String> groups, long n,
                                          double seconds) throws Exception {
        long total = n * groups.size();
        AtomicLong handled = new AtomicLong();
        long[] first = {0};
        long[] last = {0};
        CountDownLatch done = new CountDownLatch(1);
        for (String g : groups) {
            smart.mq().consumer().subscribe(Subscription.of(DRAIN_TOPIC, g), m -> {
                if (m.route() != Route.FALLBACK) {
                    return ConsumeResult.SUCCESS;
                }
                long c = handled.incrementAndGet();
                if (c == 1) {
                    first[0] = System.nanoTime();
                }
                if (c == total) {
                    last[0] = System.nanoTime();
                    done.countDown();
                }
                return ConsumeResult.SUCCESS;
            });
        }
        try {
            long timeout = (long) Math.max(120, seconds * 30);
            if (!done.await(timeout, TimeUnit.SECONDS)) {
                throw new IllegalStateException("SmartMQ drained only " + handled.get() + " of " + total + " in "
                        + timeout + " s");
            }
        } finally {
            for (String g : groups) {
                smart.mq().consumer().unsubscribe(DRAIN_TOPIC, g);
            }
        }
        for (String g : groups) {
            long left = -1;
            for (int i = 0; i < 100 && (left = probe.backlog(DRAIN_TOPIC, g)) != 0; i++) {
                TimeUnit.MILLISECONDS.sleep(100);
            }
            if (left != 0) {
                System.out.println("  warning: backlog of " + g + " after the SmartMQ drain is " + left + " (expected 0)");
            }
        }
        double secs = (last[0] - first[0]) / 1e9;
        return RoundResult.external(total, secs, Double.NaN);
    }

    /** {@code threads} connections pop with {@code LMPOP <128 keys> LEFT COUNT batch} until every shard is empty. */
    private static RoundResult rawDrain(RedisServer redis, List<byte[]> queues, int threads, int batch, long n)
            throws InterruptedException {
        AtomicLong popped = new AtomicLong();
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        List<Jedis> clients = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            // Each thread starts its key list at another shard, so the threads do not all pop one list.
            List<byte[]> rotated = new ArrayList<>(queues);
            java.util.Collections.rotate(rotated, -t * queues.size() / threads);
            byte[][] keys = rotated.toArray(new byte[0][]);
            Jedis jedis = redis.newClient();
            clients.add(jedis);
            Thread th = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                long mine = 0;
                while (true) {
                    KeyValue<byte[], List<byte[]>> kv = jedis.lmpop(ListDirection.LEFT, batch, keys);
                    if (kv == null) {
                        break;
                    }
                    mine += kv.getValue().size();
                }
                popped.addAndGet(mine);
            }, "bench-lmpop-" + (t + 1));
            th.setDaemon(true);
            workers.add(th);
            th.start();
        }
        ready.await();
        long t0 = System.nanoTime();
        go.countDown();
        for (Thread th : workers) {
            th.join();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        clients.forEach(Jedis::close);
        if (popped.get() != n) {
            System.out.println("  warning: raw LMPOP popped " + popped.get() + " of " + n);
        }
        return RoundResult.external(popped.get(), secs, Double.NaN);
    }
}
