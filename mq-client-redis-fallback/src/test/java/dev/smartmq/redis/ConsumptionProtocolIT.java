package dev.smartmq.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.smartmq.spi.IdempotencyGuard.Verdict;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.redis.RedisServer;
import java.time.Duration;
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
                .build();
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
}
