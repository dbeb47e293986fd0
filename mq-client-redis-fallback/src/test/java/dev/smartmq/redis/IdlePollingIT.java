package dev.smartmq.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.redis.RedisServer;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;

/**
 * What an idle consumer costs Redis: a sweep of claims over 128 empty shards, measured with
 * INFO commandstats before and after.
 */
class IdlePollingIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    @Test
    void aSweepOverEmptyShardsCostsOneScriptCallPerShard() {
        RedisServer server = redis.server();
        try (RedisFallbackStore store = RedisFallbackStore.builder().standalone(server.host(), server.port())
                .namespace("idle").build()) {
            store.start();
            store.claim("idle", "g", 0, "c", 16); // the script is cached from here on
            int sweeps = 5;
            Map<String, Long> before = commandStats(server);
            long start = System.nanoTime();
            for (int sweep = 0; sweep < sweeps; sweep++) {
                for (int s = 0; s < store.shardCount(); s++) {
                    assertTrue(store.claim("idle", "g", s, "c", 16).isEmpty());
                }
            }
            long sweepMicros = (System.nanoTime() - start) / 1000 / sweeps;
            Map<String, Long> after = commandStats(server);
            Map<String, Long> delta = new TreeMap<>();
            after.forEach((cmd, calls) -> {
                long d = calls - before.getOrDefault(cmd, 0L);
                if (d > 0 && !cmd.equals("info")) {
                    delta.put(cmd, d);
                }
            });
            long perSweepClient = delta.getOrDefault("evalsha", 0L) / sweeps;
            long perSweepTotal = delta.values().stream().mapToLong(Long::longValue).sum() / sweeps;
            System.out.printf("idle sweep over %d empty shards: commandstats delta over %d sweeps %s; "
                            + "%d client commands (EVALSHA) and %d commands incl. the LPOP inside each script per sweep; "
                            + "at a 10 s sweep that is %.1f client commands/s (%.1f incl. script internals); "
                            + "one sweep took %d us%n",
                    store.shardCount(), sweeps, delta, perSweepClient, perSweepTotal, perSweepClient / 10.0,
                    perSweepTotal / 10.0, sweepMicros);
            assertEquals(store.shardCount(), perSweepClient, "exactly one EVALSHA per empty shard");
            assertEquals(Map.of("evalsha", (long) sweeps * store.shardCount(), "lpop", (long) sweeps * store.shardCount()),
                    delta, "nothing but the claim script (and its one LPOP) runs on an empty shard");
        }
    }

    private static Map<String, Long> commandStats(RedisServer server) {
        Map<String, Long> result = new TreeMap<>();
        Pattern line = Pattern.compile("^cmdstat_([^:]+):calls=(\\d+),");
        try (Jedis jedis = server.newClient()) {
            for (String l : jedis.info("commandstats").split("\r?\n")) {
                Matcher m = line.matcher(l);
                if (m.find()) {
                    result.put(m.group(1), Long.parseLong(m.group(2)));
                }
            }
        }
        return result;
    }
}
