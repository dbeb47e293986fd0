package dev.smartmq.redis;

import static dev.smartmq.redis.Fixtures.drain;
import static dev.smartmq.redis.Fixtures.envelope;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.Message;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.redis.RedisServer;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Issue 12 item 12: a builder is not a config; changing it after {@code build()} leaves the store as built. */
class StoreSettingsIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    @Test
    void aBuilderChangedAfterBuildDoesNotChangeTheRunningStore() {
        RedisServer server = redis.server();
        RedisFallbackStore.Builder b = RedisFallbackStore.builder().standalone(server.host(), server.port())
                .namespace("frozen").shards(4).maxBacklogPerShard(3).maxBodySize(1024);
        try (RedisFallbackStore store = b.build()) {
            store.start();
            b.namespace("other").shards(64).maxBacklogPerShard(1_000_000).maxBodySize(10).writerThreads(8);

            assertEquals(4, store.shardCount(), "shards as built");
            assertEquals("frozen", store.namespace(), "namespace as built");
            assertTrue(store.toString().contains("shards=4"), store.toString());

            // maxBodySize as built (1024): a 100-byte body is still accepted.
            Envelope big = new Envelope(UUID.randomUUID().toString(),
                    Message.builder("settings").key("k").body("x".repeat(100)).build(), 1L, 0);
            store.append(big, List.of("g"));
            // maxBacklogPerShard as built (3): same key, same shard, the fourth append is refused.
            store.append(envelope("settings", "k", "2"), List.of("g"));
            store.append(envelope("settings", "k", "3"), List.of("g"));
            FallbackStoreException full = assertThrows(FallbackStoreException.class,
                    () -> store.append(envelope("settings", "k", "4"), List.of("g")));
            assertEquals(FallbackStoreException.Reason.BACKLOG_FULL, full.reason(), full.getMessage());

            assertEquals(3, drain(store, "settings", "g", "c1").size(), "every stored message is found");
        }
    }
}
