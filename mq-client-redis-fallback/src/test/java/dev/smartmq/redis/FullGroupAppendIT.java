package dev.smartmq.redis;

import static dev.smartmq.redis.Fixtures.drain;
import static dev.smartmq.redis.Fixtures.envelope;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.redis.RedisServer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** One full (abandoned) group must not fail the fallback sends of the healthy ones (issue 12 item 11). */
class FullGroupAppendIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static RedisFallbackStore store;

    @BeforeAll
    static void startStore() {
        RedisServer server = redis.server();
        store = RedisFallbackStore.builder().standalone(server.host(), server.port()).namespace("full")
                .shards(1).maxBacklogPerShard(5).build();
        store.start();
    }

    @AfterAll
    static void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void aFullGroupNeverFailsTheAppendOfTheHealthyGroups() {
        String topic = "orders";
        for (int i = 0; i < 5; i++) {
            store.append(envelope(topic, "k", "m" + i), List.of("ghost", "billing"));
        }
        assertEquals(5, drain(store, topic, "billing", "c").size());
        Envelope sixth = envelope(topic, "k", "m5");
        store.append(sixth, List.of("ghost", "billing"));
        assertEquals(List.of(sixth.id()), drain(store, topic, "billing", "c").stream().map(m -> m.envelope().id()).toList());
        assertEquals(5, store.backlog(topic, "ghost"), "the full group keeps what it had, nothing evicted");

        FallbackStoreException allFull = assertThrows(FallbackStoreException.class,
                () -> store.append(envelope(topic, "k", "m6"), List.of("ghost")));
        assertEquals(FallbackStoreException.Reason.BACKLOG_FULL, allFull.reason(), "every target full: refused loudly");
    }
}
