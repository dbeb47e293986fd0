package dev.smartmq.redis;

import static dev.smartmq.redis.Fixtures.drain;
import static dev.smartmq.redis.Fixtures.envelope;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.DeliveryException;
import dev.smartmq.api.Message;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.spi.FallbackStoreException.Reason;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.redis.RedisServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 17, {@code replicaAcks(n, timeout)} when {@code WAIT} falls short, against a real redis-server that has
 * no replica: the append fails ({@code UNAVAILABLE}, naming how many replicas confirmed it), the engine's send
 * fails with {@code DeliveryException} (never a silent success), and the entry written on the master stays
 * there and is delivered (the documented duplicate-or-stored outcome).
 */
class ReplicaAcksIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static RedisFallbackStore store(String namespace) {
        RedisServer server = redis.server();
        return RedisFallbackStore.builder().standalone(server.host(), server.port()).namespace(namespace).shards(4)
                .replicaAcks(1, Duration.ofMillis(100)).build();
    }

    @Test
    void anAppendNoReplicaConfirmedFailsAndItsEntryStaysOnTheMaster() {
        try (RedisFallbackStore store = store("acks-store")) {
            store.start();
            Envelope e = envelope("paid", "k1", "not replicated");
            FallbackStoreException f = assertThrows(FallbackStoreException.class,
                    () -> store.append(e, List.of("billing")));
            assertEquals(Reason.UNAVAILABLE, f.reason());
            assertTrue(f.getMessage().contains("0 of 1 replica(s) confirmed it within 100 ms"), f.getMessage());
            assertEquals(1, store.notReplicatedAppends());
            // The documented outcome: the value is on the master and is delivered (a failed send may arrive).
            List<String> ids = drain(store, "paid", "billing", "c").stream().map(c -> c.envelope().id()).toList();
            assertEquals(List.of(e.id()), ids);
        }
    }

    @Test
    void aDegradedSendThatNoReplicaConfirmedThrowsDeliveryException() {
        String ns = "acks-engine";
        RedisFallbackStore store = store(ns);
        SmartMQ mq = SmartMQ.builder()
                .config(SmartMQConfig.custom().namespace(ns).shutdownTimeout(Duration.ofSeconds(2)).build())
                .transport(DegradedEngineStubs.deadMq())
                .fallbackStore(store)
                .degradationSwitch(DegradedEngineStubs.degradedSwitch(ns, "billing"))
                .build();
        try {
            DeliveryException d = assertThrows(DeliveryException.class,
                    () -> mq.producer().send(Message.builder("paid").key("k").body("b").build()));
            assertTrue(d.getMessage() != null && !d.messageId().isEmpty(), "names the message: " + d);
        } finally {
            mq.close();
        }
    }
}
