package dev.smartmq.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.Message;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.redis.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;

/**
 * Issue 21: a message with a {@code deliverAt} ahead, appended to the fallback store (the degraded path), is held
 * until its time: not claimable before, claimable after, by every group it was sent to; counted by
 * {@code delayedBacklog} (what the drain decision adds) until moved; still moved when the store that held it is
 * closed and a new one starts (a consumer restart); none lost and none twice under a short load with two stores;
 * an idle store looks at the index a bounded number of times. Real redis-server, one for the class.
 */
class DelayedMessagesIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static final int SHARDS = 4;

    private static RedisFallbackStore store(String ns) {
        RedisServer server = redis.server();
        RedisFallbackStore s = RedisFallbackStore.builder().standalone(server.host(), server.port())
                .namespace(ns).shards(SHARDS).build();
        s.start();
        return s;
    }

    private static Envelope delayed(String topic, String key, String body, long deliverAt) {
        Message m = Message.builder(topic).key(key).body(body).deliverAt(deliverAt).build();
        return new Envelope(UUID.randomUUID().toString(), m, System.currentTimeMillis(), 0);
    }

    /** One claim over every shard of (topic, group), acknowledged; returns what it got with the time it got it. */
    private static List<ClaimedMessage> claimAll(RedisFallbackStore s, String topic, String group) {
        List<ClaimedMessage> got = new ArrayList<>();
        for (int shard = 0; shard < SHARDS; shard++) {
            List<ClaimedMessage> c = s.claim(topic, group, shard, "c1", 100);
            s.ackAll(c);
            got.addAll(c);
        }
        return got;
    }

    @Test
    void theHeldMessagesDueBeforeATimeAreCountedOverEveryShard() {
        try (RedisFallbackStore s = store("delay-due-before")) {
            String topic = "orders";
            long now = System.currentTimeMillis();
            long[] dues = {now + 60_000, now + 600_000, now + 86_400_000L, now + 86_400_000L * 30};
            for (int i = 0; i < dues.length; i++) {
                s.append(delayed(topic, "k" + i, "v" + i, dues[i]), List.of("g1"));
            }
            assertEquals(4, s.delayedBacklog(topic, "g1"));
            assertEquals(0, s.delayedBacklogDueBefore(topic, "g1", now));
            assertEquals(1, s.delayedBacklogDueBefore(topic, "g1", now + 300_000));
            assertEquals(1, s.delayedBacklogDueBefore(topic, "g1", dues[1]), "due exactly then: not before it");
            assertEquals(3, s.delayedBacklogDueBefore(topic, "g1", now + 86_400_000L * 2));
            assertEquals(4, s.delayedBacklogDueBefore(topic, "g1", Long.MAX_VALUE));
            assertEquals(0, s.delayedBacklogDueBefore(topic, "g2", Long.MAX_VALUE));
        }
    }

    @Test
    void aDelayedMessageIsHeldUntilItsTimeThenDeliveredToEveryGroup() {
        try (RedisFallbackStore s = store("delay-basic")) {
            String topic = "orders";
            long due = System.currentTimeMillis() + 2_000;
            Envelope later = delayed(topic, "k1", "later", due);
            Envelope now = new Envelope(UUID.randomUUID().toString(),
                    Message.builder(topic).key("k1").body("now").build(), System.currentTimeMillis(), 0);
            s.append(later, List.of("g1", "g2"));
            s.append(now, List.of("g1", "g2"));

            assertEquals(1, s.delayedBacklog(topic, "g1"));
            assertEquals(1, s.delayedBacklog(topic, "g2"));
            List<ClaimedMessage> first = claimAll(s, topic, "g1");
            assertEquals(List.of(now.id()), first.stream().map(c -> c.envelope().id()).toList(),
                    "only the undelayed message is there before the delayed one's time");
            assertEquals(0, s.backlog(topic, "g1"), "held messages are not in the queue's backlog");

            for (String g : List.of("g1", "g2")) {
                List<ClaimedMessage> got = new ArrayList<>();
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
                    List<ClaimedMessage> c = claimAll(s, topic, g);
                    if (!c.isEmpty() && System.currentTimeMillis() < due) {
                        throw new AssertionError("delivered " + (due - System.currentTimeMillis()) + " ms early");
                    }
                    got.addAll(c);
                    return got.stream().anyMatch(m -> m.envelope().id().equals(later.id()));
                });
                assertEquals("later", new String(got.stream().filter(m -> m.envelope().id().equals(later.id()))
                        .findFirst().orElseThrow().envelope().message().body()));
                assertEquals(0, s.delayedBacklog(topic, g));
            }
        }
    }

    @Test
    void heldMessagesSurviveTheStoreThatHeldThemAndAreMovedByANewOne() {
        String topic = "restart";
        long due = System.currentTimeMillis() + 2_500;
        Set<String> sent = ConcurrentHashMap.newKeySet();
        try (RedisFallbackStore producer = store("delay-restart")) {
            for (int i = 0; i < 20; i++) {
                Envelope e = delayed(topic, "k" + i, "m" + i, due);
                producer.append(e, List.of("g"));
                sent.add(e.id());
            }
        } // the store that held them (and its mover) is gone before they are due
        try (RedisFallbackStore consumer = store("delay-restart")) {
            assertEquals(20, consumer.delayedBacklog(topic, "g"));
            assertTrue(claimAll(consumer, topic, "g").isEmpty() || System.currentTimeMillis() >= due,
                    "nothing before its time");
            Set<String> got = ConcurrentHashMap.newKeySet();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
                List<ClaimedMessage> c = claimAll(consumer, topic, "g");
                if (!c.isEmpty() && System.currentTimeMillis() < due) {
                    throw new AssertionError("delivered early");
                }
                c.forEach(m -> got.add(m.envelope().id()));
                return got.size() == sent.size();
            });
            assertEquals(sent, got);
            assertEquals(0, consumer.delayedBacklog(topic, "g"));
        }
    }

    @Test
    void noneLostNoneTwiceUnderAShortLoadWithTwoStores() throws Exception {
        String topic = "load";
        int count = 1_000;
        Map<String, Long> dueById = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
        AtomicInteger early = new AtomicInteger();
        try (RedisFallbackStore producer = store("delay-load"); RedisFallbackStore consumer = store("delay-load")) {
            Thread reader = new Thread(() -> {
                long until = System.currentTimeMillis() + 60_000;
                while (received.size() < count && System.currentTimeMillis() < until) {
                    List<ClaimedMessage> got = claimAll(consumer, topic, "g");
                    if (got.isEmpty()) {
                        java.util.concurrent.locks.LockSupport.parkNanos(2_000_000); // pacing of the poll loop
                    }
                    for (ClaimedMessage m : got) {
                        received.computeIfAbsent(m.envelope().id(), k -> new AtomicInteger()).incrementAndGet();
                        Long due = dueById.get(m.envelope().id());
                        if (due != null && System.currentTimeMillis() < due) {
                            early.incrementAndGet();
                        }
                    }
                }
            }, "delayed-load-reader");
            reader.start();
            List<CompletableFuture<Void>> acks = new ArrayList<>();
            long start = System.currentTimeMillis();
            for (int i = 0; i < count; i++) {
                long due = System.currentTimeMillis() + ThreadLocalRandom.current().nextLong(0, 3_000);
                Envelope e = delayed(topic, "k" + (i % 50), "m" + i, due);
                dueById.put(e.id(), due);
                acks.add(producer.appendAsync(e, List.of("g")));
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, java.util.concurrent.TimeUnit.SECONDS);
            reader.join(70_000);
            long took = System.currentTimeMillis() - start;
            long duplicates = received.values().stream().filter(n -> n.get() > 1).count();
            System.out.printf("delayed load: %d sent (delays 0-3 s), %d received, %d duplicates, %d early, %d ms%n",
                    count, received.size(), duplicates, early.get(), took);
            assertEquals(dueById.keySet(), received.keySet(), "every delayed message delivered, none lost");
            assertEquals(0, duplicates, "two movers never move a message twice");
            assertEquals(0, early.get(), "none delivered before its time");
            assertEquals(0, consumer.delayedBacklog(topic, "g"));
            assertEquals(0, consumer.backlog(topic, "g"));
        }
    }

    @Test
    void anIdleStoreLooksAtTheIndexABoundedNumberOfTimes() throws Exception {
        RedisServer server = redis.server();
        try (RedisFallbackStore holder = store("delay-idle")) {
            holder.append(delayed("idle", "k", "x", System.currentTimeMillis() + 600_000), List.of("g"));
        }
        // Started while something is held far ahead: the mover is active (not dormant) and backs off to its maximum.
        try (RedisFallbackStore s = store("delay-idle")) {
            Map<String, Long> before = Fixtures.commandStats(server);
            long t0 = System.nanoTime();
            await().pollDelay(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(10)).until(() -> true);
            double seconds = (System.nanoTime() - t0) / 1e9;
            Map<String, Long> after = Fixtures.commandStats(server);
            long calls = 0;
            for (Map.Entry<String, Long> e : after.entrySet()) {
                if (!e.getKey().equals("info")) {
                    calls += e.getValue() - before.getOrDefault(e.getKey(), 0L);
                }
            }
            System.out.printf("idle delayed mover, one message held 10 min ahead: %d commands in %.1f s (%.1f/s) %s%n",
                    calls, seconds, calls / seconds, after);
            // Backing off 50 ms -> 1 s: about 6 looks in the first 2 s, then one a second; a look is 2 commands
            // (ZRANGEBYSCORE due, ZRANGE next). The other stores of this class are closed.
            assertTrue(calls >= 2, "the active mover does look: " + calls);
            assertTrue(calls <= 2 * (8 + (long) Math.ceil(seconds)), "no polling storm: " + calls + " commands");
            assertEquals(1, s.delayedBacklog("idle", "g"));
        }
    }

    /**
     * {@code smartmq-admin groups remove --purge}: deleting a group deletes its delayed messages with the rest (and
     * counts them), removes its entries from the namespace's index, and the mover never moves them into the deleted
     * group's shards afterwards. Another group of the same messages keeps its own.
     */
    @Test
    void deleteGroupDeletesItsDelayedMessagesAndTheMoverNeverRecreatesItsQueue() {
        String ns = "delay-purge";
        String topic = "purged";
        long due = System.currentTimeMillis() + 4_000; // far enough for the appends and the delete on a loaded machine
        Set<String> keptIds = new java.util.HashSet<>();
        Set<Integer> heldShards = new java.util.TreeSet<>();
        try (RedisFallbackStore s = store(ns)) {
            for (int i = 0; i < 8; i++) { // keys spread over the shards
                Envelope e = delayed(topic, "k" + i, "d" + i, due);
                s.append(e, List.of("a-gone", "b-kept"));
                keptIds.add(e.id());
                heldShards.add(s.shardFor(e.message()));
            }
            s.append(new Envelope(UUID.randomUUID().toString(), Message.builder(topic).key("k0").body("now").build(),
                    System.currentTimeMillis(), 0), List.of("a-gone"));
            assertEquals(8, s.delayedBacklog(topic, "a-gone"));

            long deleted = s.deleteGroup(topic, "a-gone");

            List<String> zsetsLeft = new ArrayList<>();
            List<String> indexLeft = new ArrayList<>();
            try (Jedis jedis = redis.server().newClient()) {
                for (int shard = 0; shard < SHARDS; shard++) {
                    if (jedis.exists(zset(ns, topic, "a-gone", shard))) {
                        zsetsLeft.add(zset(ns, topic, "a-gone", shard));
                    }
                    if (jedis.zscore("smq:" + ns + ":#delayed", topic + "/a-gone/" + shard) != null) {
                        indexLeft.add(topic + "/a-gone/" + shard);
                    }
                }
            }
            // Past the due time, a full mover pass: a store's start() runs one on the caller's thread.
            await().atMost(Duration.ofSeconds(30)).until(() -> System.currentTimeMillis() > due + 50);
            Set<String> keptGot = new java.util.HashSet<>();
            List<String> queuesRecreated = new ArrayList<>();
            long[] goneBacklog = new long[2];
            try (RedisFallbackStore again = store(ns); Jedis jedis = redis.server().newClient()) {
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
                    claimAll(again, topic, "b-kept").forEach(m -> keptGot.add(m.envelope().id()));
                    return keptGot.size() == keptIds.size();
                });
                for (int shard = 0; shard < SHARDS; shard++) {
                    String q = "smq:{" + ns + ":" + topic + ":" + shard + "}:a-gone:q";
                    if (jedis.exists(q)) {
                        queuesRecreated.add(q + " (" + jedis.llen(q) + " values)");
                    }
                }
                goneBacklog[0] = again.backlog(topic, "a-gone");
                goneBacklog[1] = again.delayedBacklog(topic, "a-gone");
            }
            assertEquals(keptIds, keptGot, "the other group keeps its delayed messages");
            org.junit.jupiter.api.Assertions.assertAll(
                    () -> assertEquals(9, deleted, "1 queued + 8 delayed messages deleted"),
                    () -> assertEquals(List.of(), zsetsLeft, "delayed sets of the deleted group"),
                    () -> assertEquals(List.of(), indexLeft, "index entries of the deleted group"),
                    () -> assertEquals(List.of(), queuesRecreated, "queues of the deleted group after its delayed "
                            + "messages were due (shards that held some: " + heldShards + ")"),
                    () -> assertEquals(0, goneBacklog[0], "backlog of the deleted group after the move"),
                    () -> assertEquals(0, goneBacklog[1], "delayed backlog of the deleted group"));
        }
    }

    /**
     * A corrupt key (one group's delayed set overwritten with a string) fails a delayed append to two groups with a
     * clear error, and what the error says is true: "not stored" means no group holds it. Before the fix the hold
     * script wrote the first group's copy, then failed on the second's key (WRONGTYPE, REJECTED = "not stored"), so a
     * caller told "neither stored it" had it delivered to the first group anyway.
     */
    @Test
    void aCorruptDelayedSetFailsTheAppendBeforeAnyGroupHoldsIt() {
        String ns = "delay-corrupt";
        String topic = "orders";
        try (RedisFallbackStore s = store(ns); Jedis jedis = redis.server().newClient()) {
            for (int shard = 0; shard < SHARDS; shard++) {
                jedis.set(zset(ns, topic, "g2", shard), "not a sorted set");
            }
            FallbackStoreException e = org.junit.jupiter.api.Assertions.assertThrows(FallbackStoreException.class,
                    () -> s.append(delayed(topic, "k", "v", System.currentTimeMillis() + 3_600_000), List.of("g1", "g2")));
            assertTrue(e.getMessage().contains("WRONGTYPE"), e.getMessage());
            assertTrue(e.notStored(), e.getMessage());
            assertEquals(0, s.delayedBacklog(topic, "g1"), "the append said it stored nothing (" + e.getMessage()
                    + ") but group g1 holds it");
        }
    }

    private static String zset(String ns, String topic, String group, int shard) {
        return "smq:{" + ns + ":" + topic + ":" + shard + "}:" + group + ":z";
    }
}
