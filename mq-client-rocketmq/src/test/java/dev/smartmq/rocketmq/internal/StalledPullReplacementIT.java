package dev.smartmq.rocketmq.internal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Message;
import dev.smartmq.api.Ordering;
import dev.smartmq.api.Subscription;
import dev.smartmq.rocketmq.ConsumeFrom;
import dev.smartmq.rocketmq.RocketMQTransport;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.RedeliveryPolicy;
import dev.smartmq.spi.TransportSubscription;
import dev.smartmq.testkit.rocketmq.RocketMQExtension;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.rocketmq.client.impl.consumer.ProcessQueue;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A queue whose pull has gone unanswered longer than a broker holds one (what RocketMQ 5.5.0 leaves behind for 30 s
 * when the connection under a pull dies and its channel was already replaced) is replaced by RocketMQ's own repair
 * path once {@link GroupConsumer#replaceStalledPulls} marks it: the old queue is dropped, a new one takes its place
 * and the group keeps receiving, on a real broker. Queues whose pull is recent are left alone.
 */
class StalledPullReplacementIT {

    @RegisterExtension
    static final RocketMQExtension mq = RocketMQExtension.create();

    @Test
    void aQueueWithAnUnansweredPullIsReplacedAndTheGroupKeepsReceiving() throws Exception {
        String topic = "stall-" + UUID.randomUUID().toString().substring(0, 8);
        mq.rocketMQ().createTopic(topic, 4);
        ClientSettings settings = new ClientSettings(mq.nameServerAddress(), null, "stall-" + UUID.randomUUID(),
                null, Duration.ofSeconds(3), Duration.ofSeconds(1));
        Set<String> received = ConcurrentHashMap.newKeySet();
        GroupConsumer group = new GroupConsumer("stall-group", Ordering.CONCURRENT, settings, ConsumeFrom.FIRST_OFFSET,
                2, RedeliveryPolicy.DEFAULT);
        try (RocketMQTransport producer = RocketMQTransport.builder().nameServer(mq.nameServerAddress())
                .nameServerTimeout(Duration.ofSeconds(3)).routeRefreshInterval(Duration.ofSeconds(1)).build()) {
            producer.start();
            TransportSubscription sub = group.add(Subscription.builder(topic, "stall-group").build(), m -> {
                received.add(m.id());
                return ConsumeResult.SUCCESS;
            });
            Map<MessageQueue, ProcessQueue> table = group.processQueueTable();
            // The group's retry topic has a queue in the table too: count the topic's own four.
            await("the instance owns the topic's four queues").atMost(Duration.ofSeconds(60))
                    .until(() -> queuesOf(table, topic) == 4);
            send(producer, topic, received, 20);

            long now = System.currentTimeMillis();
            assertEquals(0, group.replaceStalledPulls(now, StalledPullWatchdog.STALLED_AFTER.toMillis()),
                    "pulls issued a moment ago are not stalled");

            MessageQueue stalledQueue = table.keySet().stream().filter(q -> q.getTopic().equals(topic)).findFirst()
                    .orElseThrow();
            ProcessQueue stalled = table.get(stalledQueue);
            // As if its pull had been issued 30 s ago and never answered.
            stalled.setLastPullTimestamp(now - 30_000);
            assertEquals(1, group.replaceStalledPulls(now, StalledPullWatchdog.STALLED_AFTER.toMillis()));

            await("RocketMQ replaced the marked queue").atMost(Duration.ofSeconds(30))
                    .until(() -> stalled.isDropped() && table.get(stalledQueue) != null
                            && table.get(stalledQueue) != stalled);
            assertEquals(4, queuesOf(table, topic), "every queue still has a process queue: " + table.keySet());
            // The group keeps receiving, on every queue (keyless sends spread over the four).
            send(producer, topic, received, 40);
            sub.close();
        } finally {
            group.close();
        }
    }

    private static void send(RocketMQTransport producer, String topic, Set<String> received, int n) {
        Set<String> ids = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < n; i++) {
            Envelope e = new Envelope(uuidV7(), Message.builder(topic).body("m" + i).build(),
                    System.currentTimeMillis(), 0);
            producer.send(e, Duration.ofSeconds(3));
            ids.add(e.id());
        }
        await("every message sent arrives").atMost(Duration.ofSeconds(60)).until(() -> received.containsAll(ids));
        assertTrue(received.containsAll(ids));
    }

    private static long queuesOf(Map<MessageQueue, ProcessQueue> table, String topic) {
        return table.keySet().stream().filter(q -> q.getTopic().equals(topic)).count();
    }

    /** A UUIDv7 id like the engine's (the only form of {@code SMQ_ID} the transport trusts). */
    private static String uuidV7() {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        long msb = ((System.currentTimeMillis() & 0xFFFF_FFFF_FFFFL) << 16) | 0x7000L | r.nextInt(1 << 12);
        long lsb = (r.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(msb, lsb).toString();
    }
}
