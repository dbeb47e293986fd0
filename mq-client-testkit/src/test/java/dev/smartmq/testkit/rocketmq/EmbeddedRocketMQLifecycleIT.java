package dev.smartmq.testkit.rocketmq;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.testkit.FreePorts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.junit.jupiter.api.Test;

/** Start/close of whole instances (not shared: each test owns its instance). */
class EmbeddedRocketMQLifecycleIT {

    private static Set<Thread> nonDaemonThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && !t.isDaemon())
                .collect(Collectors.toSet());
    }

    private static String describe(Thread t) {
        return t.getName() + java.util.Arrays.stream(t.getStackTrace()).limit(12)
                .map(f -> "\n    at " + f).collect(Collectors.joining());
    }

    @Test
    void closeLeavesNoServerThreadPortOrFileBehind() throws Exception {
        Set<Thread> before = nonDaemonThreads();
        EmbeddedRocketMQ rocketMQ = EmbeddedRocketMQ.create();
        rocketMQ.start();
        rocketMQ.createTopic("testkit-lifecycle", 1);
        DefaultMQProducer producer = RocketMQClients.producer(rocketMQ.nameServerAddress(), 5000);
        SendResult result = producer.send(new Message("testkit-lifecycle", "x".getBytes(StandardCharsets.UTF_8)));
        assertEquals(SendStatus.SEND_OK, result.getSendStatus());
        producer.shutdown();
        assertTrue(nonDaemonThreads().size() > before.size(), "a running broker has non-daemon threads");

        int nameServerPort = Integer.parseInt(rocketMQ.nameServerAddress().split(":")[1]);
        int brokerPort = Integer.parseInt(rocketMQ.brokerAddress().split(":")[1]);
        rocketMQ.close();
        rocketMQ.close(); // idempotent

        assertTrue(FreePorts.isFree(nameServerPort));
        assertTrue(FreePorts.isFree(brokerPort));
        assertFalse(Files.exists(rocketMQ.workDirectory()));
        // Netty event loops and executors wind down asynchronously; wait for them, bounded.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Set<Thread> leaked = new HashSet<>(nonDaemonThreads());
            leaked.removeAll(before);
            leaked.removeIf(t -> t.getName().startsWith("awaitility"));
            assertEquals(Set.of(), leaked.stream().map(EmbeddedRocketMQLifecycleIT::describe)
                    .collect(Collectors.toSet()), "non-daemon threads left after close");
        });
        assertThrows(IllegalStateException.class, rocketMQ::start);
    }

    @Test
    void twoBrokersServeOneClusterAndSendsSurviveTheLossOfOne() throws Exception {
        try (EmbeddedRocketMQ rocketMQ = EmbeddedRocketMQ.builder().brokers(2).build()) {
            rocketMQ.start();
            rocketMQ.createTopic("testkit-two-brokers", 2);
            assertEquals(Set.of(rocketMQ.brokerName(0), rocketMQ.brokerName(1)),
                    rocketMQ.topicRoute("testkit-two-brokers").keySet());
            DefaultMQProducer producer = RocketMQClients.producer(rocketMQ.nameServerAddress(), 3000);
            try {
                Set<String> used = new HashSet<>();
                for (int i = 0; i < 8; i++) {
                    used.add(producer.send(new Message("testkit-two-brokers", ("m" + i).getBytes(StandardCharsets.UTF_8)))
                            .getMessageQueue().getBrokerName());
                }
                assertEquals(2, used.size(), "round robin over both brokers");

                rocketMQ.stopBroker(1);
                // The name server drops broker 1 at once (it unregisters); the producer picks it up on its next
                // route poll (1 s here) and sends only to broker 0.
                await().atMost(Duration.ofSeconds(30)).until(
                        () -> rocketMQ.topicRoute("testkit-two-brokers").keySet().equals(Set.of(rocketMQ.brokerName(0))));
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                    for (int i = 0; i < 4; i++) {
                        String broker = producer.send(new Message("testkit-two-brokers",
                                "n".getBytes(StandardCharsets.UTF_8))).getMessageQueue().getBrokerName();
                        if (!broker.equals(rocketMQ.brokerName(0))) {
                            return false;
                        }
                    }
                    return true;
                });
            } finally {
                producer.shutdown();
            }
            assertEquals(List.of(true, false), List.of(rocketMQ.isBrokerRunning(0), rocketMQ.isBrokerRunning(1)));
        }
    }
}
