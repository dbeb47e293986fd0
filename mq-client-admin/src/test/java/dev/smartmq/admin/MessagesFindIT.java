package dev.smartmq.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartmq.api.Message;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.Envelope;
import dev.smartmq.testkit.redis.RedisExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code messages find} against a real redis-server (issue 22): queued, in flight, dead-lettered, absent. */
class MessagesFindIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static final int SHARDS = 4;

    private final AdminRunner admin = new AdminRunner();

    private AdminRunner.Result find(String ns, String... args) {
        List<String> all = new ArrayList<>(List.of("messages", "find", "--topic", "orders", "--group", "billing"));
        all.addAll(List.of(args));
        all.addAll(List.of("--redis", redis.server().host() + ":" + redis.server().port(), "--namespace", ns,
                "--shard-count", Integer.toString(SHARDS), "--timeout", "5s"));
        return admin.run(all.toArray(String[]::new));
    }

    private static Envelope envelope(String key, String body) {
        return new Envelope(UUID.randomUUID().toString(), Message.builder("orders").key(key).body(body).build(),
                System.currentTimeMillis(), 0);
    }

    @Test
    void findsAMessageQueuedInFlightOrDeadLetteredAndSaysWhenItIsNotInRedis() {
        String ns = "find1";
        try (RedisFallbackStore store = RedisFallbackStore.builder()
                .standalone(redis.server().host(), redis.server().port()).namespace(ns).shards(SHARDS).build()) {
            store.start();
            Envelope first = envelope("order-1", "a");
            Envelope second = envelope("order-1", "b");
            Envelope third = envelope("order-1", "c");
            for (Envelope e : List.of(first, second, third)) {
                store.append(e, List.of("billing"));
            }
            int shard = store.shardFor(first.message());
            List<ClaimedMessage> claimed = store.claim("orders", "billing", shard, "worker-9", 1);
            assertEquals(first.id(), claimed.get(0).envelope().id());
            ClaimedMessage dead = store.claim("orders", "billing", shard, "worker-9", 1).get(0);
            store.deadLetter(dead, "handler failed 16 times: boom");
            // A long shard: the match sits on the third page.
            List<Envelope> bulk = new ArrayList<>();
            for (int i = 0; i < 450; i++) {
                Envelope e = envelope("bulk", "x" + i);
                bulk.add(e);
                store.append(e, List.of("billing"));
            }

            JsonNode inFlight = find(ns, "--id", first.id(), "--json").json();
            assertEquals(1, inFlight.get("found").size(), inFlight.toString());
            assertEquals("inFlight", inFlight.get("found").get(0).get("where").asText());
            assertEquals("worker-9", inFlight.get("found").get(0).get("consumer").asText());
            assertEquals(shard, inFlight.get("found").get(0).get("shard").asInt());

            JsonNode deadDoc = find(ns, "--id", second.id(), "--json").json();
            assertEquals("deadLettered", deadDoc.get("found").get(0).get("where").asText(), deadDoc.toString());
            assertTrue(deadDoc.get("found").get(0).get("reason").asText().contains("boom"), deadDoc.toString());

            JsonNode queued = find(ns, "--id", third.id(), "--json").json();
            assertEquals("queued", queued.get("found").get(0).get("where").asText(), queued.toString());
            assertEquals(0, queued.get("found").get(0).get("position").asLong(), "the next to be claimed");

            JsonNode byKey = find(ns, "--key", "order-1", "--json").json();
            assertEquals(3, byKey.get("found").size(), byKey.toString());

            Envelope last = bulk.get(449);
            int bulkShard = store.shardFor(last.message());
            JsonNode deep = find(ns, "--key", "bulk", "--json").json();
            assertEquals(450, deep.get("found").size());
            JsonNode one = find(ns, "--id", last.id(), "--json").json();
            long expected = bulkShard == shard ? 450 : 449; // the "order-1" value still queued comes first
            assertEquals(expected, one.get("found").get(0).get("position").asLong(), one.toString());

            AdminRunner.Result absent = find(ns, "--id", UUID.randomUUID().toString());
            assertEquals(4, absent.exitCode(), absent.toString());
            assertTrue(absent.out().contains("not in Redis"), absent.toString());

            AdminRunner.Result human = find(ns, "--id", first.id());
            assertEquals(0, human.exitCode(), human.toString());
            assertTrue(human.out().contains("inFlight") && human.out().contains("worker-9"), human.toString());
        }
    }

    /**
     * A delayed message (held until its deliverAt in the group's delayed set of its shard) is found, with its due
     * time; by id and by key; the bound of --max-scan applies to the delayed sets too.
     */
    @Test
    void findsADelayedMessageWithItsDueTime() {
        String ns = "find-delayed";
        long due = System.currentTimeMillis() + 1_800_000;
        try (RedisFallbackStore store = RedisFallbackStore.builder()
                .standalone(redis.server().host(), redis.server().port()).namespace(ns).shards(SHARDS).build()) {
            store.start();
            Envelope held = new Envelope(UUID.randomUUID().toString(), Message.builder("orders").key("later-1")
                    .body("held").deliverAt(due).build(), System.currentTimeMillis(), 0);
            store.append(held, List.of("billing"));
            for (int i = 0; i < 450; i++) { // a long delayed set: ZSCAN goes page by page
                store.append(new Envelope(UUID.randomUUID().toString(), Message.builder("orders").key("later-1")
                        .body("x" + i).deliverAt(due + 1 + i).build(), System.currentTimeMillis(), 0), List.of("billing"));
            }
            assertEquals(451, store.delayedBacklog("orders", "billing"));

            AdminRunner.Result byId = find(ns, "--id", held.id(), "--json");
            assertEquals(0, byId.exitCode(), byId.toString());
            JsonNode f = byId.json().get("found");
            assertEquals(1, f.size(), byId.toString());
            assertEquals("delayed", f.get(0).get("where").asText(), byId.toString());
            assertEquals(store.shardFor(held.message()), f.get(0).get("shard").asInt());
            assertEquals(java.time.Instant.ofEpochMilli(due).toString(), f.get(0).path("dueAt").asText(), byId.toString());

            JsonNode byKey = find(ns, "--key", "later-1", "--json").json();
            assertEquals(451, byKey.get("found").size(), "every delayed value of the key's shard");

            AdminRunner.Result human = find(ns, "--id", held.id());
            assertEquals(0, human.exitCode(), human.toString());
            assertTrue(human.out().contains("delayed"), human.toString());

            AdminRunner.Result bounded = find(ns, "--id", UUID.randomUUID().toString(), "--max-scan", "100");
            assertEquals(4, bounded.exitCode(), bounded.toString());
            assertTrue(bounded.err().contains("--max-scan"), bounded.toString());
        }
    }
}
