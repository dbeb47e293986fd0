package dev.smartmq.redis;

import static dev.smartmq.redis.Fixtures.drain;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.Message;
import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.redis.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 12 item 7 / DESIGN.md §4: a caller's {@code sendAsync} future never completes on the Redis group-commit
 * writer, so a callback that blocks (or sends synchronously) delays only its own caller, never anyone else's
 * append. One writer thread, so every append of the test queues behind the same writer; real redis-server.
 */
class AsyncSendCompletionIT {

    private static final String NS = "async-completion";
    private static final String TOPIC = "paid";
    private static final String GROUP = "billing";

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static RedisFallbackStore store;
    private static SmartMQ mq;
    private static final ExecutorService otherProducers = Executors.newFixedThreadPool(2);

    @BeforeAll
    static void start() {
        RedisServer server = redis.server();
        store = RedisFallbackStore.builder().standalone(server.host(), server.port()).namespace(NS).shards(8)
                .writerThreads(1).build();
        mq = SmartMQ.builder()
                .config(SmartMQConfig.custom().namespace(NS).shutdownTimeout(Duration.ofSeconds(2)).build())
                .transport(DegradedEngineStubs.deadMq())
                .fallbackStore(store)
                .degradationSwitch(DegradedEngineStubs.degradedSwitch(NS, GROUP))
                .build();
    }

    @AfterAll
    static void stop() {
        otherProducers.shutdownNow();
        if (mq != null) {
            mq.close(); // closes the store too
        }
    }

    private static Message message(String key, String body) {
        return Message.builder(TOPIC).key(key).body(body).build();
    }

    @Test
    void aBlockingCallbackCannotDelayAnotherProducersAppend() throws Exception {
        SmartProducer producer = mq.producer();
        Thread testThread = Thread.currentThread();
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<String> blockedThread = new AtomicReference<>();
        Set<String> sent = ConcurrentHashMap.newKeySet();
        CompletableFuture<Void> blocker = null;
        try {
            // The callback must run where the future completes, not inline on this thread (that happens only
            // if the append finished before thenAccept was attached): try a few times.
            for (int attempt = 0; attempt < 20 && blockedThread.get() == null; attempt++) {
                CompletableFuture<SendReceipt> first = producer.sendAsync(message("blocker", "b" + attempt));
                blocker = first.thenAccept(receipt -> {
                    sent.add(receipt.messageId());
                    if (Thread.currentThread() == testThread) {
                        return;
                    }
                    blockedThread.set(Thread.currentThread().getName());
                    try {
                        release.await(30, TimeUnit.SECONDS); // the caller's slow step: a blocking call
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                first.get(10, TimeUnit.SECONDS);
                CompletableFuture<Void> b = blocker;
                await().atMost(Duration.ofSeconds(5)).until(() -> b.isDone() || blockedThread.get() != null);
            }
            assertNotNull(blockedThread.get(), "a callback ran off the test thread and is blocked");

            // Meanwhile other producers, async and sync, on the same (single) writer, keys on other shards.
            CompletableFuture<SendReceipt> otherAsync = producer.sendAsync(message("other-async", "x"));
            CompletableFuture<SendReceipt> otherSync = CompletableFuture.supplyAsync(
                    () -> producer.send(message("other-sync", "y")), otherProducers);
            await("appends of others while one callback blocks").atMost(Duration.ofSeconds(5))
                    .until(() -> otherAsync.isDone() && otherSync.isDone());
            assertEquals(Route.FALLBACK, otherAsync.join().route());
            assertEquals(Route.FALLBACK, otherSync.join().route());
            sent.add(otherAsync.join().messageId());
            sent.add(otherSync.join().messageId());
            assertFalse(blocker.isDone(), "the blocking callback is still blocked: the scenario held");
            assertFalse(blockedThread.get().startsWith("smartmq-redis-writer"),
                    "the caller's callback runs on the group-commit writer: " + blockedThread.get());
        } finally {
            release.countDown();
        }
        blocker.get(10, TimeUnit.SECONDS);

        Set<String> stored = drain(store, TOPIC, GROUP, "checker").stream().map(c -> c.envelope().id())
                .collect(Collectors.toSet());
        assertTrue(stored.containsAll(sent), "every acknowledged message is in Redis: " + sent + " vs " + stored);
    }

    @Test
    void aSyncSendChainedOntoAnAsyncSendCompletes() throws Exception {
        SmartProducer producer = mq.producer();
        CompletableFuture<List<SendReceipt>> chained = producer.sendAsync(message("chain", "1"))
                .thenApply(first -> List.of(first, producer.send(message("chain", "2"))));
        await("a sync send chained onto sendAsync").atMost(Duration.ofSeconds(5)).until(chained::isDone);
        List<SendReceipt> receipts = chained.get();
        assertEquals(2, receipts.size());
        receipts.forEach(r -> assertEquals(Route.FALLBACK, r.route()));
        Set<String> stored = drain(store, TOPIC, GROUP, "checker").stream().map(c -> c.envelope().id())
                .collect(Collectors.toSet());
        assertTrue(stored.contains(receipts.get(0).messageId()) && stored.contains(receipts.get(1).messageId()),
                "both chained messages are in Redis");
    }
}
