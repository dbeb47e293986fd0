package dev.smartmq.chaos;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Message;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.Subscription;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.redis.RedisDeadLetters;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.spi.Envelope;
import dev.smartmq.testkit.redis.RedisServer;
import dev.smartmq.testkit.zookeeper.ZooKeeperServer;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 item 1, fallback path, for real: a consumer JVM claims a message, its idempotency guard is on, and
 * it is killed with SIGKILL inside its handler. Another consumer of the group (this JVM) must then handle the
 * message exactly once: the dead one's guard record must not make it look handled. Real redis-server and
 * ZooKeeper; the MQ is down for the whole test (not started).
 */
class ConsumerCrashIT {
    private static final String NAMESPACE = "crash";
    private static final String TOPIC = "orders";
    private static final String GROUP = "billing";

    private static RedisServer redis;
    private static ZooKeeperServer zooKeeper;
    private Process child;
    private SmartMQ survivor;
    private RedisFallbackStore sender;

    @BeforeAll
    static void servers() {
        redis = RedisServer.start();
        zooKeeper = ZooKeeperServer.start();
    }

    @AfterAll
    static void stopServers() {
        zooKeeper.close();
        redis.close();
    }

    @AfterEach
    void cleanUp() {
        if (child != null) {
            child.destroyForcibly();
        }
        if (survivor != null) {
            survivor.close();
        }
        if (sender != null) {
            sender.close();
        }
    }

    /** One consumer instance as a service would run it (used by this test and by {@link CrashingConsumer}). */
    static SmartMQ node(String zkConnect, int redisPort, String namespace) {
        ZkDegradationSwitch sw = ZkDegradationSwitch.builder()
                .connectString(zkConnect)
                .namespace(namespace)
                .sessionTimeout(Duration.ofSeconds(3))
                .connectionTimeout(Duration.ofSeconds(3))
                .operationTimeout(Duration.ofSeconds(2))
                .build();
        RedisFallbackStore store = RedisFallbackStore.builder()
                .standalone("127.0.0.1", redisPort)
                .namespace(namespace)
                .shards(4)
                .timeouts(Duration.ofSeconds(1), Duration.ofSeconds(1))
                .build();
        SmartMQConfig config = SmartMQConfig.custom()
                .namespace(namespace)
                .probeInterval(Duration.ofSeconds(1))
                .probeTimeout(Duration.ofMillis(500))
                .drainCheckInterval(Duration.ofMillis(100))
                .orphanReapInterval(Duration.ofMillis(200))
                .normalSweepInterval(Duration.ofMillis(100))
                .pollBackoffMin(Duration.ofMillis(10))
                .pollBackoffMax(Duration.ofMillis(100))
                .retryBackoffInitial(Duration.ofMillis(100))
                .retryBackoffMax(Duration.ofMillis(200))
                .shutdownTimeout(Duration.ofSeconds(2))
                .consumerThreads(1)
                .build();
        return SmartMQ.builder().config(config).transport(new MqDownTransport()).fallbackStore(store)
                .degradationSwitch(sw).idempotencyGuard(store.idempotencyGuard(), Duration.ofHours(1))
                .idempotencyLease(Duration.ofSeconds(2))
                .build();
    }

    @Test
    void aConsumerKilledInsideItsHandlerIsFollowedByExactlyOneSuccessfulHandlerCall() throws Exception {
        sender = RedisFallbackStore.builder().standalone("127.0.0.1", redis.port()).namespace(NAMESPACE).shards(4)
                .build();
        sender.start();
        String id = UUID.randomUUID().toString();
        sender.append(new Envelope(id, Message.builder(TOPIC).key("order-1").body("paid").build(),
                System.currentTimeMillis(), 0), List.of(GROUP));

        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        child = startChild(lines);
        List<String> output = new java.util.ArrayList<>();
        String line;
        do {
            line = lines.poll(30, TimeUnit.SECONDS);
            output.add(line);
        } while (line != null && !line.startsWith("HANDLING"));
        assertEquals("HANDLING " + id, line, "the child consumer entered its handler; its output: " + output);
        child.destroyForcibly(); // SIGKILL: no finally, no ack, no forget, no deregistration
        assertTrue(child.waitFor(10, TimeUnit.SECONDS), "child gone");

        AtomicInteger succeeded = new AtomicInteger();
        survivor = node(zooKeeper.connectString(), redis.port(), NAMESPACE);
        survivor.consumer().subscribe(Subscription.of(TOPIC, GROUP), m -> {
            if (m.id().equals(id)) {
                succeeded.incrementAndGet();
            }
            return ConsumeResult.SUCCESS;
        });
        // The dead consumer's claim comes back once its ZooKeeper session expires (3 s); the guard must let it in.
        await().atMost(Duration.ofSeconds(30)).until(() -> succeeded.get() >= 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> sender.backlog(TOPIC, GROUP) == 0);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> succeeded.get() == 1);
        assertEquals(0, RedisDeadLetters.of(sender).list(TOPIC, GROUP, 10).size(), "nothing dead-lettered");
    }

    private static Process startChild(BlockingQueue<String> lines) throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                CrashingConsumer.class.getName(), zooKeeper.connectString(), Integer.toString(redis.port()),
                NAMESPACE, TOPIC, GROUP);
        pb.redirectErrorStream(true);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p = pb.start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    lines.add(l);
                }
            } catch (java.io.IOException e) {
                lines.add("READ FAILED " + e);
            }
        }, "crash-child-reader");
        reader.setDaemon(true);
        reader.start();
        return p;
    }
}
