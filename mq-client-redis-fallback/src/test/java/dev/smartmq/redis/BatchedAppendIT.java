package dev.smartmq.redis;

import static dev.smartmq.redis.Fixtures.drain;
import static dev.smartmq.redis.Fixtures.envelope;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.redis.RedisServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The group-commit writer sends a flush as one batched append script (issue 19): every append of a batch must get
 * exactly the outcome it would have had alone, in submission order — the backlog cap counted message by message,
 * a full group skipped only for the messages that no longer fit, per-shard order kept across different group sets.
 */
class BatchedAppendIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static final int CAP = 50;
    private static RedisFallbackStore store;

    @BeforeAll
    static void startStore() {
        RedisServer server = redis.server();
        store = RedisFallbackStore.builder().standalone(server.host(), server.port()).namespace("batched")
                .shards(1).maxBacklogPerShard(CAP).writerThreads(1).build();
        store.start();
    }

    @AfterAll
    static void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void theCapCountsEveryMessageOfABatchInOrder() {
        String topic = "capped";
        long[] before = store.writerStats();
        List<Envelope> sent = new ArrayList<>();
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Envelope e = envelope(topic, "k" + (i % 7), "m" + i);
            sent.add(e);
            futures.add(store.appendAsync(e, List.of("a")));
        }
        List<String> stored = new ArrayList<>();
        int refused = 0;
        for (int i = 0; i < futures.size(); i++) {
            try {
                futures.get(i).join();
                stored.add(sent.get(i).id());
            } catch (CompletionException e) {
                FallbackStoreException f = (FallbackStoreException) e.getCause();
                assertEquals(FallbackStoreException.Reason.BACKLOG_FULL, f.reason(), f.getMessage());
                refused++;
            }
        }
        long[] after = store.writerStats();
        assertTrue(after[1] - before[1] < after[0] - before[0], "appends were batched: " + (after[0] - before[0])
                + " appends in " + (after[1] - before[1]) + " pipelines");
        assertEquals(sent.subList(0, CAP).stream().map(Envelope::id).toList(), stored, "the first CAP fit, in order");
        assertEquals(200 - CAP, refused, "every other one refused, none lost silently");
        assertEquals(stored, drain(store, topic, "a", "c").stream().map(m -> m.envelope().id()).toList(),
                "queued in submission order");
    }

    @Test
    void aFullGroupIsSkippedOnlyForTheMessagesThatNoLongerFitAndOrderHoldsAcrossGroupSets() {
        String topic = "fanout";
        for (int i = 0; i < CAP - 5; i++) {
            store.append(envelope(topic, "k", "pre" + i), List.of("b"));
        }
        List<Envelope> sent = new ArrayList<>();
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        List<String> toB = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Envelope e = envelope(topic, "k", "m" + i);
            sent.add(e);
            boolean both = i % 2 == 0;
            if (both && toB.size() < 5) {
                toB.add(e.id());
            }
            futures.add(store.appendAsync(e, both ? List.of("a", "b") : List.of("a")));
        }
        futures.forEach(CompletableFuture::join);
        assertEquals(sent.stream().map(Envelope::id).toList(),
                drain(store, topic, "a", "c").stream().map(m -> m.envelope().id()).toList(),
                "group a got all 20 in order, whatever group set each had");
        List<String> b = drain(store, topic, "b", "c").stream().map(m -> m.envelope().id()).toList();
        assertEquals(CAP, b.size(), "b filled exactly to its cap");
        assertEquals(toB, b.subList(CAP - 5, CAP), "the first five for b fit, the rest were skipped for b only");
    }
}
