package dev.smartmq.redis;

import static dev.smartmq.redis.Fixtures.drain;
import static dev.smartmq.redis.Fixtures.envelope;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.redis.internal.EnvelopeCodec;
import dev.smartmq.redis.internal.KeyLayout;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.redis.RedisServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;

class RedisFallbackStoreIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static RedisFallbackStore store;

    @BeforeAll
    static void startStore() {
        RedisServer server = redis.server();
        store = RedisFallbackStore.builder().standalone(server.host(), server.port()).namespace("it").build();
        store.start();
    }

    @AfterAll
    static void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void hundredThousandKeylessMessagesSpreadEvenlyAndAreEachConsumedExactlyOnce() throws Exception {
        String topic = "bulk";
        String group = "g";
        int total = 100_000;
        int producers = 4;
        Set<String> sent = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(producers);
        List<Future<?>> done = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            done.add(pool.submit(() -> {
                List<CompletableFuture<Void>> window = new ArrayList<>();
                for (int i = 0; i < total / producers; i++) {
                    Envelope e = envelope(topic, null, "m" + i);
                    window.add(store.appendAsync(e, List.of(group)));
                    sent.add(e.id());
                    if (window.size() == 1000) {
                        CompletableFuture.allOf(window.toArray(new CompletableFuture[0])).join();
                        window.clear();
                    }
                }
                CompletableFuture.allOf(window.toArray(new CompletableFuture[0])).join();
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get(120, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertEquals(total, sent.size());
        assertEquals(total, store.backlog(topic, group));

        List<ShardBacklog> perShard = store.backlogPerShard(topic, group);
        long max = perShard.stream().mapToLong(ShardBacklog::queued).max().orElseThrow();
        double avg = total / (double) store.shardCount();
        System.out.printf("keyless spread over %d shards: max %d, avg %.1f (%.3fx)%n", store.shardCount(), max, avg, max / avg);
        assertTrue(max <= 1.5 * avg, "largest shard " + max + " > 1.5 x average " + avg);

        Map<String, Integer> consumed = new ConcurrentHashMap<>();
        AtomicInteger acked = new AtomicInteger();
        int consumers = 4;
        ExecutorService cpool = Executors.newFixedThreadPool(consumers);
        List<Future<?>> cdone = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        for (int c = 0; c < consumers; c++) {
            String consumerId = "consumer-" + c;
            int offset = c * 32;
            cdone.add(cpool.submit(() -> {
                while (acked.get() < total && System.nanoTime() < deadline) {
                    for (int i = 0; i < store.shardCount(); i++) {
                        int shard = (offset + i) % store.shardCount();
                        List<ClaimedMessage> batch = store.claim(topic, group, shard, consumerId, 64);
                        for (ClaimedMessage m : batch) {
                            consumed.merge(m.envelope().id(), 1, Integer::sum);
                        }
                        store.ackAll(batch);
                        acked.addAndGet(batch.size());
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : cdone) {
            f.get(200, TimeUnit.SECONDS);
        }
        cpool.shutdown();
        assertEquals(total, consumed.size(), "every message consumed");
        assertEquals(sent, consumed.keySet());
        assertTrue(consumed.values().stream().allMatch(n -> n == 1), "each exactly once");
        assertEquals(0, store.backlog(topic, group));
    }

    @Test
    void sameKeyMessagesKeepSendOrderEvenWhenSentAsynchronously() throws Exception {
        String topic = "ordered";
        String group = "g";
        int keys = 16;
        int perKey = 300;
        // As after a Redis restart: the server has no cached scripts, so every writer starts on the
        // NOSCRIPT path at once. Writers racing to load the script once reordered a shard's appends.
        try (Jedis admin = new Jedis(redis.server().host(), redis.server().port())) {
            admin.scriptFlush();
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            done.add(pool.submit(() -> {
                List<CompletableFuture<Void>> futures = new ArrayList<>();
                for (int i = 0; i < perKey; i++) {
                    for (int k = thread; k < keys; k += 4) {
                        futures.add(store.appendAsync(envelope(topic, "key-" + k, "x", "seq", Integer.toString(i)),
                                List.of(group)));
                    }
                }
                CompletableFuture.allOf(futures.toArray(new CompletableFuture[0])).join();
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        List<ClaimedMessage> all = drain(store, topic, group, "c1");
        assertEquals(keys * perKey, all.size());
        Map<String, Integer> last = new HashMap<>();
        for (ClaimedMessage m : all) {
            int seq = Integer.parseInt(m.envelope().message().properties().get("seq"));
            Integer prev = last.put(m.envelope().message().key(), seq);
            assertEquals(prev == null ? 0 : prev + 1, seq, "order of " + m.envelope().message().key());
        }
    }

    @Test
    void messagesOfAKilledConsumerAreRedeliveredToAnotherAfterRecovery() {
        String topic = "orphans";
        String group = "g";
        Set<String> sent = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            Envelope e = envelope(topic, "k" + (i % 50), "body" + i);
            store.append(e, List.of(group));
            sent.add(e.id());
        }
        // "dead" claims a batch from several shards and never acks (killed mid-batch)
        List<ClaimedMessage> stranded = new ArrayList<>();
        for (int s = 0; s < store.shardCount() && stranded.size() < 100; s++) {
            stranded.addAll(store.claim(topic, group, s, "dead-consumer", 5));
        }
        assertFalse(stranded.isEmpty());
        List<ClaimedMessage> first = drain(store, topic, group, "live-consumer");
        assertEquals(500 - stranded.size(), first.size());
        assertEquals(stranded.size(), store.backlog(topic, group), "the stranded messages are still pending");

        int recovered = store.recoverOrphans(topic, group, Set.of("live-consumer"));
        assertEquals(stranded.size(), recovered);
        assertEquals(0, store.recoverOrphans(topic, group, Set.of("live-consumer")), "nothing left to recover");

        List<ClaimedMessage> second = drain(store, topic, group, "live-consumer");
        Set<String> redelivered = new HashSet<>();
        second.forEach(m -> redelivered.add(m.envelope().id()));
        Set<String> strandedIds = new HashSet<>();
        stranded.forEach(m -> strandedIds.add(m.envelope().id()));
        assertEquals(strandedIds, redelivered);
        Set<String> all = new HashSet<>(redelivered);
        first.forEach(m -> all.add(m.envelope().id()));
        assertEquals(sent, all, "zero lost");
        assertEquals(0, store.backlog(topic, group));
        // a late ack of the dead consumer is harmless
        store.ackAll(stranded);
        assertEquals(0, store.backlog(topic, group));
    }

    @Test
    void orphansReturnInClaimOrderAheadOfNewerMessages() {
        String topic = "orphan-order";
        String group = "g";
        for (int i = 0; i < 10; i++) {
            store.append(envelope(topic, "same", "x", "seq", Integer.toString(i)), List.of(group));
        }
        int shard = store.shardFor(envelope(topic, "same", "x").message());
        assertEquals(3, store.claim(topic, group, shard, "dead-a", 3).size());
        assertEquals(3, store.claim(topic, group, shard, "dead-b", 3).size());
        assertEquals(6, store.recoverOrphans(topic, group, Set.of()));
        List<ClaimedMessage> all = store.claim(topic, group, shard, "c", 100);
        List<Integer> seqs = new ArrayList<>();
        all.forEach(m -> seqs.add(Integer.parseInt(m.envelope().message().properties().get("seq"))));
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), seqs);
        store.ackAll(all);
    }

    @Test
    void corruptValuesAreDeadLetteredWithAReasonAndTheShardKeepsFlowing() {
        String topic = "corrupt";
        String group = "g";
        Envelope before = envelope(topic, "k", "before");
        Envelope after = envelope(topic, "k", "after");
        int shard = store.shardFor(before.message());
        byte[] queue = keyOf(topic, group, shard);
        store.append(before, List.of(group));
        byte[] badChecksum = EnvelopeCodec.encode(envelope(topic, "k", "tampered"));
        badChecksum[badChecksum.length - 8] ^= 0x40;
        try (Jedis jedis = redis.server().newClient()) {
            jedis.rpush(queue, "garbage pushed by hand".getBytes(StandardCharsets.UTF_8));
            jedis.rpush(queue, badChecksum);
        }
        store.append(after, List.of(group));

        List<String> got = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            List<ClaimedMessage> batch = store.claim(topic, group, shard, "c", 1);
            batch.forEach(m -> got.add(new String(m.envelope().message().body(), StandardCharsets.UTF_8)));
            store.ackAll(batch);
        }
        assertEquals(List.of("before", "after"), got, "corrupt values never block the shard");
        List<DeadLetter> dead = RedisDeadLetters.of(store).list(topic, group, 10);
        assertEquals(2, dead.size());
        assertTrue(dead.get(0).reason().contains("bad magic"), dead.get(0).reason());
        assertTrue(dead.get(1).reason().contains("checksum"), dead.get(1).reason());
        assertNull(dead.get(0).envelope());
        assertNotNull(dead.get(0).decodeError());
        assertEquals(0, store.backlog(topic, group));
        assertEquals(0, RedisDeadLetters.of(store).replayAll(topic, group), "corrupt values are not replayed");
        assertEquals(2, RedisDeadLetters.of(store).purge(topic, group));
        assertTrue(RedisDeadLetters.of(store).list(topic, group, 10).isEmpty());
    }

    @Test
    void releaseCountsAttemptsDeadLetterKeepsTheReasonAndReplayBringsItBack() {
        String topic = "lifecycle";
        String group = "g";
        Envelope first = envelope(topic, "k", "one");
        Envelope second = envelope(topic, "k", "two");
        store.append(first, List.of(group));
        store.append(second, List.of(group));
        int shard = store.shardFor(first.message());

        ClaimedMessage m = store.claim(topic, group, shard, "c", 1).get(0);
        assertEquals(first.id(), m.envelope().id());
        store.release(m, true);
        ClaimedMessage again = store.claim(topic, group, shard, "c", 1).get(0);
        assertEquals(first.id(), again.envelope().id(), "released to the head: per-key order holds");
        assertEquals(1, again.envelope().attempts());
        store.release(again, false);
        ClaimedMessage third = store.claim(topic, group, shard, "c", 1).get(0);
        assertEquals(1, third.envelope().attempts(), "a release without counting keeps the attempts");
        store.release(third, true);
        store.release(third, true); // a second release of the same claim does nothing
        List<ClaimedMessage> both = store.claim(topic, group, shard, "c", 10);
        assertEquals(2, both.size(), "released twice, but queued once");

        store.deadLetter(both.get(0), "handler failed 16 times: boom");
        store.ack(both.get(1));
        assertEquals(0, store.backlog(topic, group));
        List<DeadLetter> dead = RedisDeadLetters.of(store).list(topic, group, 10);
        assertEquals(1, dead.size());
        assertEquals("handler failed 16 times: boom", dead.get(0).reason());
        assertEquals("c", dead.get(0).consumerId());
        assertEquals(first.id(), dead.get(0).messageId().orElseThrow());
        assertEquals(shard, dead.get(0).shard());
        assertTrue(RedisDeadLetters.of(store).find(topic, group, first.id()).isPresent());

        assertTrue(RedisDeadLetters.of(store).replay(topic, group, first.id()));
        assertFalse(RedisDeadLetters.of(store).replay(topic, group, first.id()), "replayed once");
        ClaimedMessage replayed = store.claim(topic, group, shard, "c", 1).get(0);
        assertEquals(first.id(), replayed.envelope().id());
        assertEquals(0, replayed.envelope().attempts(), "a replay starts with fresh attempts");
        assertArrayEquals(first.message().body(), replayed.envelope().message().body());
        store.ack(replayed);
        assertEquals(0, store.backlog(topic, group));
    }

    @Test
    void everyGroupGetsEveryMessage() {
        String topic = "fanout";
        List<Envelope> sent = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Envelope e = envelope(topic, null, "m" + i);
            store.append(e, List.of("billing", "shipping", "billing"));
            sent.add(e);
        }
        assertEquals(50, store.backlog(topic, "billing"), "a duplicate group name is written once");
        assertEquals(50, store.backlog(topic, "shipping"));
        Set<String> ids = new HashSet<>();
        sent.forEach(e -> ids.add(e.id()));
        Set<String> billing = new HashSet<>();
        drain(store, topic, "billing", "c").forEach(m -> billing.add(m.envelope().id()));
        Set<String> shipping = new HashSet<>();
        drain(store, topic, "shipping", "c").forEach(m -> shipping.add(m.envelope().id()));
        assertEquals(ids, billing);
        assertEquals(ids, shipping);
    }

    @Test
    void messagesWithoutAGroupWaitUnclaimedAndTheFirstGroupAdoptsThemInOrder() {
        String topic = "nobody";
        for (int i = 0; i < 30; i++) {
            store.append(envelope(topic, "k", "x", "seq", Integer.toString(i)), List.of());
        }
        assertEquals(30, store.backlog(topic, KeyLayout.UNCLAIMED_GROUP));
        store.append(envelope(topic, "k", "x", "seq", "30"), List.of("first"));
        assertEquals(30, store.adoptUnclaimed(topic, "first"));
        assertEquals(0, store.adoptUnclaimed(topic, "second"), "the first group took them");
        assertEquals(0, store.backlog(topic, KeyLayout.UNCLAIMED_GROUP));
        List<ClaimedMessage> got = drain(store, topic, "first", "c");
        List<Integer> seqs = new ArrayList<>();
        got.forEach(m -> seqs.add(Integer.parseInt(m.envelope().message().properties().get("seq"))));
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i <= 30; i++) {
            expected.add(i);
        }
        assertEquals(expected, seqs, "adopted messages come first, in send order");
    }

    @Test
    void backlogCapRefusesWithBacklogFullAndEvictsNothing() {
        try (RedisFallbackStore capped = RedisFallbackStore.builder()
                .standalone(redis.server().host(), redis.server().port())
                .namespace("capped").shards(4).maxBacklogPerShard(5).build()) {
            capped.start();
            String topic = "cap";
            List<String> accepted = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Envelope e = envelope(topic, "one-key", "m" + i);
                capped.append(e, List.of("g", "h"));
                accepted.add(e.id());
            }
            FallbackStoreException full = assertThrows(FallbackStoreException.class,
                    () -> capped.append(envelope(topic, "one-key", "over"), List.of("g", "h")));
            assertEquals(FallbackStoreException.Reason.BACKLOG_FULL, full.reason());
            assertTrue(full.getMessage().contains("maxBacklogPerShard=5"), full.getMessage());
            assertEquals(5, capped.backlog(topic, "g"));
            assertEquals(5, capped.backlog(topic, "h"));

            int shard = capped.shardFor(envelope(topic, "one-key", "x").message());
            List<ClaimedMessage> two = capped.claim(topic, "g", shard, "c", 2);
            assertThrows(FallbackStoreException.class,
                    () -> capped.append(envelope(topic, "one-key", "still-over"), List.of("g")),
                    "in-flight messages count towards the cap");
            capped.ackAll(two);
            capped.append(envelope(topic, "one-key", "fits-again"), List.of("g"));

            List<String> gIds = new ArrayList<>();
            two.forEach(m -> gIds.add(m.envelope().id()));
            drain(capped, topic, "g", "c").forEach(m -> gIds.add(m.envelope().id()));
            assertEquals(accepted, gIds.subList(0, 5), "nothing evicted, order kept");
            List<String> hIds = new ArrayList<>();
            drain(capped, topic, "h", "c").forEach(m -> hIds.add(m.envelope().id()));
            assertEquals(accepted, hIds, "the refused fan-out wrote to no group");
        }
    }

    @Test
    void bodiesOverTheLimitAreRejectedBeforeAnyIo() {
        try (RedisFallbackStore small = RedisFallbackStore.builder()
                .standalone(redis.server().host(), redis.server().port()).namespace("small").maxBodySize(10).build()) {
            small.start();
            FallbackStoreException e = assertThrows(FallbackStoreException.class,
                    () -> small.append(envelope("big", null, "eleven-byte"), List.of("g")));
            assertEquals(FallbackStoreException.Reason.REJECTED, e.reason());
            assertEquals(0, small.backlog("big", "g"));
        }
    }

    @Test
    void fourMebibyteMessageRoundTrips() {
        byte[] body = new byte[4 * 1024 * 1024];
        java.util.Arrays.fill(body, (byte) 'z');
        Envelope e = new Envelope(java.util.UUID.randomUUID().toString(),
                dev.smartmq.api.Message.builder("huge").body(body).build(), 1L, 0);
        store.append(e, List.of("g"));
        List<ClaimedMessage> got = drain(store, "huge", "g", "c");
        assertEquals(1, got.size());
        assertArrayEquals(body, got.get(0).envelope().message().body());
    }

    @Test
    void idempotencyGuardRemembersIdsForTheirTtl() {
        String id = java.util.UUID.randomUUID().toString();
        assertTrue(store.idempotencyGuard().firstSeen("g", id, Duration.ofMinutes(5)));
        assertFalse(store.idempotencyGuard().firstSeen("g", id, Duration.ofMinutes(5)));
        assertTrue(store.idempotencyGuard().firstSeen("other-group", id, Duration.ofMinutes(5)), "per group");
        try (Jedis jedis = redis.server().newClient()) {
            long pttl = jedis.pttl(store.idempotencyGuard().key("g", id));
            assertTrue(pttl > 0 && pttl <= 300_000, "bounded by its TTL: " + pttl);
        }
        store.idempotencyGuard().forget("g", id);
        assertTrue(store.idempotencyGuard().firstSeen("g", id, Duration.ofMillis(200)));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> store.idempotencyGuard().firstSeen("g", id, Duration.ofMinutes(1)));
    }

    @Test
    void claimOnAnEmptyShardIsEmptyAndInputIsValidated() {
        assertTrue(store.claim("empty", "g", 0, "c", 10).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> store.claim("empty", "g", 128, "c", 10));
        assertThrows(IllegalArgumentException.class, () -> store.claim("empty", "g", 0, "c", 0));
        assertThrows(IllegalArgumentException.class, () -> store.claim("bad topic", "g", 0, "c", 1));
        assertThrows(IllegalArgumentException.class,
                () -> store.append(envelope("t", null, "x"), List.of("bad:group")));
    }

    private static byte[] keyOf(String topic, String group, int shard) {
        return ("smq:{it:" + topic + ":" + shard + "}:" + group + ":q").getBytes(StandardCharsets.UTF_8);
    }

}
