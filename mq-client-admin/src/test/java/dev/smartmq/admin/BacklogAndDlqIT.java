package dev.smartmq.admin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartmq.api.Message;
import dev.smartmq.redis.RedisDeadLetters;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.redis.ShardBacklog;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.Envelope;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.zookeeper.ZooKeeperExtension;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** backlog and dlq commands against a real Redis (and ZooKeeper for the group registry). */
class BacklogAndDlqIT {

    @RegisterExtension
    static final ZooKeeperExtension zk = ZooKeeperExtension.server();

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static final int SHARDS = 8;
    private static final AtomicInteger NS = new AtomicInteger();

    private final AdminRunner admin = new AdminRunner();

    private static String newNamespace() {
        return "bk" + NS.incrementAndGet();
    }

    private static RedisFallbackStore store(String ns) {
        RedisFallbackStore s = RedisFallbackStore.builder()
                .standalone(redis.server().host(), redis.server().port())
                .namespace(ns).shards(SHARDS).build();
        s.start();
        return s;
    }

    private static Envelope envelope(String topic, String key, String body) {
        return new Envelope(UUID.randomUUID().toString(),
                Message.builder(topic).key(key).tags("t1").property("orderId", key).body(body).build(),
                System.currentTimeMillis(), 0);
    }

    private AdminRunner.Result run(String ns, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--zk", zk.connectString(), "--redis", redis.server().host() + ":" + redis.server().port(),
                "--namespace", ns, "--shard-count", Integer.toString(SHARDS)));
        return admin.run(all.toArray(String[]::new));
    }

    @Test
    void backlogMatchesWhatWasAppendedPerGroupAndPerShard() {
        String ns = newNamespace();
        String topic = "orders";
        try (RedisFallbackStore store = store(ns);
             ZkDegradationSwitch sdk = ZkDegradationSwitch.builder().connectString(zk.connectString()).namespace(ns).build()) {
            sdk.start();
            sdk.registerConsumer(topic, "billing", "c1");
            sdk.registerConsumer(topic, "shipping", "c2");
            await().atMost(Duration.ofSeconds(20)).until(() -> sdk.liveConsumers(topic, "shipping").orElse(Set.of()).size() == 1
                    && sdk.liveConsumers(topic, "billing").orElse(Set.of()).size() == 1);

            for (int i = 0; i < 10; i++) {
                store.append(envelope(topic, "k" + i, "both " + i), List.of("billing", "shipping"));
            }
            for (int i = 0; i < 4; i++) {
                store.append(envelope(topic, "b" + i, "billing only " + i), List.of("billing"));
            }
            store.append(envelope(topic, "u1", "nobody yet"), List.of());
            // Two billing messages in flight: they still count as pending.
            int claimed = 0;
            for (int s = 0; s < SHARDS && claimed < 2; s++) {
                claimed += store.claim(topic, "billing", s, "c1", 2 - claimed).size();
            }
            assertEquals(2, claimed);

            AdminRunner.Result r = run(ns, "backlog", "--topic", topic, "--json");
            assertEquals(0, r.exitCode(), r.toString());
            JsonNode j = r.json();
            assertEquals(2, j.get("groups").size(), j.toString());
            JsonNode billing = j.get("groups").get(0);
            assertEquals("billing", billing.get("group").asText());
            assertEquals(14, billing.get("pending").asLong());
            assertEquals(12, billing.get("queued").asLong());
            assertEquals(2, billing.get("inFlight").asLong());
            assertEquals(0, billing.get("deadLettered").asLong());
            assertEquals(1, billing.get("liveConsumers").asInt());
            JsonNode shipping = j.get("groups").get(1);
            assertEquals("shipping", shipping.get("group").asText());
            assertEquals(10, shipping.get("pending").asLong());
            assertEquals(1, j.get("unclaimed").get("pending").asLong());
            assertEquals(store.backlog(topic, "billing"), billing.get("pending").asLong());

            AdminRunner.Result human = run(ns, "backlog", "--topic", topic);
            assertEquals(0, human.exitCode(), human.toString());
            assertTrue(human.out().contains("billing") && human.out().contains("14") && human.out().contains("(unclaimed)"),
                    human.toString());

            AdminRunner.Result shards = run(ns, "backlog", "--topic", topic, "--group", "shipping", "--shards", "--json");
            assertEquals(0, shards.exitCode(), shards.toString());
            JsonNode perShard = shards.json().get("groups").get(0).get("shards");
            assertEquals(SHARDS, perShard.size());
            List<ShardBacklog> expected = store.backlogPerShard(topic, "shipping");
            long sum = 0;
            for (int s = 0; s < SHARDS; s++) {
                assertEquals(s, perShard.get(s).get("shard").asInt());
                assertEquals(expected.get(s).queued(), perShard.get(s).get("queued").asLong());
                assertEquals(expected.get(s).inFlight(), perShard.get(s).get("inFlight").asLong());
                sum += perShard.get(s).get("pending").asLong();
            }
            assertEquals(10, sum);
            assertFalse(shards.json().has("unclaimed"), "with --group only that group is shown");
            AdminRunner.Result shardTable = run(ns, "backlog", "--topic", topic, "--group", "shipping", "--shards");
            assertTrue(shardTable.out().contains("SHARD") && shardTable.out().contains("non-empty shard"),
                    shardTable.toString());
        }
    }

    @Test
    void backlogWithoutGroupOrZooKeeperIsAUsageError() {
        AdminRunner.Result r = admin.run("backlog", "--topic", "t", "--redis", redis.server().host() + ":" + redis.server().port());
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("--group"), r.toString());
    }

    @Test
    void deadLettersCanBeListedShownAndPurged() {
        String ns = newNamespace();
        String topic = "payments";
        String group = "ledger";
        List<String> ids = new ArrayList<>();
        try (RedisFallbackStore store = store(ns)) {
            for (int i = 0; i < 3; i++) {
                Envelope e = envelope(topic, "p" + i, "{\"payment\":" + i + "}");
                ids.add(e.id());
                store.append(e, List.of(group));
            }
            store.append(envelope(topic, "ok", "healthy"), List.of(group));
            int dead = 0;
            for (int s = 0; s < SHARDS; s++) {
                for (ClaimedMessage m : store.claim(topic, group, s, "worker-1", 10)) {
                    if (ids.contains(m.envelope().id())) {
                        store.deadLetter(m, "handler failed 16 times: IllegalStateException: ledger closed");
                        dead++;
                    } else {
                        store.release(m, false);
                    }
                }
            }
            assertEquals(3, dead);

            AdminRunner.Result list = run(ns, "dlq", "list", "--topic", topic, "--group", group, "--json");
            assertEquals(0, list.exitCode(), list.toString());
            JsonNode lj = list.json();
            assertEquals(3, lj.get("total").asLong());
            Set<String> listed = new HashSet<>();
            for (JsonNode d : lj.get("deadLetters")) {
                listed.add(d.get("id").asText());
                assertTrue(d.get("reason").asText().contains("ledger closed"));
                assertEquals("worker-1", d.get("consumerId").asText());
                assertFalse(d.has("bodyBase64"), "list never prints bodies");
            }
            assertEquals(new HashSet<>(ids), listed);
            AdminRunner.Result limited = run(ns, "dlq", "list", "--topic", topic, "--group", group, "--limit", "2");
            assertTrue(limited.out().contains("showing 2 of 3"), limited.toString());

            String id = ids.get(1);
            AdminRunner.Result show = run(ns, "dlq", "show", "--topic", topic, "--group", group, "--id", id, "--body", "--json");
            assertEquals(0, show.exitCode(), show.toString());
            JsonNode sj = show.json();
            assertEquals(id, sj.get("id").asText());
            assertEquals("p1", sj.get("key").asText());
            assertEquals("t1", sj.get("tags").asText());
            assertEquals("p1", sj.get("properties").get("orderId").asText());
            assertEquals("{\"payment\":1}", sj.get("bodyText").asText());
            AdminRunner.Result showHuman = run(ns, "dlq", "show", "--topic", topic, "--group", group, "--id", id);
            assertTrue(showHuman.out().contains(id) && !showHuman.out().contains("payment\":1"),
                    "no body without --body: " + showHuman);

            AdminRunner.Result missing = run(ns, "dlq", "show", "--topic", topic, "--group", group, "--id", "nope");
            assertEquals(4, missing.exitCode(), missing.toString());

            AdminRunner.Result unconfirmed = run(ns, "dlq", "purge", "--topic", topic, "--group", group);
            assertEquals(2, unconfirmed.exitCode(), unconfirmed.toString());
            assertTrue(unconfirmed.err().contains("--yes"), unconfirmed.toString());
            assertEquals(3, RedisDeadLetters.of(store).list(topic, group, 10).size());

            AdminRunner.Result one = run(ns, "dlq", "purge", "--topic", topic, "--group", group, "--id", id, "--yes", "--json");
            assertEquals(0, one.exitCode(), one.toString());
            assertEquals(1, one.json().get("deleted").asLong());
            assertEquals(2, RedisDeadLetters.of(store).list(topic, group, 10).size());
            assertTrue(RedisDeadLetters.of(store).find(topic, group, id).isEmpty());

            AdminRunner.Result all = run(ns, "dlq", "purge", "--topic", topic, "--group", group, "--yes");
            assertEquals(0, all.exitCode(), all.toString());
            assertTrue(all.out().contains("deleted 2 dead letter(s)"), all.toString());
            assertTrue(RedisDeadLetters.of(store).list(topic, group, 10).isEmpty());
            // The healthy message was never touched.
            assertEquals(1, store.backlog(topic, group));
        }
    }

    @Test
    void unreachableRedisExitsOne() {
        int closed = dev.smartmq.testkit.FreePorts.find();
        AdminRunner.Result r = admin.run("dlq", "list", "--topic", "t", "--group", "g", "--redis", "127.0.0.1:" + closed,
                "--timeout", "1s");
        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("Redis unavailable"), r.toString());
    }
}
