package dev.smartmq.chaos;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Message;
import dev.smartmq.api.MessageHandler;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.Subscription;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.spi.Envelope;
import dev.smartmq.testkit.proxy.FaultProxy;
import dev.smartmq.testkit.redis.RedisServer;
import dev.smartmq.testkit.zookeeper.ZooKeeperServer;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 item 8: at most one instance delivers an ORDERED fallback shard at a time, so per-key order holds
 * when a second instance joins while the first handles a batch, and when the first one's ZooKeeper session
 * expires while it still reaches Redis. Two real consumer instances (own Redis pools, own ZooKeeper sessions),
 * real redis-server and ZooKeeper; the MQ is down for the whole test (not started).
 */
class OrderedShardLeaseIT {
    private static final String TOPIC = "orders";
    private static final String GROUP = "shipping";
    private static final int SHARDS = 4;
    private static final int MESSAGES = 12;

    private static RedisServer redis;
    private static ZooKeeperServer zooKeeper;

    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<String> deliveries = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger inHandler = new AtomicInteger();
    private final AtomicInteger maxInHandler = new AtomicInteger();
    private RedisFallbackStore sender;
    private String namespace;

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
    void cleanUp() throws Exception {
        Collections.reverse(open);
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private SmartMQ node(String zkConnect) {
        ZkDegradationSwitch sw = ZkDegradationSwitch.builder()
                .connectString(zkConnect)
                .namespace(namespace)
                .sessionTimeout(Duration.ofSeconds(3))
                .connectionTimeout(Duration.ofSeconds(3))
                .operationTimeout(Duration.ofSeconds(1))
                .build();
        RedisFallbackStore store = RedisFallbackStore.builder()
                .standalone("127.0.0.1", redis.port())
                .namespace(namespace)
                .shards(SHARDS)
                .timeouts(Duration.ofSeconds(1), Duration.ofSeconds(1))
                .build();
        SmartMQConfig config = SmartMQConfig.custom()
                .namespace(namespace)
                .probeInterval(Duration.ofSeconds(1))
                .probeTimeout(Duration.ofMillis(500))
                .drainCheckInterval(Duration.ofMillis(100))
                .orphanReapInterval(Duration.ofMillis(200))
                .normalSweepInterval(Duration.ofMillis(50))
                .pollBackoffMin(Duration.ofMillis(10))
                .pollBackoffMax(Duration.ofMillis(50))
                .claimBatchSize(8)
                .consumerThreads(2)
                .shutdownTimeout(Duration.ofSeconds(10))
                .build();
        SmartMQ mq = SmartMQ.builder().config(config).transport(new MqDownTransport()).fallbackStore(store)
                .degradationSwitch(sw).build();
        open.add(mq);
        return mq;
    }

    private MessageHandler recording(String who, Duration perMessage, CountDownLatch entered) {
        return m -> {
            int now = inHandler.incrementAndGet();
            maxInHandler.accumulateAndGet(now, Math::max);
            try {
                entered.countDown();
                deliveries.add(who + ":" + new String(m.body(), StandardCharsets.UTF_8));
                Thread.sleep(perMessage.toMillis()); // the handler's work: the scenario needs it to take time
                return ConsumeResult.SUCCESS;
            } finally {
                inHandler.decrementAndGet();
            }
        };
    }

    /** A key whose shard is in the half that "averagely" allocation gives to the instance at {@code index}. */
    private String keyOwnedBy(int index) {
        for (int i = 0; ; i++) {
            String key = "k" + i;
            int shard = sender.shardFor(Message.builder(TOPIC).key(key).body("x").build());
            if (shard / (SHARDS / 2) == index) {
                return key;
            }
        }
    }

    private void sendAll(String key) {
        for (int i = 0; i < MESSAGES; i++) {
            sender.append(new Envelope(UUID.randomUUID().toString(),
                    Message.builder(TOPIC).key(key).body(Integer.toString(i)).build(), System.currentTimeMillis(), 0),
                    List.of(GROUP));
        }
    }

    private void startSender() {
        namespace = "lease" + UUID.randomUUID().toString().substring(0, 6);
        sender = RedisFallbackStore.builder().standalone("127.0.0.1", redis.port()).namespace(namespace)
                .shards(SHARDS).build();
        sender.start();
        open.add(sender);
    }

    private void assertDeliveredOnceInOrder() {
        await().atMost(Duration.ofSeconds(60)).until(() -> sender.backlog(TOPIC, GROUP) == 0
                && deliveries.size() >= MESSAGES);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> inHandler.get() == 0);
        List<String> bodies = deliveries.stream().map(d -> d.substring(d.indexOf(':') + 1)).collect(Collectors.toList());
        List<String> expected = IntStream.range(0, MESSAGES).mapToObj(Integer::toString).collect(Collectors.toList());
        assertEquals(expected, bodies, "per-key order, each once; deliveries " + deliveries);
        assertEquals(1, maxInHandler.get(), "one instance at a time delivered the shard: " + deliveries);
    }

    @Test
    void aSecondInstanceJoiningWhileTheFirstHandlesABatchOfKeyKKeepsKsOrder() throws Exception {
        startSender();
        SmartMQ a = node(zooKeeper.connectString());
        SmartMQ b = node(zooKeeper.connectString());
        List<String> ids = new ArrayList<>(List.of(a.consumerId(), b.consumerId()));
        Collections.sort(ids);
        String key = keyOwnedBy(ids.indexOf(b.consumerId())); // the shard of k moves to B when B joins
        sendAll(key);
        CountDownLatch aEntered = new CountDownLatch(1);
        Subscription ordered = Subscription.builder(TOPIC, GROUP).ordered().build();
        a.consumer().subscribe(ordered, recording("A", Duration.ofMillis(300), aEntered));
        assertTrue(aEntered.await(20, TimeUnit.SECONDS), "A started its batch");
        b.consumer().subscribe(ordered, recording("B", Duration.ofMillis(10), new CountDownLatch(1)));
        assertDeliveredOnceInOrder();
        assertTrue(deliveries.get(0).startsWith("A:"), deliveries.toString());
    }

    @Test
    void anInstanceWhoseZooKeeperSessionExpiredButStillReachesRedisKeepsItsShardUntilItLetsGo() throws Exception {
        startSender();
        FaultProxy zkProxyOfA = FaultProxy.start("127.0.0.1", zooKeeper.port());
        open.add(zkProxyOfA);
        SmartMQ a = node(zkProxyOfA.address());
        SmartMQ b = node(zooKeeper.connectString());
        List<String> ids = new ArrayList<>(List.of(a.consumerId(), b.consumerId()));
        Collections.sort(ids);
        String key = keyOwnedBy(ids.indexOf(a.consumerId())); // A's shard, taken over by B once A looks dead
        Subscription ordered = Subscription.builder(TOPIC, GROUP).ordered().build();
        b.consumer().subscribe(ordered, recording("B", Duration.ofMillis(10), new CountDownLatch(1)));
        CountDownLatch aEntered = new CountDownLatch(1);
        a.consumer().subscribe(ordered, recording("A", Duration.ofMillis(700), aEntered));
        await().atMost(Duration.ofSeconds(10)).until(() -> sender.backlog(TOPIC, GROUP) == 0); // both allocated
        Thread.sleep(500); // let both instances see each other (allocation refresh)
        sendAll(key);
        assertTrue(aEntered.await(20, TimeUnit.SECONDS), "A started its batch");
        zkProxyOfA.blackHole(); // A's session expires on the server after 3 s; A still reaches Redis
        assertDeliveredOnceInOrder();
        zkProxyOfA.heal();
    }
}
