package dev.smartmq.admin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Message;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Route;
import dev.smartmq.api.Subscription;
import dev.smartmq.redis.RedisDeadLetters;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.rocketmq.ConsumeFrom;
import dev.smartmq.rocketmq.RocketMQTransport;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.TransportException;
import dev.smartmq.spi.TransportListener;
import dev.smartmq.spi.TransportSubscription;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.rocketmq.RocketMQExtension;
import dev.smartmq.testkit.zookeeper.ZooKeeperExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** dlq replay through a real SmartMQ instance: embedded RocketMQ, real ZooKeeper and Redis. */
class DlqReplayIT {

    @RegisterExtension
    static final RocketMQExtension mq = RocketMQExtension.create();

    @RegisterExtension
    static final ZooKeeperExtension zk = ZooKeeperExtension.server();

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static final int SHARDS = 4;

    private final AdminRunner admin = new AdminRunner();

    private AdminRunner.Result run(String ns, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--zk", zk.connectString(), "--redis", redis.server().host() + ":" + redis.server().port(),
                "--namespace", ns, "--shard-count", Integer.toString(SHARDS), "--timeout", "10s"));
        return admin.run(all.toArray(String[]::new));
    }

    /** A loaded box can miss the first route lookup: retry the subscription itself, not the test. */
    private static TransportSubscription subscribe(RocketMQTransport t, Subscription s, TransportListener l) {
        AtomicReference<TransportSubscription> sub = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(60)).ignoreException(TransportException.class)
                .until(() -> {
                    sub.set(t.subscribe(s, l));
                    return true;
                });
        return sub.get();
    }

    private static List<String> deadLetters(RedisFallbackStore store, String topic, String group, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Envelope e = new Envelope(UUID.randomUUID().toString(),
                    Message.builder(topic).key("refund-" + i).tags("refund").property("amount", "1" + i)
                            .body("refund " + i).build(), System.currentTimeMillis(), 0);
            ids.add(e.id());
            store.append(e, List.of(group));
        }
        int dead = 0;
        for (int s = 0; s < SHARDS; s++) {
            for (ClaimedMessage m : store.claim(topic, group, s, "worker-1", 100)) {
                store.deadLetter(m, "handler failed 16 times");
                dead++;
            }
        }
        assertEquals(n, dead);
        return ids;
    }

    @Test
    void replaySendsThroughTheMqThenRemovesTheDeadLettersAndDegradedReplayGoesToTheFallbackStore() {
        String ns = "replay1";
        String topic = "refunds";
        String group = "ledger";
        mq.rocketMQ().createTopic(topic, 4);
        List<ReceivedMessage> received = new CopyOnWriteArrayList<>();
        try (RedisFallbackStore store = RedisFallbackStore.builder().standalone(redis.server().host(), redis.server().port())
                .namespace(ns).shards(SHARDS).build();
             RocketMQTransport audit = RocketMQTransport.builder().nameServer(mq.nameServerAddress())
                     .producerGroup("audit-it").consumeFrom(ConsumeFrom.FIRST_OFFSET)
                     .nameServerTimeout(Duration.ofSeconds(10)).build()) {
            store.start();
            audit.start();
            List<String> ids = deadLetters(store, topic, group, 3);
            try (TransportSubscription sub = subscribe(audit, Subscription.of(topic, "audit"), m -> {
                received.add(m);
                return ConsumeResult.SUCCESS;
            })) {
                AdminRunner.Result r = run(ns, "dlq", "replay", "--topic", topic, "--group", group,
                        "--namesrv", mq.nameServerAddress(), "--json");
                assertEquals(0, r.exitCode(), r.toString());
                JsonNode replayed = r.json().get("replayed");
                assertEquals(3, replayed.size(), r.toString());
                Map<String, String> newToOriginal = new HashMap<>();
                for (JsonNode n : replayed) {
                    assertEquals("MQ", n.get("route").asText());
                    assertTrue(n.get("removed").asBoolean());
                    newToOriginal.put(n.get("newId").asText(), n.get("originalId").asText());
                }
                assertEquals(new java.util.HashSet<>(ids), new java.util.HashSet<>(newToOriginal.values()));
                assertTrue(RedisDeadLetters.of(store).list(topic, group, 10).isEmpty(), "removed after the sends returned");

                // Every group of the topic gets it again, through the MQ, marked with the original id.
                await().atMost(Duration.ofSeconds(60)).until(() -> received.size() >= 3);
                for (ReceivedMessage m : received) {
                    assertEquals(Route.MQ, m.route());
                    String original = newToOriginal.get(m.id());
                    assertEquals(original, m.properties().get(DlqReplay.REPLAY_OF_PROPERTY), m.toString());
                    int i = ids.indexOf(original);
                    assertEquals("refund " + i, new String(m.body(), StandardCharsets.UTF_8));
                    assertEquals("refund-" + i, m.key());
                    assertEquals("1" + i, m.properties().get("amount"));
                }
            }

            // While the switch is DEGRADED the same command replays into the fallback store (no group registered
            // for the topic in ZooKeeper here, so the message waits in the topic's unclaimed shards).
            String id = deadLetters(store, topic, group, 1).get(0);
            assertEquals(0, run(ns, "switch", "degrade", "--reason", "replay drill", "--ttl", "5m").exitCode());
            AdminRunner.Result degraded = run(ns, "dlq", "replay", "--topic", topic, "--group", group, "--id", id,
                    "--namesrv", mq.nameServerAddress());
            assertEquals(0, degraded.exitCode(), degraded.toString());
            assertTrue(degraded.out().contains("replayed " + id) && degraded.out().contains("via FALLBACK"),
                    degraded.toString());
            assertTrue(RedisDeadLetters.of(store).find(topic, group, id).isEmpty());
            assertEquals(1, store.backlog(topic, BacklogCommand.UNCLAIMED));

            AdminRunner.Result missing = run(ns, "dlq", "replay", "--topic", topic, "--group", group, "--id", id,
                    "--namesrv", mq.nameServerAddress());
            assertEquals(4, missing.exitCode(), missing.toString());
        }
    }
}
