package dev.smartmq.testkit.rocketmq;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.testkit.proxy.FaultProxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.remoting.exception.RemotingTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Clients reach a proxied broker only through its FaultProxy, so a black hole really hangs the broker. */
class EmbeddedRocketMQProxyIT {

    @RegisterExtension
    static final RocketMQExtension mq = RocketMQExtension.create(EmbeddedRocketMQ.Builder::withBrokerProxy);

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void brokerAdvertisesTheProxyAndABlackHoleMakesSendsTimeOutInsteadOfHanging() throws Exception {
        EmbeddedRocketMQ rocketMQ = mq.rocketMQ();
        FaultProxy proxy = rocketMQ.brokerProxy();
        assertEquals("127.0.0.1:" + proxy.port(), rocketMQ.brokerAddress());
        assertNotEquals(rocketMQ.brokerAddress(), rocketMQ.brokerListenAddress(0));
        rocketMQ.createTopic("testkit-proxied", 2);

        DefaultMQProducer producer = RocketMQClients.producer(mq.nameServerAddress(), 2000);
        try {
            Message msg = new Message("testkit-proxied", "hello".getBytes(StandardCharsets.UTF_8));
            assertEquals(SendStatus.SEND_OK, producer.send(msg).getSendStatus());
            // The producer's only connection to the broker is the proxy's.
            assertTrue(proxy.activeConnections() >= 1, "connections through the proxy: " + proxy.activeConnections());

            proxy.blackHole();
            // Run the send on another thread so a hang fails this test instead of freezing it.
            long start = System.nanoTime();
            CompletableFuture<Throwable> outcome = CompletableFuture.supplyAsync(() -> {
                try {
                    producer.send(msg);
                    return null;
                } catch (Exception e) {
                    return e;
                }
            });
            Throwable failure = outcome.get(30, TimeUnit.SECONDS);
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(hasCause(failure, RemotingTimeoutException.class), "expected a timeout, got " + failure);
            // Loose bound: the 2 s send timeout plus scheduling slack on a busy machine.
            assertTrue(elapsed.compareTo(Duration.ofSeconds(2 + 5)) < 0, "send took " + elapsed);

            proxy.heal();
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> producer.send(msg).getSendStatus() == SendStatus.SEND_OK);
        } finally {
            producer.shutdown();
        }
    }

    @Test
    void brokerRestartBehindTheProxyKeepsTheAdvertisedAddress() throws Exception {
        EmbeddedRocketMQ rocketMQ = mq.rocketMQ();
        String advertised = rocketMQ.brokerAddress();
        rocketMQ.createTopic("testkit-proxied-restart", 1);
        rocketMQ.restartBroker();
        assertEquals(advertised, rocketMQ.brokerAddress());
        DefaultMQProducer producer = RocketMQClients.producer(mq.nameServerAddress(), 3000);
        try {
            Message msg = new Message("testkit-proxied-restart", "x".getBytes(StandardCharsets.UTF_8));
            assertEquals(SendStatus.SEND_OK, producer.send(msg).getSendStatus());
            assertThrows(IllegalStateException.class, () -> EmbeddedRocketMQ.create().brokerProxy());
        } finally {
            producer.shutdown();
        }
    }
}
