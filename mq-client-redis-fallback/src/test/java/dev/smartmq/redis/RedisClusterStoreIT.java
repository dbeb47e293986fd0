package dev.smartmq.redis;

import static dev.smartmq.redis.Fixtures.envelope;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.Envelope;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.redis.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;

/** The store on a 3-master Redis Cluster. */
class RedisClusterStoreIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.cluster();

    private static RedisFallbackStore store;

    @BeforeAll
    static void startStore() {
        store = RedisFallbackStore.builder().cluster(redis.hostAndPorts()).namespace("cl").build();
        store.start();
    }

    @AfterAll
    static void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void theShardsOfATopicSpreadOverAllMastersAndClaimsAndAcksWorkAcrossSlots() {
        String topic = "spread";
        Set<String> sent = new HashSet<>();
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            Envelope e = envelope(topic, null, "m" + i);
            futures.add(store.appendAsync(e, List.of("g", "h")));
            sent.add(e.id());
        }
        CompletableFuture.allOf(futures.toArray(new CompletableFuture[0])).join();

        Pattern shardOf = Pattern.compile("^smq:\\{cl:spread:(\\d+)\\}:g:q$");
        Map<Integer, Integer> shardsPerNode = new TreeMap<>();
        Set<Integer> allShards = new HashSet<>();
        for (RedisServer node : redis.redisCluster().nodes()) {
            Set<Integer> here = new HashSet<>();
            try (Jedis jedis = node.newClient()) {
                for (String key : jedis.keys("smq:{cl:spread:*}:g:q")) {
                    Matcher m = shardOf.matcher(key);
                    assertTrue(m.matches(), key);
                    here.add(Integer.parseInt(m.group(1)));
                }
            }
            shardsPerNode.put(node.port(), here.size());
            allShards.addAll(here);
            assertTrue(here.size() >= 20, "node " + node.port() + " holds only " + here.size() + " shards");
        }
        System.out.println("shards of topic 'spread' per master (port -> shards): " + shardsPerNode);
        assertEquals(store.shardCount(), allShards.size(), "every shard lives on exactly one master");

        assertEquals(3_000, store.backlog(topic, "g"));
        assertEquals(3_000, store.backlog(topic, "h"));

        // claims from many shards (all three nodes), acked in one cross-slot ackAll
        List<ClaimedMessage> batch = new ArrayList<>();
        for (int s = 0; s < store.shardCount(); s++) {
            batch.addAll(store.claim(topic, "g", s, "c1", 100));
        }
        assertEquals(3_000, batch.size());
        store.ackAll(batch.subList(0, 2_000));
        assertEquals(1_000, store.backlog(topic, "g"));
        assertEquals(1_000, store.recoverOrphans(topic, "g", Set.of("someone-else")));
        Set<String> ids = new HashSet<>();
        batch.subList(0, 2_000).forEach(m -> ids.add(m.envelope().id()));
        Fixtures.drain(store, topic, "g", "c2").forEach(m -> ids.add(m.envelope().id()));
        assertEquals(sent, ids, "zero lost across slots");
        assertEquals(0, store.backlog(topic, "g"));

        Set<String> hIds = new HashSet<>();
        Fixtures.drain(store, topic, "h", "c1").forEach(m -> hIds.add(m.envelope().id()));
        assertEquals(sent, hIds, "the fan-out reached the second group on every node");
    }

    @Test
    void adoptionDeadLettersAndIdempotencyWorkOnACluster() {
        String topic = "cl-admin";
        for (int i = 0; i < 200; i++) {
            store.append(envelope(topic, "k" + (i % 20), "m" + i), List.of());
        }
        assertEquals(200, store.adoptUnclaimed(topic, "g"));
        List<ClaimedMessage> all = Fixtures.drain(store, topic, "g", "c");
        assertEquals(200, all.size());

        store.append(envelope(topic, "dl", "dead"), List.of("g"));
        int shard = store.shardFor(envelope(topic, "dl", "x").message());
        ClaimedMessage m = store.claim(topic, "g", shard, "c", 1).get(0);
        store.deadLetter(m, "poison");
        assertEquals(1, RedisDeadLetters.of(store).list(topic, "g", 10).size());
        assertEquals(1, RedisDeadLetters.of(store).replayAll(topic, "g"));
        assertEquals(1, Fixtures.drain(store, topic, "g", "c").size());

        String id = java.util.UUID.randomUUID().toString();
        assertTrue(store.idempotencyGuard().firstSeen("g", id, Duration.ofMinutes(1)));
        assertTrue(!store.idempotencyGuard().firstSeen("g", id, Duration.ofMinutes(1)));
    }

    /**
     * deleteGroup on a cluster: the group's delayed sets live in the slots of their shards (on every master), the
     * namespace's index in another one; all are deleted without a cross-slot command, counted, and nothing is moved
     * into the deleted group's shards once the messages are due.
     */
    @Test
    void deleteGroupDeletesTheDelayedMessagesOfEveryShardOnACluster() {
        String topic = "cl-delay-purge";
        long due = System.currentTimeMillis() + 4_000; // far enough for the appends and the delete on a loaded machine
        int count = 300;
        List<CompletableFuture<Void>> held = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            held.add(store.appendAsync(delayedEnvelope(topic, "k" + i, "d" + i, due), List.of("gone", "kept")));
        }
        CompletableFuture.allOf(held.toArray(CompletableFuture[]::new)).join();
        assertEquals(count, store.delayedBacklog(topic, "gone"));
        Map<Integer, Integer> zsetsPerNode = new TreeMap<>();
        for (RedisServer node : redis.redisCluster().nodes()) {
            try (Jedis jedis = node.newClient()) {
                zsetsPerNode.put(node.port(), jedis.keys("smq:{cl:" + topic + ":*}:gone:z").size());
            }
        }
        assertTrue(zsetsPerNode.values().stream().filter(n -> n > 0).count() >= 2,
                "the delayed sets spread over the masters: " + zsetsPerNode);

        long deleted = store.deleteGroup(topic, "gone");

        List<String> left = new ArrayList<>();
        for (RedisServer node : redis.redisCluster().nodes()) { // the class's cluster: 3 masters, no replicas
            try (Jedis jedis = node.newClient()) {
                left.addAll(jedis.keys("smq:{cl:" + topic + ":*}:gone:*"));
            }
        }
        store.client().zrange("smq:cl:#delayed", 0, -1).stream() // the index, through the cluster client
                .filter(m -> m.startsWith(topic + "/gone/")).forEach(left::add);
        await().atMost(Duration.ofSeconds(30)).until(() -> System.currentTimeMillis() > due + 50);
        List<String> recreated = new ArrayList<>();
        try (RedisFallbackStore again = RedisFallbackStore.builder().cluster(redis.hostAndPorts()).namespace("cl")
                .build()) {
            again.start(); // one full mover pass on this thread, after the due time
            assertEquals(count, Fixtures.drain(again, topic, "kept", "c").size(), "the other group keeps its own");
            for (RedisServer node : redis.redisCluster().nodes()) {
                try (Jedis jedis = node.newClient()) {
                    recreated.addAll(jedis.keys("smq:{cl:" + topic + ":*}:gone:*"));
                }
            }
        }
        org.junit.jupiter.api.Assertions.assertAll(
                () -> assertEquals(count, deleted, "the delayed messages are counted"),
                () -> assertEquals(List.of(), left, "keys and index entries of the deleted group"),
                () -> assertEquals(List.of(), recreated, "keys of the deleted group after its messages were due"));
    }

    private static Envelope delayedEnvelope(String topic, String key, String body, long deliverAt) {
        return new Envelope(java.util.UUID.randomUUID().toString(),
                dev.smartmq.api.Message.builder(topic).key(key).body(body).deliverAt(deliverAt).build(),
                System.currentTimeMillis(), 0);
    }

    @Test
    void aSharedJedisClusterClientIsUsedAndLeftOpen() {
        try (JedisCluster shared = new JedisCluster(redis.hostAndPorts(),
                DefaultJedisClientConfig.builder().timeoutMillis(2000).build())) {
            RedisFallbackStore viaClient = RedisFallbackStore.builder().client(shared).namespace("shared").build();
            viaClient.start();
            viaClient.append(envelope("shared", null, "x"), List.of("g"));
            assertEquals(1, viaClient.backlog("shared", "g"));
            viaClient.close();
            shared.set("still-open", "yes");
            assertEquals("yes", shared.get("still-open"));
        }
    }
}
