package dev.smartmq.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.redis.RedisServer;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What an idle consumer costs Redis: a sweep of claims over 128 empty shards, measured with
 * INFO commandstats before and after. After the first sweep an empty shard costs one LLEN (no script).
 */
class IdlePollingIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    @Test
    void aSweepOverEmptyShardsCostsOneCommandPerShard() {
        RedisServer server = redis.server();
        try (RedisFallbackStore store = RedisFallbackStore.builder().standalone(server.host(), server.port())
                .namespace("idle").build()) {
            store.start();
            store.claim("warm", "g", 0, "c", 16); // loads the script (EVALSHA, NOSCRIPT, EVAL) outside the counts
            // The first sweep runs the claim script on every shard and learns that they are empty.
            Map<String, Long> first = Fixtures.commandStats(server);
            for (int s = 0; s < store.shardCount(); s++) {
                assertTrue(store.claim("idle", "g", s, "c", 16).isEmpty());
            }
            Map<String, Long> firstDelta = delta(first, Fixtures.commandStats(server));
            assertEquals(Map.of("evalsha", (long) store.shardCount(), "lpop", (long) store.shardCount()), firstDelta,
                    "one claim script (and its LPOP) per shard on the first sweep");
            int sweeps = 5;
            Map<String, Long> before = Fixtures.commandStats(server);
            long start = System.nanoTime();
            for (int sweep = 0; sweep < sweeps; sweep++) {
                for (int s = 0; s < store.shardCount(); s++) {
                    assertTrue(store.claim("idle", "g", s, "c", 16).isEmpty());
                }
            }
            long sweepMicros = (System.nanoTime() - start) / 1000 / sweeps;
            Map<String, Long> delta = delta(before, Fixtures.commandStats(server));
            long perSweep = delta.values().stream().mapToLong(Long::longValue).sum() / sweeps;
            System.out.printf("idle sweep over %d empty shards: commandstats delta over %d sweeps %s; "
                            + "%d commands per sweep; at a 10 s sweep that is %.1f commands/s; one sweep took %d us%n",
                    store.shardCount(), sweeps, delta, perSweep, perSweep / 10.0, sweepMicros);
            assertEquals(Map.of("llen", (long) sweeps * store.shardCount()), delta,
                    "a shard known to be empty costs one LLEN, no script");

            // Reaping orphans with nothing in flight anywhere: one EXISTS over the in-flight hashes.
            Map<String, Long> beforeReap = Fixtures.commandStats(server);
            assertEquals(0, store.recoverOrphans("idle", "g", java.util.Set.of("c")));
            assertEquals(Map.of("exists", 1L), delta(beforeReap, Fixtures.commandStats(server)),
                    "an idle reap costs one EXISTS on a standalone server");

            // A shard that fills again is claimed on the next sweep.
            store.append(new dev.smartmq.spi.Envelope("refill-1",
                    dev.smartmq.api.Message.builder("idle").body("x").build(), 0, 0), java.util.List.of("g"));
            int refilled = -1;
            for (int s = 0; s < store.shardCount(); s++) {
                if (!store.claim("idle", "g", s, "c", 16).isEmpty()) {
                    refilled = s;
                }
            }
            assertTrue(refilled >= 0, "the refilled shard was claimed");
        }
    }

    private static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> delta = new TreeMap<>();
        after.forEach((cmd, calls) -> {
            long d = calls - before.getOrDefault(cmd, 0L);
            if (d > 0 && !cmd.equals("info")) {
                delta.put(cmd, d);
            }
        });
        return delta;
    }
}
