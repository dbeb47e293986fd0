package dev.smartmq.redis;

import static dev.smartmq.redis.Fixtures.drain;
import static dev.smartmq.redis.Fixtures.envelope;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.redis.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Faults caused for real: SIGKILL and SIGSTOP of the redis-server the store talks to. */
class RedisFaultIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static final Duration SOCKET_TIMEOUT = Duration.ofMillis(800);

    private static RedisFallbackStore newStore(String namespace) {
        RedisServer server = redis.server();
        RedisFallbackStore store = RedisFallbackStore.builder().standalone(server.host(), server.port())
                .namespace(namespace).shards(16).timeouts(Duration.ofMillis(800), SOCKET_TIMEOUT).build();
        store.start();
        return store;
    }

    @Test
    void sigkillDuringConcurrentWritesLosesNoConfirmedAppendAndTheSameStoreRecovers() throws Exception {
        RedisServer server = redis.server();
        try (RedisFallbackStore store = newStore("kill")) {
            String topic = "kill";
            Set<String> confirmed = ConcurrentHashMap.newKeySet();
            Set<String> failed = ConcurrentHashMap.newKeySet();
            Map<FallbackStoreException.Reason, AtomicInteger> reasons = new ConcurrentHashMap<>();
            AtomicLong attempts = new AtomicLong();
            AtomicInteger other = new AtomicInteger();
            int threads = 8;
            int maxPerThread = 20_000;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    int failures = 0;
                    for (int i = 0; i < maxPerThread && failures < 30; i++) {
                        Envelope e = envelope(topic, "t" + thread + "-k" + (i % 7), "m" + i);
                        attempts.incrementAndGet();
                        try {
                            store.append(e, List.of("g"));
                            confirmed.add(e.id());
                        } catch (FallbackStoreException ex) {
                            failed.add(e.id());
                            reasons.computeIfAbsent(ex.reason(), r -> new AtomicInteger()).incrementAndGet();
                            failures++;
                        } catch (RuntimeException ex) {
                            other.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> confirmed.size() >= 3_000);
            server.kill();
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();
            System.out.printf("SIGKILL during writes: attempts=%d confirmed=%d failed=%d reasons=%s other=%d%n",
                    attempts.get(), confirmed.size(), failed.size(), reasons, other.get());
            assertEquals(0, other.get(), "every failure is a FallbackStoreException");
            assertEquals(attempts.get(), confirmed.size() + failed.size(), "every append confirmed or failed");
            assertFalse(failed.isEmpty(), "the kill must have failed some appends");

            server.restart();

            // the same store instance works again (first calls may still meet dead pooled connections)
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                    store.append(envelope(topic, null, "after-restart"), List.of("g")));
            Set<String> present = new HashSet<>();
            drain(store, topic, "g", "checker").forEach(m -> present.add(m.envelope().id()));
            Set<String> missing = new HashSet<>(confirmed);
            missing.removeAll(present);
            assertTrue(missing.isEmpty(), missing.size() + " confirmed appends lost after SIGKILL + restart");
            Set<String> failedButPresent = new HashSet<>(failed);
            failedButPresent.retainAll(present);
            System.out.printf("after restart: present=%d, all %d confirmed present, %d failed-but-present "
                    + "(UNAVAILABLE = may or may not be stored)%n", present.size(), confirmed.size(), failedButPresent.size());
        }
    }

    @Test
    void pausedServerFailsCallsWithinTheTimeoutAndNoThreadIsStuck() throws Exception {
        RedisServer server = redis.server();
        try (RedisFallbackStore store = newStore("pause")) {
            String topic = "pause";
            for (int i = 0; i < 20; i++) {
                store.append(envelope(topic, null, "m" + i), List.of("g"));
            }
            server.pause();
            List<Callable<String>> calls = List.of(
                    () -> call(() -> store.append(envelope(topic, null, "x"), List.of("g"))),
                    () -> call(() -> store.appendAsync(envelope(topic, null, "y"), List.of("g")).join()),
                    () -> call(() -> store.claim(topic, "g", 3, "c", 10)),
                    () -> call(() -> store.backlog(topic, "g")),
                    () -> call(() -> store.recoverOrphans(topic, "g", Set.of("c"))),
                    () -> call(() -> store.idempotencyGuard().firstSeen("g", "id", Duration.ofSeconds(5))));
            ExecutorService pool = Executors.newFixedThreadPool(calls.size());
            long start = System.nanoTime();
            List<Future<String>> results = pool.invokeAll(calls, 30, TimeUnit.SECONDS);
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            pool.shutdownNow();
            try {
                for (Future<String> f : results) {
                    assertFalse(f.isCancelled(), "a call was stuck on the paused server");
                    assertTrue(f.get().startsWith("UNAVAILABLE"), "expected UNAVAILABLE, got " + f.get());
                }
                System.out.printf("paused server: %d calls failed UNAVAILABLE within %d ms (socket timeout %d ms)%n",
                        calls.size(), tookMs, SOCKET_TIMEOUT.toMillis());
                assertTrue(tookMs < 15_000, "calls must fail within the configured timeouts, took " + tookMs + " ms");
                assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS), "no thread stuck");
            } finally {
                server.resume();
            }
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                    store.append(envelope(topic, null, "after-resume"), List.of("g")));
            assertTrue(store.backlog(topic, "g") >= 21);
        }
    }

    /**
     * An append that never left the client (writer queue full behind a paused server, waited past its deadline while
     * queued) says so ({@link FallbackStoreException#notStored()}) and is never stored; one that went
     * out and got no answer does not claim that. The history is checked against what the server holds afterwards.
     */
    @Test
    void appendsThatNeverLeftTheClientSaySoAndAreNeverStored() throws Exception {
        RedisServer server = redis.server();
        String topic = "notsent";
        RedisFallbackStore store = RedisFallbackStore.builder().standalone(server.host(), server.port())
                .namespace("notsent").shards(4).timeouts(Duration.ofMillis(800), SOCKET_TIMEOUT)
                .writerThreads(1).maxBatchSize(1).writerQueueCapacity(4).build();
        store.start();
        try {
            store.append(envelope(topic, null, "warm-up"), List.of("g"));
            Map<String, java.util.concurrent.CompletableFuture<Void>> appends = new java.util.LinkedHashMap<>();
            server.pause();
            try {
                for (int i = 0; i < 40; i++) {
                    Envelope e = envelope(topic, null, "p" + i);
                    appends.put(e.id(), store.appendAsync(e, List.of("g")));
                }
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> appends.values().stream().allMatch(java.util.concurrent.CompletableFuture::isDone));
            } finally {
                server.resume();
            }
            Set<String> confirmed = new HashSet<>();
            Set<String> notSent = new HashSet<>();
            Set<String> unknown = new HashSet<>();
            appends.forEach((id, f) -> {
                if (!f.isCompletedExceptionally()) {
                    confirmed.add(id);
                    return;
                }
                Throwable t = f.handle((v, e) -> e).join();
                t = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
                FallbackStoreException fse = assertInstanceOf(FallbackStoreException.class, t);
                assertEquals(FallbackStoreException.Reason.UNAVAILABLE, fse.reason(), fse.getMessage());
                (fse.notStored() ? notSent : unknown).add(id);
            });
            System.out.printf("paused server, queue of 4: %d confirmed, %d not sent, %d outcome unknown%n",
                    confirmed.size(), notSent.size(), unknown.size());
            // one writer, one append per pipeline, four may wait: everything past the first five was refused at once
            assertTrue(notSent.size() >= 35, "appends refused before they were sent must say so: " + notSent.size()
                    + " of 40 did (unknown " + unknown.size() + ")");

            Set<String> stored = new HashSet<>();
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                    drain(store, topic, "g", "c").forEach(m -> stored.add(m.envelope().id())));
            for (String id : notSent) {
                assertFalse(stored.contains(id), "append " + id + " said 'not stored' and was stored");
            }
            assertTrue(stored.containsAll(confirmed), "every confirmed append is stored");
        } finally {
            store.close();
        }
        // a call after close() is a lifecycle error, said as such (an append racing close() is failed "not sent")
        IllegalStateException closed = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> store.append(envelope(topic, null, "after-close"), List.of("g")));
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
    }

    /**
     * A server that refuses the append before running it (here a read-only replica: {@code READONLY}; also
     * {@code LOADING}, {@code MASTERDOWN}, {@code BUSY}, {@code MOVED}/{@code ASK}, {@code TRYAGAIN},
     * {@code CLUSTERDOWN}) did not store it, and the failure says so.
     */
    @Test
    void anAppendTheServerRefusedBeforeRunningItSaysItWasNotStored() {
        RedisServer master = redis.server();
        try (RedisServer replica = RedisServer.builder().config("replicaof", master.host() + " " + master.port())
                .start();
             RedisFallbackStore store = RedisFallbackStore.builder().standalone(replica.host(), replica.port())
                     .namespace("readonly").shards(4).timeouts(Duration.ofMillis(800), SOCKET_TIMEOUT).build()) {
            store.start();
            FallbackStoreException e = org.junit.jupiter.api.Assertions.assertThrows(FallbackStoreException.class,
                    () -> store.append(envelope("readonly", null, "x"), List.of("g")));
            assertEquals(FallbackStoreException.Reason.UNAVAILABLE, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("READONLY"), e.getMessage());
            assertTrue(e.notStored(), "a refused append was not stored: " + e.getMessage());
        }
    }

    @Test
    void aClaimWhoseReplyWasLostIsReturnedByTheNextClaim() throws Exception {
        RedisServer server = redis.server();
        try (RedisFallbackStore store = newStore("lost")) {
            String topic = "lost";
            Set<String> sent = new HashSet<>();
            for (int i = 0; i < 10; i++) {
                Envelope e = envelope(topic, "one-key", "m" + i);
                store.append(e, List.of("g"));
                sent.add(e.id());
            }
            int shard = store.shardFor(envelope(topic, "one-key", "x").message());
            server.pause();
            try {
                store.claim(topic, "g", shard, "consumer-1", 5);
                fail("a claim on a paused server must fail");
            } catch (FallbackStoreException e) {
                assertEquals(FallbackStoreException.Reason.UNAVAILABLE, e.reason());
            } finally {
                server.resume();
            }
            // The claim was sent before the pause ended: Redis runs it on SIGCONT, moving 5 messages into
            // consumer-1's in-flight hash although consumer-1 never saw them.
            await().atMost(Duration.ofSeconds(10)).until(() -> store.backlogPerShard(topic, "g").get(shard).inFlight() == 5);
            List<ClaimedMessage> got = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                List<ClaimedMessage> batch = store.claim(topic, "g", shard, "consumer-1", 100);
                got.addAll(batch);
                store.ackAll(batch);
                return got.size() >= 10;
            });
            Set<String> ids = new HashSet<>();
            got.forEach(m -> ids.add(m.envelope().id()));
            assertEquals(sent, ids, "a live consumer never strands the messages of a lost claim");
            assertEquals(0, store.backlog(topic, "g"));
        }
    }

    private static String call(ThrowingRunnable r) {
        try {
            r.run();
            return "OK";
        } catch (FallbackStoreException e) {
            return e.reason().name() + ": " + e.getMessage();
        } catch (java.util.concurrent.CompletionException e) {
            return e.getCause() instanceof FallbackStoreException f ? f.reason().name() + ": " + f.getMessage()
                    : "OTHER: " + e;
        } catch (RuntimeException e) {
            return "OTHER: " + e;
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run();
    }
}
