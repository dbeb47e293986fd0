package dev.smartmq.testkit.rocketmq;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.stream.Stream;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.junit.jupiter.api.Test;

/**
 * {@link ForkedRocketMQ}: name server and broker in their own JVMs; kill -9 and restart on the same port and
 * store (messages sent before the kill are still consumed after it), SIGSTOP / SIGCONT, proxy in front of the
 * broker, and no child JVM left after close.
 */
class ForkedRocketMQIT {

    @Test
    void brokerInItsOwnJvmSurvivesKillNineAndPause() throws Exception {
        ForkedRocketMQ mq = ForkedRocketMQ.builder().withBrokerProxy().build();
        DefaultMQProducer producer = null;
        DefaultMQPushConsumer consumer = null;
        long brokerPid;
        long nameServerPid;
        try {
            mq.start();
            brokerPid = mq.brokerProcess(0).pid();
            nameServerPid = mq.nameServerProcess().pid();
            assertNotEquals(ProcessHandle.current().pid(), brokerPid);
            assertEquals(List.of(), threadsNamed(brokerPid, "TransactionFlus"),
                    "the forked broker runs no busy-waiting TransactionFlushService (see EmbeddedRocketMQIT)");
            mq.createTopic("forked", 2);
            producer = RocketMQClients.producer(mq.nameServerAddress(), 3_000);
            for (int i = 0; i < 10; i++) {
                Message m = new Message("forked", ("before-" + i).getBytes(StandardCharsets.UTF_8));
                assertEquals(SendStatus.SEND_OK, producer.send(m).getSendStatus());
            }
            assertTrue(mq.brokerProxy(0).bytesForwarded() > 0, "clients go through the proxy");

            mq.killBroker(0);
            assertFalse(mq.isBrokerRunning(0));
            DefaultMQProducer p = producer;
            assertThrows(Exception.class, () -> p.send(new Message("forked", "dead".getBytes(StandardCharsets.UTF_8))));

            mq.startBroker(0);
            assertNotEquals(brokerPid, mq.brokerProcess(0).pid(), "a new JVM");
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
                    p.send(new Message("forked", "after".getBytes(StandardCharsets.UTF_8))).getSendStatus()
                            == SendStatus.SEND_OK);

            Queue<String> inbox = RocketMQClients.newInbox();
            consumer = RocketMQClients.consumer(mq.nameServerAddress(), "forked", inbox);
            await("messages sent before the kill -9, from the same store").atMost(Duration.ofSeconds(60))
                    .until(() -> inbox.stream().filter(s -> s.startsWith("before-")).distinct().count() == 10);

            mq.pauseBroker(0);
            assertTrue(mq.isBrokerPaused(0));
            mq.resumeBroker(0);
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
                    p.send(new Message("forked", "resumed".getBytes(StandardCharsets.UTF_8))).getSendStatus()
                            == SendStatus.SEND_OK);
        } finally {
            if (consumer != null) {
                consumer.shutdown();
            }
            if (producer != null) {
                producer.shutdown();
            }
            mq.close();
        }
        assertFalse(ProcessHandle.of(brokerPid).map(ProcessHandle::isAlive).orElse(false));
        assertFalse(mq.brokerProcess(0).isAlive(), "no broker JVM left");
        assertFalse(ProcessHandle.of(nameServerPid).map(ProcessHandle::isAlive).orElse(false), "no name server left");
    }

    /** Threads of process {@code pid} whose name (Linux {@code comm}, 15 characters) starts with {@code prefix}. */
    private static List<String> threadsNamed(long pid, String prefix) throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            List<String> names = new ArrayList<>();
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String comm = Files.readString(t.resolve("comm")).trim();
                    if (comm.startsWith(prefix)) {
                        names.add(comm);
                    }
                } catch (NoSuchFileException gone) {
                    // the thread ended while we listed
                }
            }
            return names;
        }
    }
}
