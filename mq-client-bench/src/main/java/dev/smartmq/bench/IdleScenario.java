package dev.smartmq.bench;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Message;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.Subscription;
import dev.smartmq.bench.BenchEnvironment.SmartClient;
import dev.smartmq.testkit.redis.RedisServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import redis.clients.jedis.Jedis;

/**
 * idle: Redis commands per second of one idle SmartMQ instance (one producer, one consumer subscribed to one
 * topic, 128 empty shards, NORMAL, default settings), measured by {@code INFO commandstats} delta over the
 * window (every command, including those a Lua script runs), split by a {@code MONITOR} connection into
 * commands the client sent and commands run inside scripts. Then the heap the SDK holds: used heap after
 * GC with the idle instance, minus used heap after GC before it was built — and the same for a raw RocketMQ
 * producer + push consumer.
 */
final class IdleScenario {

    static final String TOPIC = "bench_idle";
    static final String GROUP = "bench_idle_group";
    /** The target of the idle scenario, in Redis commands per second. */
    static final double TARGET_COMMANDS_PER_SECOND = 20;

    private IdleScenario() {
    }

    static BenchLine run(BenchEnvironment env, BenchOptions o) throws Exception {
        env.rocketMQ().createTopic(TOPIC, 4);
        RedisServer redis = env.redis();
        byte[] body = ProducerScenarios.body(o.bodySize());
        long heapBefore = usedHeapAfterGc();
        int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();

        SmartClient smart = env.smartMQ("bench-idle", SmartMQConfig.custom());
        AtomicLong received = new AtomicLong();
        long subscribed = System.nanoTime();
        smart.mq().consumer().subscribe(Subscription.of(TOPIC, GROUP), m -> {
            received.incrementAndGet();
            return ConsumeResult.SUCCESS;
        });
        warmUp(() -> smart.mq().producer().send(Message.builder(TOPIC).body(body).build()), received);
        // Past the burst of the subscription (adopt + first sweep of every shard): steady state only.
        long settle = smart.mq().config().normalSweepInterval().toNanos() + TimeUnit.SECONDS.toNanos(2);
        long wait = subscribed + settle - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }

        Map<String, Long> before;
        Map<String, Long> after;
        long t0;
        long t1;
        try (Jedis info = redis.newClient(); Monitor monitor = new Monitor(redis)) {
            before = commandStats(info);
            t0 = System.nanoTime();
            monitor.start();
            TimeUnit.SECONDS.sleep(o.idleSeconds());
            after = commandStats(info);
            t1 = System.nanoTime();
            monitor.close();
            double secs = (t1 - t0) / 1e9;
            long total = 0;
            Map<String, Long> delta = new TreeMap<>();
            for (Map.Entry<String, Long> e : after.entrySet()) {
                long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
                // The measurement's own commands.
                if (d > 0 && !e.getKey().equals("info") && !e.getKey().equals("monitor")) {
                    delta.put(e.getKey(), d);
                    total += d;
                }
            }
            double perSecond = total / secs;
            double clientPerSecond = monitor.client.get() / secs;
            double scriptPerSecond = monitor.script.get() / secs;
            long heapSdk = usedHeapAfterGc() - heapBefore;
            int threadsSdk = ManagementFactory.getThreadMXBean().getThreadCount() - threadsBefore;
            long heapRaw = rawHeap(env, body);
            System.out.printf(Locale.ROOT, "  idle window %.1f s: %d Redis commands = %.1f/s (commandstats; target <= %.0f/s)%n",
                    secs, total, perSecond, TARGET_COMMANDS_PER_SECOND);
            System.out.printf(Locale.ROOT, "  idle by command (commandstats delta): %s%n", delta);
            System.out.printf(Locale.ROOT, "  idle MONITOR: %.1f/s sent by clients %s, %.1f/s run inside scripts %s%n",
                    clientPerSecond, monitor.clientByCommand, scriptPerSecond, monitor.scriptByCommand);
            System.out.printf(Locale.ROOT, "  idle heap after GC: SmartMQ producer+consumer %.1f MB (%d threads), raw "
                    + "RocketMQ producer+push consumer %.1f MB%n", heapSdk / 1e6, threadsSdk, heapRaw / 1e6);
            return new BenchLine("idle", perSecond, TARGET_COMMANDS_PER_SECOND,
                    perSecond / TARGET_COMMANDS_PER_SECOND, 0, Map.of())
                    .with("client_cmds_per_s", String.format(Locale.ROOT, "%.1f", clientPerSecond))
                    .with("script_cmds_per_s", String.format(Locale.ROOT, "%.1f", scriptPerSecond))
                    .with("window_s", Math.round(secs))
                    .with("heap_mb", String.format(Locale.ROOT, "%.1f", heapSdk / 1e6))
                    .with("sdk_threads", threadsSdk)
                    .with("raw_rocketmq_heap_mb", String.format(Locale.ROOT, "%.1f", heapRaw / 1e6));
        }
    }

    /** Sends until the consumer got one message (its first rebalance is done), then 1,000 more. */
    private static void warmUp(LoadGenerator.SyncOp send, AtomicLong received) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (received.get() == 0 && System.nanoTime() - deadline < 0) {
            send.call();
            TimeUnit.MILLISECONDS.sleep(50);
        }
        long target = received.get() + 1000;
        for (int i = 0; i < 1000; i++) {
            send.call();
        }
        while (received.get() < target && System.nanoTime() - deadline < 0) {
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    private static long rawHeap(BenchEnvironment env, byte[] body) throws Exception {
        long before = usedHeapAfterGc();
        DefaultMQProducer producer = env.rawProducer("idle");
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer("bench-raw-idle-consumer");
        consumer.setNamesrvAddr(env.rocketMQ().nameServerAddress());
        consumer.setInstanceName("bench-raw-idle-" + UUID.randomUUID().toString().substring(0, 8));
        consumer.setVipChannelEnabled(false);
        consumer.subscribe(TOPIC, "*");
        AtomicLong received = new AtomicLong();
        consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            received.addAndGet(msgs.size());
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        try {
            warmUp(() -> producer.send(new org.apache.rocketmq.common.message.Message(TOPIC, body)), received);
            TimeUnit.SECONDS.sleep(2);
            return usedHeapAfterGc() - before;
        } finally {
            consumer.shutdown();
        }
    }

    /** Used heap after a few full collections (the embedded servers share this heap: it is a delta, roughly). */
    static long usedHeapAfterGc() throws InterruptedException {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            TimeUnit.MILLISECONDS.sleep(200);
            min = Math.min(min, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return min;
    }

    /** {@code INFO commandstats} as command → calls. */
    static Map<String, Long> commandStats(Jedis jedis) {
        return parseCommandStats(jedis.info("commandstats"));
    }

    static Map<String, Long> parseCommandStats(String info) {
        Map<String, Long> calls = new TreeMap<>();
        for (String line : info.split("\\R")) {
            if (!line.startsWith("cmdstat_")) {
                continue;
            }
            int colon = line.indexOf(':');
            String name = line.substring("cmdstat_".length(), colon);
            for (String kv : line.substring(colon + 1).split(",")) {
                if (kv.startsWith("calls=")) {
                    calls.put(name, Long.parseLong(kv.substring("calls=".length()).trim()));
                }
            }
        }
        return calls;
    }

    /**
     * A {@code MONITOR} connection that counts commands by source: lines of {@code [db lua]} ran inside a
     * script, the others came from a client. Closing it ends the connection.
     */
    static final class Monitor implements AutoCloseable {
        final AtomicLong client = new AtomicLong();
        final AtomicLong script = new AtomicLong();
        final Map<String, AtomicLong> clientByCommand = new ConcurrentHashMap<>();
        final Map<String, AtomicLong> scriptByCommand = new ConcurrentHashMap<>();
        private final Socket socket;
        private final Thread reader;
        private volatile boolean counting;

        Monitor(RedisServer redis) throws IOException {
            socket = new Socket(redis.host(), redis.port());
            OutputStream out = socket.getOutputStream();
            if (redis.password() != null) {
                out.write(("AUTH " + redis.password() + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            out.write("MONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            reader = new Thread(() -> {
                try {
                    String line;
                    while ((line = in.readLine()) != null) {
                        if (counting) {
                            count(line);
                        }
                    }
                } catch (IOException e) {
                    // closed: the window is over
                }
            }, "bench-redis-monitor");
            reader.setDaemon(true);
            reader.start();
        }

        void start() {
            counting = true;
        }

        void count(String line) {
            int open = line.indexOf('[');
            int close = line.indexOf(']', open + 1);
            if (open < 0 || close < 0) {
                return;
            }
            String source = line.substring(open + 1, close);
            int q1 = line.indexOf('"', close);
            int q2 = q1 < 0 ? -1 : line.indexOf('"', q1 + 1);
            String cmd = q2 < 0 ? "?" : line.substring(q1 + 1, q2).toLowerCase(Locale.ROOT);
            if (cmd.equals("info")) {
                return;
            }
            boolean lua = source.endsWith(" lua");
            (lua ? script : client).incrementAndGet();
            (lua ? scriptByCommand : clientByCommand).computeIfAbsent(cmd, k -> new AtomicLong()).incrementAndGet();
        }

        @Override
        public void close() throws IOException {
            counting = false;
            socket.close();
        }
    }
}
