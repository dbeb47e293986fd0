package dev.smartmq.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.spi.IdempotencyGuard.Verdict;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.redis.RedisServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;

/**
 * The consumption protocol of issue 12 on a real redis-server: the idempotency guard's in-progress lease,
 * lost claims, ordered-shard leases and the claim-sequence keys.
 */
class ConsumptionProtocolIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static RedisFallbackStore store;

    @BeforeAll
    static void startStore() {
        RedisServer server = redis.server();
        store = RedisFallbackStore.builder().standalone(server.host(), server.port()).namespace("proto").shards(4)
                .timeouts(Duration.ofMillis(800), Duration.ofMillis(800)).build();
        store.start();
    }

    @AfterAll
    static void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void theGuardRecordsAnIdOnlyAfterSuccessAndAnInProgressLeaseDiesOnItsOwn() {
        RedisIdempotencyGuard guard = store.idempotencyGuard();
        String id = UUID.randomUUID().toString();
        assertEquals(Verdict.FIRST, guard.begin("g", id, Duration.ofMillis(300)));
        assertEquals(Verdict.IN_PROGRESS, guard.begin("g", id, Duration.ofMillis(300)), "a second delivery waits");
        try (Jedis j = redis.server().newClient()) {
            long pttl = j.pttl(guard.key("g", id));
            assertEquals(true, pttl > 0 && pttl <= 300, "the lease is short: " + pttl);
        }
        // the holder dies: nothing renews or records; the lease expires and the id is new again
        await().atMost(Duration.ofSeconds(5)).until(() -> guard.begin("g", id, Duration.ofSeconds(30)) == Verdict.FIRST);
        guard.handled("g", id, Duration.ofHours(1));
        assertEquals(Verdict.HANDLED, guard.begin("g", id, Duration.ofSeconds(30)));
        try (Jedis j = redis.server().newClient()) {
            assertEquals(true, j.pttl(guard.key("g", id)) > Duration.ofMinutes(59).toMillis(), "the record has the TTL");
        }
        // a failed handler forgets: the retry is let in at once
        String failed = UUID.randomUUID().toString();
        assertEquals(Verdict.FIRST, guard.begin("g", failed, Duration.ofSeconds(30)));
        guard.forget("g", failed);
        assertEquals(Verdict.FIRST, guard.begin("g", failed, Duration.ofSeconds(30)));
        // a record written by the first version's firstSeen reads as handled
        String old = UUID.randomUUID().toString();
        assertEquals(true, guard.firstSeen("g", old, Duration.ofHours(1)));
        assertEquals(Verdict.HANDLED, guard.begin("g", old, Duration.ofSeconds(30)));
    }

    @Test
    void aLostClaimIsReturnedByTheTimerAlthoughItsConsumerNeverClaimsThatShardAgain() {
        RedisServer server = redis.server();
        String topic = "lost";
        for (int i = 0; i < 10; i++) {
            store.append(Fixtures.envelope(topic, "one-key", "m" + i), List.of("g"));
        }
        int shard = store.shardFor(Fixtures.envelope(topic, "one-key", "x").message());
        // the server must know the claim script already (a lost EVALSHA of an unknown script never ran)
        store.append(Fixtures.envelope("warm-up", "k", "w"), List.of("g"));
        Fixtures.drain(store, "warm-up", "g", "consumer-1");
        server.pause(); // SIGSTOP: the claim below is sent, then its reply never comes within the socket timeout
        try {
            assertThrows(FallbackStoreException.class, () -> store.claim(topic, "g", shard, "consumer-1", 5));
        } finally {
            server.resume();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> store.backlogPerShard(topic, "g").get(shard).inFlight() == 5);
        // consumer-1 never claims this shard again (its ordered allocation moved it): the timer returns them
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
            store.returnLostClaims();
            return store.backlogPerShard(topic, "g").get(shard).inFlight() == 0;
        });
        assertEquals(10, store.backlogPerShard(topic, "g").get(shard).queued());
        List<ClaimedMessage> all = Fixtures.drain(store, topic, "g", "consumer-2");
        assertEquals(10, all.size());
        for (int i = 0; i < 10; i++) {
            assertEquals("m" + i, new String(all.get(i).envelope().message().body(), StandardCharsets.UTF_8),
                    "send order kept");
        }
        assertEquals(0, store.returnLostClaims(), "nothing left to return");
    }

    @Test
    void claimSequenceKeysGoAwayWithTheLastMessageOfTheirShard() {
        int topics = 20;
        try (Jedis j = redis.server().newClient()) {
            for (int t = 0; t < topics; t++) {
                String topic = "seq" + t;
                for (int i = 0; i < 6; i++) {
                    store.append(Fixtures.envelope(topic, null, "m" + i), List.of("g1", "g2"));
                }
                // g1: acked one by one and in batches; g2: the last message of each shard is dead-lettered
                for (int s = 0; s < store.shardCount(); s++) {
                    List<ClaimedMessage> batch = store.claim(topic, "g1", s, "c", 100);
                    if (!batch.isEmpty()) {
                        store.ack(batch.get(0));
                        store.ackAll(batch.subList(1, batch.size()));
                    }
                    List<ClaimedMessage> other = store.claim(topic, "g2", s, "c", 100);
                    if (!other.isEmpty()) {
                        store.release(other.get(other.size() - 1), true); // back to the head: the shard is not empty
                        store.ackAll(other.subList(0, other.size() - 1));
                        List<ClaimedMessage> last = store.claim(topic, "g2", s, "c", 100);
                        assertEquals(1, last.size());
                        store.deadLetter(last.get(0), "test");
                    }
                }
                assertEquals(0, store.backlog(topic, "g1"));
                assertEquals(0, store.backlog(topic, "g2"));
            }
            // a multi-shard ackAll (one pipeline) cleans up too
            for (int i = 0; i < 8; i++) {
                store.append(Fixtures.envelope("seq-multi", null, "m" + i), List.of("g1"));
            }
            List<ClaimedMessage> all = new java.util.ArrayList<>();
            for (int s = 0; s < store.shardCount(); s++) {
                all.addAll(store.claim("seq-multi", "g1", s, "c", 100));
            }
            store.ackAll(all);
            assertEquals(0, store.backlog("seq-multi", "g1"));
            java.util.Set<String> left = j.keys("smq:{proto:seq*}:*:n");
            assertEquals(java.util.Set.of(), left, "claim-sequence keys of drained shards");
        }
    }

    @Test
    void anOrderedShardIsClaimedOnlyByItsLeaseHolderAndOnlyOnceThePreviousBatchIsResolved() {
        String topic = "leased";
        for (int i = 0; i < 6; i++) {
            store.append(Fixtures.envelope(topic, "k", "m" + i), List.of("g"));
        }
        int shard = store.shardFor(Fixtures.envelope(topic, "k", "x").message());
        Duration lease = Duration.ofSeconds(30);
        assertEquals(java.util.Set.of(shard), store.acquireShardLeases(topic, "g", List.of(shard), "A", lease));
        assertEquals(java.util.Set.of(), store.acquireShardLeases(topic, "g", List.of(shard), "B", lease),
                "held by A");
        assertEquals(List.of(), store.claimLeased(topic, "g", shard, "B", 10), "no lease, no claim");
        List<ClaimedMessage> first = store.claimLeased(topic, "g", shard, "A", 3);
        assertEquals(3, first.size());
        // A gives the shard up while its batch is still in flight: B gets the lease but may not overtake the batch
        store.releaseShardLease(topic, "g", shard, "B"); // not B's: nothing happens
        assertEquals(java.util.Set.of(), store.acquireShardLeases(topic, "g", List.of(shard), "B", lease));
        store.releaseShardLease(topic, "g", shard, "A");
        assertEquals(java.util.Set.of(shard), store.acquireShardLeases(topic, "g", List.of(shard), "B", lease));
        assertEquals(List.of(), store.claimLeased(topic, "g", shard, "B", 10), "A's batch is unresolved");
        // A dead for the registry while B (live) holds the lease: A's entries are orphans, back to the head in order
        assertEquals(0, store.recoverOrphans(topic, "g", java.util.Set.of("A", "B")));
        assertEquals(3, store.recoverOrphans(topic, "g", java.util.Set.of("B")));
        List<ClaimedMessage> next = store.claimLeased(topic, "g", shard, "B", 10);
        assertEquals(List.of("m0", "m1", "m2", "m3", "m4", "m5"), next.stream()
                .map(m -> new String(m.envelope().message().body(), StandardCharsets.UTF_8)).toList());
        // while B holds the lease but is unknown to the registry, its batch is not an orphan
        assertEquals(0, store.recoverOrphans(topic, "g", java.util.Set.of("C")));
        store.ackAll(next);
        store.releaseShardLease(topic, "g", shard, "B");
        assertEquals(0, store.backlog(topic, "g"));
    }

    @Test
    void aShardLeaseExpiresWhenItsHolderStopsRenewingIt() {
        String topic = "expiring";
        int shard = 1;
        assertEquals(java.util.Set.of(shard), store.acquireShardLeases(topic, "g", List.of(shard), "A",
                Duration.ofMillis(300)));
        assertEquals(java.util.Set.of(shard), store.acquireShardLeases(topic, "g", List.of(shard), "A",
                Duration.ofMillis(300)), "renewed by its holder");
        await().atMost(Duration.ofSeconds(5)).until(() -> store.acquireShardLeases(topic, "g", List.of(shard), "B",
                Duration.ofSeconds(30)).contains(shard));
        store.releaseShardLease(topic, "g", shard, "B");
    }
}
