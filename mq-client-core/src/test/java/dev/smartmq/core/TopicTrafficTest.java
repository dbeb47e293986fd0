package dev.smartmq.core;

import static dev.smartmq.core.Rig.msg;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.Subscription;
import dev.smartmq.testkit.fakes.FakeTransport.Mode;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Sends are counted per topic and deliveries per (topic, group) beside the instance totals, on both routes; the
 * number of topics counted one by one is bounded.
 */
class TopicTrafficTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final Rig rig = new Rig(4);

    @AfterEach
    void close() {
        rig.close();
    }

    /** A counter's count; 0 before it is registered (a pair's counters appear with its first delivery). */
    private long count(String name) {
        return rig.registry.getNames().contains(name) ? rig.count(name) : 0;
    }

    @Test
    void sendsAndDeliveriesAreCountedPerTopicAndGroupOnBothRoutes() {
        rig.start(Rig.fastConfig().failureThreshold(1000).build());
        AtomicInteger billingCalls = new AtomicInteger();
        rig.mq.consumer().subscribe(Subscription.of("orders", "billing"),
                m -> billingCalls.incrementAndGet() == 1 ? ConsumeResult.RETRY_LATER : ConsumeResult.SUCCESS);
        rig.mq.consumer().subscribe(Subscription.of("orders", "audit"), m -> ConsumeResult.SUCCESS);

        for (int i = 0; i < 3; i++) {
            assertEquals(Route.MQ, rig.mq.producer().send(msg("orders")).route());
        }
        assertEquals(Route.MQ, rig.mq.producer().send(msg("payments")).route());
        assertThrows(InvalidMessageException.class, () -> rig.mq.producer().send(null));
        rig.transport.mode(Mode.FAIL_INFRA);
        for (int i = 0; i < 2; i++) {
            SendReceipt r = rig.mq.producer().send(msg("orders"));
            assertEquals(Route.FALLBACK, r.route());
        }

        assertEquals(3, count("smartmq.producer.sends.topic.orders.mq.success"));
        assertEquals(2, count("smartmq.producer.sends.topic.orders.fallback.success"));
        assertEquals(0, count("smartmq.producer.sends.topic.orders.none.failed"));
        assertEquals(1, count("smartmq.producer.sends.topic.payments.mq.success"));
        assertEquals(1, count("smartmq.producer.sends.topic.(other).none.rejected"));
        assertEquals(count("smartmq.producer.sends.mq"), 4);
        assertEquals(count("smartmq.producer.sends.fallback"), 2);

        // The fallback messages reach both groups; billing refuses its first delivery once.
        await().atMost(WAIT).until(() -> count("smartmq.consumer.deliveries.orders.audit.fallback.success") == 2
                && count("smartmq.consumer.deliveries.orders.billing.fallback.success") == 2);
        assertEquals(1, count("smartmq.consumer.deliveries.orders.billing.fallback.retried"));
        assertEquals(0, count("smartmq.consumer.deliveries.orders.audit.fallback.retried"));

        // An MQ delivery of (orders, audit).
        rig.transport.subscriptions().stream().filter(s -> s.subscription().group().equals("audit")).findFirst()
                .orElseThrow().offer("mq-1", msg("orders"));
        await().atMost(WAIT).until(() -> count("smartmq.consumer.deliveries.orders.audit.mq.success") == 1);
        assertEquals(count("smartmq.consumer.consumed.fallback"),
                count("smartmq.consumer.deliveries.orders.audit.fallback.success")
                        + count("smartmq.consumer.deliveries.orders.billing.fallback.success"));

        rig.mq.close();
        assertThrows(IllegalStateException.class, () -> rig.mq.producer().send(msg("late")));
        assertFalse(rig.registry.getNames().stream().anyMatch(n -> n.contains(".topic.") || n.contains("deliveries")),
                "close removes the per-topic counters with the others");
    }

    @Test
    void topicsBeyondTheBoundShareOneCounter() {
        rig.start(Rig.fastConfig().build());
        int bound = dev.smartmq.core.internal.TopicTrafficAccess.maxTopics();
        for (int i = 0; i < bound + 20; i++) {
            rig.mq.producer().send(msg("t" + i));
        }
        long perTopic = rig.registry.getNames().stream()
                .filter(n -> n.startsWith("smartmq.producer.sends.topic.") && n.endsWith(".mq.success")).count();
        assertTrue(perTopic <= bound + 1, "at most the bound plus the shared counter: " + perTopic);
        assertTrue(count("smartmq.producer.sends.topic.(other).mq.success") >= 20);
        assertEquals(bound + 20, rig.registry.getNames().stream()
                .filter(n -> n.startsWith("smartmq.producer.sends.topic.") && n.endsWith(".mq.success"))
                .mapToLong(this::count).sum(), "no send is lost by the bound");
    }
}
