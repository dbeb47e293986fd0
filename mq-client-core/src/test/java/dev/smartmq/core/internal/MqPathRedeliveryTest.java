package dev.smartmq.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Message;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Route;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FallbackStore;
import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.spi.RedeliveryPolicy;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The MQ half of the one redelivery rule, against a store stub (engine logic only; the real path: MqDeadLettersIT). */
class MqPathRedeliveryTest {

    private final List<Object[]> deadLetters = new ArrayList<>();
    private boolean storeDown;

    private FallbackStore store() {
        return (FallbackStore) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {FallbackStore.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("deadLetterUnclaimed")) {
                        if (storeDown) {
                            throw new FallbackStoreException(FallbackStoreException.Reason.UNAVAILABLE, "down", null);
                        }
                        deadLetters.add(args);
                        return null;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private static ReceivedMessage attempt(int n) {
        return new ReceivedMessage("0190b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b",
                Message.builder("orders").key("k").body("b").build(), 5L, n, Route.MQ);
    }

    @Test
    void theTransportGetsTheConfiguredPolicyAndTheLastFailureIsDeadLetteredAndAcknowledged() throws Exception {
        SmartMQConfig config = SmartMQConfig.custom().maxDeliveryAttempts(3).retryBackoffInitial(Duration.ofMillis(200))
                .retryBackoffMax(Duration.ofSeconds(1)).build();
        try (EngineMetrics metrics = new EngineMetrics(new MetricRegistry(), "t")) {
            MqPathRedelivery rule = new MqPathRedelivery(config, store(), metrics, "c-1");
            assertEquals(new RedeliveryPolicy(3, Duration.ofMillis(200), Duration.ofSeconds(1)),
                    rule.listener(m -> ConsumeResult.SUCCESS).redelivery());
            assertEquals(ConsumeResult.RETRY_LATER, rule.failed("billing", attempt(2), "handler returned RETRY_LATER"));
            assertTrue(deadLetters.isEmpty());
            assertEquals(ConsumeResult.SUCCESS, rule.failed("billing", attempt(3), "handler threw X: boom"));
            assertEquals(1, deadLetters.size());
            Envelope e = (Envelope) deadLetters.get(0)[0];
            assertEquals("0190b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b", e.id());
            assertEquals(3, e.attempts());
            assertEquals("billing", deadLetters.get(0)[1]);
            assertEquals("MQ path: delivery attempt 3 of 3 failed: handler threw X: boom", deadLetters.get(0)[2]);
            assertEquals(1, metrics.deadLetteredMq.getCount());

            storeDown = true; // the MQ's own dead-letter queue is then the last resort: never acknowledged unstored
            assertEquals(ConsumeResult.RETRY_LATER, rule.failed("billing", attempt(3), "again"));
            assertEquals(1, deadLetters.size());
        }
    }
}
