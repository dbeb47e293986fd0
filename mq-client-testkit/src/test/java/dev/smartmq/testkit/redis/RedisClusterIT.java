package dev.smartmq.testkit.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.JedisClusterCRC16;

class RedisClusterIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.cluster();

    @Test
    void threeMastersServeKeysOfAllSlots() {
        RedisCluster cluster = redis.redisCluster();
        assertEquals(3, cluster.nodes().size());
        int keys = 300;
        try (JedisCluster client = new JedisCluster(cluster.hostAndPorts(),
                DefaultJedisClientConfig.builder().timeoutMillis(2000).build())) {
            for (int i = 0; i < keys; i++) {
                client.set("k" + i, "v" + i);
            }
            for (int i = 0; i < keys; i++) {
                assertEquals("v" + i, client.get("k" + i));
            }
        }
        long total = 0;
        for (RedisServer node : cluster.nodes()) {
            try (Jedis jedis = node.newClient()) {
                long size = jedis.keys("k*").size();
                assertTrue(size > 0, "every master must hold some keys, node " + node.port() + " holds none");
                total += size;
            }
        }
        assertEquals(keys, total);
    }

    @Test
    void killedNodeRefusesItsSlotsAndComesBackWithItsData() {
        RedisCluster cluster = redis.redisCluster();
        RedisServer victim = cluster.nodes().get(1);
        try (JedisCluster client = new JedisCluster(cluster.hostAndPorts(),
                DefaultJedisClientConfig.builder().timeoutMillis(1000).build(), 2)) {
            // a key whose slot the victim (node 1 of 3) owns: slots 5461..10921
            String key = null;
            for (int i = 0; key == null; i++) {
                int slot = JedisClusterCRC16.getSlot("victim" + i);
                if (slot >= 16384 / 3 && slot < 2 * 16384 / 3) {
                    key = "victim" + i;
                }
            }
            client.set(key, "x");
            try (Jedis node = victim.newClient()) {
                assertTrue(node.exists(key), "the key must live on the victim");
            }
            ProcessHandle old = victim.processHandle();
            victim.kill();
            assertFalse(old.isAlive());
            String k = key;
            assertThrows(JedisException.class, () -> client.get(k));

            victim.restart();
            cluster.awaitHealthy(Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> "x".equals(client.get(k)));
        }
    }

    @Test
    void closeStopsEveryNode() {
        RedisCluster own = RedisCluster.start();
        List<ProcessHandle> handles = new ArrayList<>();
        own.nodes().forEach(n -> handles.add(n.processHandle()));
        own.nodes().get(2).pause();
        own.close();
        await().atMost(Duration.ofSeconds(20)).until(() -> handles.stream().noneMatch(ProcessHandle::isAlive));
        for (ProcessHandle h : handles) {
            assertFalse(ProcessHandle.current().descendants().anyMatch(d -> d.pid() == h.pid()),
                    "node pid " + h.pid() + " outlived close()");
        }
    }
}
