package dev.smartmq.testkit.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

class RedisServerIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    @Test
    void pauseMakesCommandsTimeOutAndResumeServesThemAgain() {
        RedisServer server = redis.server();
        try (Jedis client = new Jedis(server.hostAndPort(), server.clientConfig(300))) {
            client.set("pause-key", "v1");
            server.pause();
            try {
                assertTrue(server.isPaused());
                long start = System.nanoTime();
                assertThrows(JedisConnectionException.class, () -> client.get("pause-key"));
                long tookMs = (System.nanoTime() - start) / 1_000_000;
                assertTrue(tookMs < 5_000, "a paused server must make the call time out, not hang: " + tookMs + " ms");
            } finally {
                server.resume();
            }
        }
        assertFalse(server.isPaused());
        try (Jedis client = server.newClient()) {
            assertEquals("v1", client.get("pause-key"));
        }
    }

    @Test
    void killBreaksConnectionsAndRestartKeepsAcknowledgedData() {
        RedisServer server = redis.server();
        int keys = 2_000;
        try (Jedis client = server.newClient()) {
            client.del("kill-list");
            Pipeline p = client.pipelined();
            for (int i = 0; i < keys; i++) {
                p.rpush("kill-list", "v" + i);
            }
            p.sync(); // every reply seen: every write acknowledged
            long oldPid = server.pid();
            ProcessHandle oldProcess = server.processHandle();

            server.kill();

            assertFalse(oldProcess.isAlive(), "SIGKILL must end the process");
            assertFalse(server.isAlive());
            assertThrows(JedisConnectionException.class, () -> client.llen("kill-list"));

            server.restart();
            assertNotEquals(oldPid, server.pid());
        }
        try (Jedis client = server.newClient()) {
            assertEquals(keys, client.llen("kill-list"), "acknowledged writes must survive SIGKILL (AOF)");
            assertEquals("v0", client.lindex("kill-list", 0));
            assertEquals("v" + (keys - 1), client.lindex("kill-list", -1));
        }
    }

    @Test
    void gracefulRestartKeepsDataAndPort() {
        RedisServer server = redis.server();
        int port = server.port();
        try (Jedis client = server.newClient()) {
            client.set("restart-key", "kept");
        }
        server.restart();
        assertEquals(port, server.port());
        try (Jedis client = server.newClient()) {
            assertEquals("kept", client.get("restart-key"));
        }
    }

    @Test
    void closeLeavesNoChildProcessEvenWhenPaused() {
        RedisServer a = RedisServer.start();
        RedisServer b = RedisServer.start();
        ProcessHandle pa = a.processHandle();
        ProcessHandle pb = b.processHandle();
        b.pause();
        assertTrue(childPids().contains(pa.pid()));
        assertTrue(childPids().contains(pb.pid()));

        a.close();
        b.close();

        await().atMost(Duration.ofSeconds(20)).until(() -> !pa.isAlive() && !pb.isAlive());
        List<Long> children = childPids();
        assertFalse(children.contains(pa.pid()), "child " + pa.pid() + " still running: " + children);
        assertFalse(children.contains(pb.pid()), "child " + pb.pid() + " still running: " + children);
        assertThrows(IllegalStateException.class, a::restart, "a closed server cannot be restarted");
    }

    @Test
    void passwordAndAclUserAreEnforced() {
        try (RedisServer secured = RedisServer.builder().requirePass("s3cret-pass").aclUser("app", "app-pass").start()) {
            assertFalse(secured.toString().contains("s3cret-pass"), "toString must mask the password");
            try (Jedis anonymous = new Jedis(secured.hostAndPort(),
                    DefaultJedisClientConfig.builder().timeoutMillis(2000).build())) {
                JedisDataException e = assertThrows(JedisDataException.class, () -> anonymous.get("x"));
                assertTrue(e.getMessage().startsWith("NOAUTH"), e.getMessage());
            }
            try (Jedis byPassword = new Jedis(secured.hostAndPort(),
                    DefaultJedisClientConfig.builder().password("s3cret-pass").build())) {
                assertEquals("OK", byPassword.set("x", "1"));
            }
            try (Jedis byUser = secured.newClient()) {
                assertEquals("1", byUser.get("x"));
                assertEquals("app", byUser.aclWhoAmI());
            }
        }
    }

    private static List<Long> childPids() {
        return ProcessHandle.current().descendants().map(ProcessHandle::pid).collect(Collectors.toList());
    }
}
