package dev.smartmq.testkit.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.testkit.WorkDirs;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The Redis 7.0.9 binary shipped in the embedded-redis artifact, forced with
 * {@code -Dsmartmq.redis.server=shipped} even though this machine may have one on the PATH: it is extracted,
 * checked, and every fault the testkit injects works with it — SIGKILL + restart from the AOF, SIGSTOP/SIGCONT,
 * maxmemory with noeviction — and it forms a 3-master cluster.
 */
class ShippedRedisIT {

    private static String before;
    private static RedisServer server;

    @BeforeAll
    static void forceShippedBinary() {
        before = System.getProperty(RedisServer.BINARY_PROPERTY);
        System.setProperty(RedisServer.BINARY_PROPERTY, RedisBinary.SHIPPED);
        server = RedisServer.start();
    }

    @AfterAll
    static void restore() {
        if (server != null) {
            server.close();
        }
        if (before == null) {
            System.clearProperty(RedisServer.BINARY_PROPERTY);
        } else {
            System.setProperty(RedisServer.BINARY_PROPERTY, before);
        }
    }

    @Test
    void theShippedBinaryIsExtractedCheckedAndRuns() throws Exception {
        RedisBinary binary = server.binary();
        assertEquals(RedisBinary.Source.SHIPPED, binary.source());
        assertEquals("7.0.9", binary.version());
        assertTrue(binary.path().startsWith(WorkDirs.root().resolve("redis-bin")), binary.path().toString());
        String resource = binary.path().getFileName().toString().replaceAll("-[0-9a-f]{12}$", "");
        assertEquals(RedisBinary.SHIPPED_SHA256.get(resource), RedisBinary.sha256(binary.path()));
        try (Jedis client = server.newClient()) {
            assertTrue(client.info("server").contains("redis_version:7.0.9"));
        }
        assertTrue(server.processHandle().info().command().orElse("").contains("redis-server-7.0.9"),
                "the running process is the shipped binary: " + server.processHandle().info().command());
    }

    @Test
    void killAndRestartKeepAcknowledgedWritesFromTheAof() {
        int keys = 2_000;
        try (Jedis client = server.newClient()) {
            client.del("kill-list");
            Pipeline p = client.pipelined();
            for (int i = 0; i < keys; i++) {
                p.rpush("kill-list", "v" + i);
            }
            p.sync();
            long oldPid = server.pid();
            ProcessHandle old = server.processHandle();
            server.kill();
            assertFalse(old.isAlive(), "SIGKILL must end the process");
            assertThrows(JedisConnectionException.class, () -> client.llen("kill-list"));
            server.restart();
            assertNotEquals(oldPid, server.pid());
        }
        try (Jedis client = server.newClient()) {
            assertEquals(keys, client.llen("kill-list"), "acknowledged writes must survive SIGKILL (AOF)");
            assertEquals("v" + (keys - 1), client.lindex("kill-list", -1));
        }
    }

    @Test
    void sigstopMakesCallsTimeOutAndSigcontServesThemAgain() {
        try (Jedis client = new Jedis(server.hostAndPort(), server.clientConfig(300))) {
            client.set("pause-key", "v1");
            server.pause();
            try {
                assertThrows(JedisConnectionException.class, () -> client.get("pause-key"));
            } finally {
                server.resume();
            }
        }
        try (Jedis client = server.newClient()) {
            assertEquals("v1", client.get("pause-key"));
        }
    }

    @Test
    void maxmemoryWithNoevictionRefusesWritesAndKeepsWhatItHas() {
        try (RedisServer small = RedisServer.builder().config("maxmemory", "2mb")
                .config("maxmemory-policy", "noeviction").start();
             Jedis client = small.newClient()) {
            assertEquals(RedisBinary.Source.SHIPPED, small.binary().source());
            String value = "x".repeat(10_000);
            int stored = 0;
            JedisDataException oom = null;
            for (int i = 0; i < 10_000 && oom == null; i++) {
                try {
                    client.rpush("big", value);
                    stored++;
                } catch (JedisDataException e) {
                    oom = e;
                }
            }
            assertTrue(oom != null && oom.getMessage().startsWith("OOM"), "no OOM refusal after " + stored);
            assertEquals(stored, client.llen("big"), "noeviction keeps every acknowledged write");
        }
    }

    @Test
    void threeMasterClusterServesEverySlotAndANodeComesBackAfterAKill() {
        try (RedisCluster cluster = RedisCluster.start()) {
            assertEquals(3, cluster.nodes().size());
            cluster.nodes().forEach(n -> assertEquals(RedisBinary.Source.SHIPPED, n.binary().source()));
            try (JedisCluster client = new JedisCluster(cluster.hostAndPorts(),
                    DefaultJedisClientConfig.builder().timeoutMillis(1000).build(), 2)) {
                for (int i = 0; i < 300; i++) {
                    client.set("k" + i, "v" + i);
                }
                for (RedisServer node : cluster.nodes()) {
                    try (Jedis jedis = node.newClient()) {
                        assertFalse(jedis.keys("k*").isEmpty(), "node " + node.port() + " holds no key");
                    }
                }
                String key = null;
                for (int i = 0; key == null; i++) {
                    int slot = JedisClusterCRC16.getSlot("victim" + i);
                    if (slot >= 16384 / 3 && slot < 2 * 16384 / 3) {
                        key = "victim" + i;
                    }
                }
                String k = key;
                client.set(k, "x");
                RedisServer victim = cluster.nodes().get(1);
                victim.kill();
                assertThrows(JedisException.class, () -> client.get(k));
                victim.restart();
                cluster.awaitHealthy(Duration.ofSeconds(60));
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> "x".equals(client.get(k)));
            }
        }
    }
}
