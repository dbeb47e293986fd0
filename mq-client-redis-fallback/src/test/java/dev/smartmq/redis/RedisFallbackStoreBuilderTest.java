package dev.smartmq.redis;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConfigurationException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RedisFallbackStoreBuilderTest {

    @Test
    void settersNameTheFieldAndTheBadValue() {
        RedisFallbackStore.Builder b = RedisFallbackStore.builder();
        assertTrue(assertThrows(ConfigurationException.class, () -> b.shards(0)).getMessage()
                .contains("shards must be between 1 and 16384, but was 0"));
        assertTrue(assertThrows(ConfigurationException.class, () -> b.namespace("a:b")).getMessage()
                .contains("namespace"));
        assertTrue(assertThrows(ConfigurationException.class, () -> b.maxBacklogPerShard(0)).getMessage()
                .contains("maxBacklogPerShard"));
        assertTrue(assertThrows(ConfigurationException.class, () -> b.socketTimeout(Duration.ZERO)).getMessage()
                .contains("socketTimeout"));
        assertThrows(ConfigurationException.class, () -> b.standalone("localhost", 70000));
    }

    @Test
    void exactlyOneTargetIsRequired() {
        assertThrows(ConfigurationException.class, () -> RedisFallbackStore.builder().build());
        assertThrows(ConfigurationException.class,
                () -> RedisFallbackStore.builder().standalone("127.0.0.1", 6379)
                        .cluster(java.util.Set.of(new redis.clients.jedis.HostAndPort("127.0.0.1", 7000))).build());
    }

    @Test
    void toStringNeverShowsThePassword() {
        RedisFallbackStore store = RedisFallbackStore.builder().standalone("127.0.0.1", 6399)
                .user("app").password("top-secret-123").build();
        try {
            assertFalse(store.toString().contains("top-secret-123"), store.toString());
            assertTrue(store.toString().contains("password=****"), store.toString());
        } finally {
            store.close();
        }
    }

    @Test
    void callsBeforeStartAreRefused() {
        try (RedisFallbackStore store = RedisFallbackStore.builder().standalone("127.0.0.1", 6399).build()) {
            assertThrows(IllegalStateException.class, () -> store.claim("t", "g", 0, "c", 1));
        }
    }

    @Test
    void sentinelAndReplicaAckSettingsAreValidated() {
        java.util.Set<redis.clients.jedis.HostAndPort> sentinels =
                java.util.Set.of(new redis.clients.jedis.HostAndPort("127.0.0.1", 26379));
        assertTrue(assertThrows(ConfigurationException.class,
                () -> RedisFallbackStore.builder().sentinel(" ", sentinels)).getMessage().contains("masterName"));
        assertThrows(ConfigurationException.class,
                () -> RedisFallbackStore.builder().sentinel("m", java.util.Set.of()));
        assertThrows(ConfigurationException.class, () -> RedisFallbackStore.builder().sentinel("m", sentinels)
                .standalone("127.0.0.1", 6379).build());
        assertTrue(assertThrows(ConfigurationException.class, () -> RedisFallbackStore.builder()
                .standalone("127.0.0.1", 6379).sentinelPassword("pw").build()).getMessage()
                .contains("apply only to sentinel"));
        assertTrue(assertThrows(ConfigurationException.class, () -> RedisFallbackStore.builder()
                .sentinel("m", sentinels).sentinelUser("u").build()).getMessage().contains("sentinelPassword"));
        assertTrue(assertThrows(ConfigurationException.class, () -> RedisFallbackStore.builder()
                .replicaAcks(-1, Duration.ofMillis(100))).getMessage().contains("replicaAcks"));
        assertTrue(assertThrows(ConfigurationException.class, () -> RedisFallbackStore.builder()
                .replicaAcks(1, Duration.ZERO)).getMessage().contains("replicaAckTimeout"));
        assertTrue(assertThrows(ConfigurationException.class, () -> RedisFallbackStore.builder()
                .standalone("127.0.0.1", 6379).socketTimeout(Duration.ofSeconds(1))
                .replicaAcks(1, Duration.ofSeconds(1)).build()).getMessage().contains("below socketTimeout"));
    }

    @Test
    void replicaAcksAndSentinelPasswordAppearInToStringWithoutTheSecret() {
        try (RedisFallbackStore store = RedisFallbackStore.builder().standalone("127.0.0.1", 6399)
                .replicaAcks(2, Duration.ofMillis(300)).build()) {
            assertTrue(store.toString().contains("replicaAcks=2 within PT0.3S"), store.toString());
        }
    }
}
