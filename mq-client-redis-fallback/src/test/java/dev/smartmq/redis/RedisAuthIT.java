package dev.smartmq.redis;

import static dev.smartmq.redis.Fixtures.envelope;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.redis.RedisServer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/** AUTH with an ACL user, a wrong password, and the evicting-memory-policy warning. */
class RedisAuthIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone(b -> b
            .requirePass("default-pass")
            .aclUser("smartmq", "acl-pass-1")
            .config("maxmemory-policy", "allkeys-lru"));

    @Test
    void anAclUserCanUseTheStoreAndTheEvictingPolicyIsWarnedAboutWithoutLeakingThePassword() {
        RedisServer server = redis.server();
        Logger logger = (Logger) LoggerFactory.getLogger(RedisFallbackStore.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try (RedisFallbackStore store = RedisFallbackStore.builder().standalone(server.host(), server.port())
                .namespace("auth").user("smartmq").password("acl-pass-1").build()) {
            store.start();
            store.append(envelope("secure", null, "x"), List.of("g"));
            assertEquals(1, store.backlog("secure", "g"));
            assertEquals(1, Fixtures.drain(store, "secure", "g", "c").size());
            assertTrue(logs.list.stream().anyMatch(e -> e.getLevel() == Level.WARN
                    && e.getFormattedMessage().contains("maxmemory-policy=allkeys-lru")),
                    "an evicting policy must be warned about");
            assertTrue(logs.list.stream().noneMatch(e -> e.getFormattedMessage().contains("acl-pass-1")),
                    "the password is never logged");
        } finally {
            logger.detachAppender(logs);
        }
    }

    @Test
    void aWrongPasswordFailsCallsAsUnavailableAndIsNeverInTheMessage() {
        RedisServer server = redis.server();
        try (RedisFallbackStore store = RedisFallbackStore.builder().standalone(server.host(), server.port())
                .namespace("auth").user("smartmq").password("wrong-pass-9").build()) {
            store.start();
            FallbackStoreException e = assertThrows(FallbackStoreException.class,
                    () -> store.append(envelope("secure", null, "x"), List.of("g")));
            assertEquals(FallbackStoreException.Reason.UNAVAILABLE, e.reason());
            assertFalse(String.valueOf(e.getMessage()).contains("wrong-pass-9"));
            FallbackStoreException c = assertThrows(FallbackStoreException.class,
                    () -> store.claim("secure", "g", 0, "c", 1));
            assertFalse(String.valueOf(c.getMessage()).contains("wrong-pass-9"));
        }
    }

    @Test
    void theDefaultUserPasswordWorksToo() {
        RedisServer server = redis.server();
        try (RedisFallbackStore store = RedisFallbackStore.builder().standalone(server.host(), server.port())
                .namespace("auth2").password("default-pass").build()) {
            store.start();
            store.append(envelope("secure", null, "x"), List.of("g"));
            assertEquals(1, store.backlog("secure", "g"));
        }
    }
}
