package dev.smartmq.testkit.rocketmq;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The embedded broker behaves like a real one for plain RocketMQ clients, including being stopped. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EmbeddedRocketMQIT {

    @RegisterExtension
    static final RocketMQExtension mq = RocketMQExtension.create();

    private static Message message(String topic, String body) {
        return new Message(topic, "TagA", body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    @Order(1)
    void sendAndReceiveThroughTheEmbeddedBroker() throws Exception {
        mq.rocketMQ().createTopic("testkit-roundtrip", 4);
        assertEquals(4, mq.rocketMQ().topicRoute("testkit-roundtrip").get(mq.rocketMQ().brokerName(0)));
        DefaultMQProducer producer = RocketMQClients.producer(mq.nameServerAddress(), 5000);
        Queue<String> inbox = RocketMQClients.newInbox();
        DefaultMQPushConsumer consumer = RocketMQClients.consumer(mq.nameServerAddress(), "testkit-roundtrip", inbox);
        try {
            for (int i = 0; i < 20; i++) {
                SendResult r = producer.send(message("testkit-roundtrip", "m" + i));
                assertEquals(SendStatus.SEND_OK, r.getSendStatus());
                assertEquals(mq.rocketMQ().brokerName(0), r.getMessageQueue().getBrokerName());
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(inbox).size() == 20);
            assertEquals(IntStream.range(0, 20).mapToObj(i -> "m" + i).collect(java.util.stream.Collectors.toSet()),
                    new HashSet<>(inbox));
        } finally {
            consumer.shutdown();
            producer.shutdown();
        }
    }

    /**
     * RocketMQ 5.5.0's broker thread {@code TransactionFlushService} busy-waits until its first metrics flush (10 s
     * by default; it only sleeps after a flush): a test broker would burn most of a core for its first 10 s after
     * every start. The testkit stops that service, so no such thread is alive once the broker runs.
     */
    @Test
    @Order(1)
    void noBusyWaitingTransactionMetricsThreadInATestBroker() {
        List<String> spinning = Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("TransactionFlushService")).toList();
        assertEquals(List.of(), spinning, "threads of the embedded broker");
    }

    @Test
    @Order(2)
    void stoppedBrokerFailsSendsFastAndRestartKeepsPortStoreAndMessages() throws Exception {
        EmbeddedRocketMQ rocketMQ = mq.rocketMQ();
        rocketMQ.createTopic("testkit-restart", 2);
        String brokerAddress = rocketMQ.brokerAddress();
        DefaultMQProducer producer = RocketMQClients.producer(mq.nameServerAddress(), 3000);
        try {
            for (int i = 0; i < 5; i++) {
                producer.send(message("testkit-restart", "before-" + i));
            }

            rocketMQ.stop();
            assertFalse(rocketMQ.isBrokerRunning(0));
            long start = System.nanoTime();
            assertThrows(Exception.class, () -> producer.send(message("testkit-restart", "while-down")));
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            // Connection refused: far quicker than the 3 s send timeout (loose bound, not a micro-timing).
            assertTrue(elapsed.compareTo(Duration.ofSeconds(3 + 2)) < 0, "send took " + elapsed);

            rocketMQ.startBroker();
            assertEquals(brokerAddress, rocketMQ.brokerAddress());
            // The same producer recovers once its connection and route are fresh again.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> producer.send(message("testkit-restart", "after-0")).getSendStatus()
                            == SendStatus.SEND_OK);
        } finally {
            producer.shutdown();
        }
        // The store survived: a new group reading from the first offset sees what was sent before the stop.
        Queue<String> inbox = RocketMQClients.newInbox();
        DefaultMQPushConsumer consumer = RocketMQClients.consumer(mq.nameServerAddress(), "testkit-restart", inbox);
        try {
            Set<String> expected = Set.of("before-0", "before-1", "before-2", "before-3", "before-4", "after-0");
            await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(inbox).containsAll(expected));
            assertFalse(inbox.contains("while-down"));
        } finally {
            consumer.shutdown();
        }
    }

    @Test
    @Order(3)
    void nameServerRestartsOnItsPortAndBrokersRegisterAgain() throws Exception {
        EmbeddedRocketMQ rocketMQ = mq.rocketMQ();
        rocketMQ.createTopic("testkit-ns", 1);
        rocketMQ.stopNameServer();
        assertFalse(rocketMQ.isNameServerRunning());
        assertThrows(IllegalStateException.class, () -> rocketMQ.createTopic("testkit-ns-2", 1));

        rocketMQ.startNameServer();
        // The broker re-registered its topics with the new, empty name server at once.
        assertEquals(1, rocketMQ.topicRoute("testkit-ns").get(rocketMQ.brokerName(0)));
        rocketMQ.createTopic("testkit-ns-2", 2);
        DefaultMQProducer producer = RocketMQClients.producer(mq.nameServerAddress(), 5000);
        try {
            for (String topic : List.of("testkit-ns", "testkit-ns-2")) {
                assertEquals(SendStatus.SEND_OK, producer.send(message(topic, "x")).getSendStatus());
            }
        } finally {
            producer.shutdown();
        }
    }
}
