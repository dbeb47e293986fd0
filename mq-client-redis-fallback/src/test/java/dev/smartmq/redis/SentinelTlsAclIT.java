package dev.smartmq.redis;

import static dev.smartmq.redis.Fixtures.envelope;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.testkit.redis.RedisSentinelGroup;
import dev.smartmq.testkit.redis.RedisServer;
import dev.smartmq.testkit.redis.RedisTls;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * Issue 17, Sentinel auth and TLS against real servers: one Sentinel group (master, replica, three Sentinels) where
 * every process listens with TLS only (throwaway CA and certificate made in the test, {@link RedisTls}) and knows
 * only an ACL user (the {@code default} user is off on the data servers and on the Sentinels). The store reaches the
 * Sentinels as {@code sentinelUser} over TLS and the master as {@code user} over TLS, follows a failover, and a
 * wrong Sentinel credential fails with a clear error that does not carry the password. When the binary (or the
 * machine) cannot do TLS the group runs with ACL users only and the reason is printed ({@code SENTINEL-TLS
 * skipped: ...}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SentinelTlsAclIT {

    private static final String DATA_USER = "smq-data";
    private static final String DATA_PASS = "data-pass-7";
    private static final String SENTINEL_USER = "smq-sentinel";
    private static final String SENTINEL_PASS = "sentinel-pass-3";

    private static RedisTls tls;
    private static RedisSentinelGroup group;

    @BeforeAll
    static void startGroup() {
        Optional<RedisTls> material = RedisTls.create();
        RedisSentinelGroup.Builder b = RedisSentinelGroup.builder()
                .aclUsers(DATA_USER, DATA_PASS, SENTINEL_USER, SENTINEL_PASS);
        if (material.isPresent()) {
            tls = material.get();
            b.tls(tls);
            System.out.println("SENTINEL-TLS on: CA " + tls.caCert());
        } else {
            System.out.println("SENTINEL-TLS skipped: " + RedisTls.unavailableReason()
                    + " (the group runs with ACL users only)");
        }
        group = b.start();
    }

    @AfterAll
    static void stopGroup() {
        if (group != null) {
            group.close();
        }
    }

    private static RedisFallbackStore.Builder store(String namespace) {
        RedisFallbackStore.Builder b = RedisFallbackStore.builder()
                .sentinel(RedisSentinelGroup.MASTER_NAME, group.sentinelHostAndPorts())
                .sentinelUser(SENTINEL_USER).sentinelPassword(SENTINEL_PASS)
                .user(DATA_USER).password(DATA_PASS)
                .namespace(namespace).shards(4)
                .timeouts(Duration.ofMillis(500), Duration.ofSeconds(1));
        if (tls != null) {
            b.sslSocketFactory(tls.socketFactory()).sentinelSsl(true);
        }
        return b;
    }

    @Test
    @Order(1)
    void theServersRefuseTheDefaultUserAndPlainTextWhenTlsIsOn() {
        RedisServer master = group.currentMaster();
        try (Jedis j = new Jedis(master.hostAndPort(), group.clientConfig(1000))) {
            assertEquals("PONG", j.ping(), "the ACL user over the group's transport works");
        }
        if (tls != null) {
            // Plain text to a TLS-only port: no answer that Jedis accepts.
            assertThrows(JedisConnectionException.class, () -> {
                try (Jedis plain = new Jedis(master.hostAndPort(), DefaultJedisClientConfig.builder()
                        .timeoutMillis(1000).user(DATA_USER).password(DATA_PASS).build())) {
                    plain.ping();
                }
            }, "plain text must not reach a TLS-only server");
        }
        // The right password as the Sentinels' default user (which is off): a clear error, no password in it.
        RedisFallbackStore.Builder wrongUser = RedisFallbackStore.builder()
                .sentinel(RedisSentinelGroup.MASTER_NAME, group.sentinelHostAndPorts())
                .sentinelPassword(SENTINEL_PASS).user(DATA_USER).password(DATA_PASS)
                .namespace("tls-default-user").shards(4).timeouts(Duration.ofMillis(500), Duration.ofSeconds(1));
        if (tls != null) {
            wrongUser.sslSocketFactory(tls.socketFactory()).sentinelSsl(true);
        }
        FallbackStoreException e = assertThrows(FallbackStoreException.class, () -> wrongUser.build().close());
        assertEquals(FallbackStoreException.Reason.UNAVAILABLE, e.reason());
        assertFalse(String.valueOf(e.getMessage()).contains(SENTINEL_PASS), "no password in " + e.getMessage());
    }

    @Test
    @Order(2)
    void theStoreWorksThroughAuthenticatedTlsSentinelsAndFollowsAFailover() {
        try (RedisFallbackStore store = store("tls-acl").build()) {
            store.start();
            for (int i = 0; i < 50; i++) {
                store.append(envelope("secure", "k" + i, "before-" + i), List.of("g"));
            }
            assertEquals(50, store.backlog("secure", "g"));

            RedisServer former = group.currentMaster();
            group.awaitReplicaInSync(group.dataServers().get(former == group.dataServers().get(0) ? 1 : 0),
                    Duration.ofSeconds(30));
            try (Jedis j = new Jedis(former.hostAndPort(), group.clientConfig(2000))) {
                assertTrue(j.waitReplicas(1, 2000) >= 1, "the 50 appends reached the replica before the kill");
            }
            former.kill();
            RedisServer promoted = group.awaitFailover(former, Duration.ofSeconds(60));
            assertNotEquals(former.port(), promoted.port());
            // The store follows +switch-master (over the authenticated TLS Sentinel connection) without a restart.
            await("an append reaches the promoted master").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200)).ignoreExceptionsInstanceOf(FallbackStoreException.class)
                    .until(() -> {
                        store.append(envelope("secure", "after", "after-failover"), List.of("g"));
                        return true;
                    });
            assertEquals(51, store.backlog("secure", "g"), "every append before the failover is on the new master");
            assertEquals(51, Fixtures.drain(store, "secure", "g", "c").size());
        }
    }
}
