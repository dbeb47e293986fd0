package dev.smartmq.chaos.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.testkit.WorkDirs;
import dev.smartmq.testkit.process.JvmProcess;
import dev.smartmq.testkit.redis.RedisServer;
import dev.smartmq.testkit.rocketmq.EmbeddedRocketMQ;
import dev.smartmq.testkit.rocketmq.ForkedRocketMQ;
import dev.smartmq.testkit.zookeeper.ZooKeeperServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Regression test of the defect {@link KnownDefects#ORDERED_CONSUMER_THREAD_LEAK}, found by the campaign (seeds
 * 20261201, 7, 99 on today's main): a client process whose SmartMQ subscription is ORDERED does not exit after
 * {@code SmartMQ.close()} — RocketMQ's non-daemon {@code ConsumeMessageScheduledThread_1} is still alive. The plain
 * subscription is the control: the same process exits.
 */
class OrderedConsumerCloseIT {

    private static EmbeddedRocketMQ rocketMQ;
    private static RedisServer redis;
    private static ZooKeeperServer zooKeeper;

    @BeforeAll
    static void servers() {
        rocketMQ = EmbeddedRocketMQ.create();
        rocketMQ.start();
        redis = RedisServer.start();
        zooKeeper = ZooKeeperServer.start();
    }

    @AfterAll
    static void close() {
        zooKeeper.close();
        redis.close();
        rocketMQ.close();
    }

    @Test
    void anOrderedConsumerProcessExitsAfterClose() throws Exception {
        assertExitsAfterClose(true);
    }

    @Test
    void aPlainConsumerProcessExitsAfterClose() throws Exception {
        assertExitsAfterClose(false);
    }

    private static void assertExitsAfterClose(boolean ordered) throws Exception {
        Path dir = WorkDirs.create("ordered-close");
        String suffix = UUID.randomUUID().toString().substring(0, 6);
        String topic = "CLOSE_" + suffix;
        rocketMQ.createTopic(topic, 4);
        ClientSpec spec = new ClientSpec("c", "consumer", dir.resolve("c.history").toString(),
                rocketMQ.nameServerAddress(), redis.host() + ":" + redis.port(), zooKeeper.connectString(),
                "close-" + suffix, topic, "-", 60, ordered ? "g-ordered" : "g-plain", ordered, 0, 0);
        JvmProcess p = JvmProcess.builder(ClientMain.class.getName()).name("consumer").heap("192m")
                .systemProperties(ForkedRocketMQ.clientSystemProperties(dir.resolve("logs")))
                .systemProperties(spec.toSystemProperties()).logFile(dir.resolve("c.log")).build();
        try {
            p.start();
            p.awaitCondition("ready", Duration.ofSeconds(90), () -> p.logContains(ClientFleet.READY));
            assertTrue(p.stop(Duration.ofSeconds(30)), "the process exited within 30 s of the stop command");
            String history = Files.readString(dir.resolve("c.history"), StandardCharsets.UTF_8);
            assertTrue(history.contains("CLOSED"), history);
            assertTrue(!history.contains("LEFT_BEHIND"), "non-daemon threads left after SmartMQ.close():\n" + history);
            assertEquals(0, p.exitValue(), "exit code (3: the left-behind watchdog halted it)");
        } finally {
            p.close();
        }
    }
}
