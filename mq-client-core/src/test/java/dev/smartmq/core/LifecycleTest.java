package dev.smartmq.core;

import static dev.smartmq.core.Rig.msg;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.Subscription;
import dev.smartmq.testkit.fakes.FakeFallbackStore;
import dev.smartmq.testkit.fakes.FakeSwitch;
import dev.smartmq.testkit.fakes.FakeTransport;
import dev.smartmq.testkit.fakes.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LifecycleTest {

    @Test
    void buildStartsThePortsAndCloseClosesConsumersProducerThenPortsInOrder() {
        Rig rig = new Rig(8);
        rig.start(Rig.fastConfig().build());
        assertEquals(List.of("switch.start", "store.start", "transport.start"), List.copyOf(rig.events));
        rig.mq.consumer().subscribe(Subscription.of("orders", "billing"), m -> ConsumeResult.SUCCESS);
        rig.mq.producer().send(msg("orders"));
        rig.mq.close();
        rig.mq.close(); // idempotent
        List<String> ev = rig.events;
        List<String> tail = ev.subList(ev.indexOf("subscription.close"), ev.size());
        assertEquals(List.of("subscription.close", "registration.close", "transport.close", "store.close",
                "switch.close"), tail);
        assertThrows(IllegalStateException.class, () -> rig.mq.producer().send(msg("orders")));
        assertThrows(IllegalStateException.class,
                () -> rig.mq.consumer().subscribe(Subscription.of("orders", "other"), m -> ConsumeResult.SUCCESS));
        assertFalse(Rig.anySmartMqThreadAlive());
    }

    @Test
    void threadsAreNamedAfterTheirRoleAndNoneSurvivesClose() {
        Rig rig = new Rig(8);
        rig.start(Rig.fastConfig().consumerThreads(3).build());
        rig.mq.consumer().subscribe(Subscription.of("orders", "billing"), m -> ConsumeResult.SUCCESS);
        Set<String> names = Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("smartmq-")).collect(java.util.stream.Collectors.toSet());
        assertTrue(names.containsAll(Set.of("smartmq-prober-1", "smartmq-maintenance-1",
                "smartmq-consumer-1", "smartmq-consumer-2", "smartmq-consumer-3")), names.toString());
        assertTrue(names.stream().allMatch(n -> n.matches("smartmq-(switch|prober|maintenance|timer|consumer)-\\d+")),
                names.toString());
        rig.close();
        assertFalse(Rig.anySmartMqThreadAlive());
    }

    @Test
    void metricsLiveUnderSmartmqAndOnlyOursAreRemovedFromAUserRegistryOnClose() {
        Rig rig = new Rig(8);
        Counter mine = rig.registry.counter("app.requests");
        rig.start(Rig.fastConfig().build());
        rig.mq.consumer().subscribe(Subscription.of("orders", "billing"), m -> ConsumeResult.SUCCESS);
        rig.mq.producer().send(msg("orders"));
        Set<String> names = rig.registry.getNames();
        for (String n : List.of("smartmq.producer.sends.mq", "smartmq.producer.sends.fallback",
                "smartmq.producer.sends.failed", "smartmq.producer.sends.rejected", "smartmq.producer.latency.mq",
                "smartmq.producer.latency.fallback", "smartmq.detector.consecutive-failures", "smartmq.switch.state",
                "smartmq.switch.effective-state", "smartmq.switch.transitions", "smartmq.consumer.consumed.mq",
                "smartmq.consumer.consumed.fallback", "smartmq.consumer.retried.fallback",
                "smartmq.consumer.dead-lettered.fallback", "smartmq.fallback.drained")) {
            assertTrue(names.contains(n), n);
        }
        assertEquals(1, rig.count("smartmq.producer.sends.mq"));
        assertEquals(0, rig.gauge("smartmq.switch.state"));
        await().until(() -> rig.registry.getNames().contains("smartmq.fallback.backlog.orders.billing"));
        rig.close();
        assertTrue(rig.registry.getNames().stream().noneMatch(n -> n.startsWith("smartmq.")),
                rig.registry.getNames().toString());
        assertEquals(mine, rig.registry.getMetrics().get("app.requests"));
    }

    @Test
    void twoInstancesOnOneRegistryNeedDistinctPrefixesAndAFailedBuildStartsNothing() {
        MetricRegistry shared = new MetricRegistry();
        MutableClock clock = MutableClock.startingNow();
        try (SmartMQ first = SmartMQ.builder().config(Rig.fastConfig().build()).transport(new FakeTransport())
                .fallbackStore(new FakeFallbackStore(8)).degradationSwitch(new FakeSwitch(clock))
                .metricRegistry(shared).build()) {
            FakeSwitch sw = new FakeSwitch(clock);
            FakeTransport transport = new FakeTransport();
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> SmartMQ.builder()
                    .config(Rig.fastConfig().build()).transport(transport).fallbackStore(new FakeFallbackStore(8))
                    .degradationSwitch(sw).metricRegistry(shared).build());
            assertTrue(e.getMessage().contains("metricRegistry"), e.getMessage());
            assertFalse(Rig.anySmartMqThreadAliveExcept(first), "the failed build left no thread");
            try (SmartMQ second = SmartMQ.builder().config(Rig.fastConfig().build()).transport(new FakeTransport())
                    .fallbackStore(new FakeFallbackStore(8)).degradationSwitch(new FakeSwitch(clock))
                    .metricRegistry(shared).metricPrefix("smartmq-b").build()) {
                assertEquals(shared, second.metrics());
                assertTrue(shared.getNames().contains("smartmq-b.producer.sends.mq"));
                assertTrue(shared.getNames().contains("smartmq.producer.sends.mq"));
            }
            assertTrue(shared.getNames().stream().noneMatch(n -> n.startsWith("smartmq-b.")));
        }
    }

    @Test
    void theBuilderNamesTheMissingPort() {
        MutableClock clock = MutableClock.startingNow();
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> SmartMQ.builder()
                .fallbackStore(new FakeFallbackStore(8)).degradationSwitch(new FakeSwitch(clock)).build());
        assertTrue(e.getMessage().startsWith("transport"), e.getMessage());
        e = assertThrows(ConfigurationException.class, () -> SmartMQ.builder().transport(null));
        assertTrue(e.getMessage().startsWith("transport must not be null"), e.getMessage());
        e = assertThrows(ConfigurationException.class, () -> SmartMQ.builder().metricPrefix("bad."));
        assertTrue(e.getMessage().contains("metricPrefix") && e.getMessage().contains("'bad.'"), e.getMessage());
        e = assertThrows(ConfigurationException.class,
                () -> SmartMQ.builder().idempotencyGuard(new dev.smartmq.testkit.fakes.FakeGuard(), Duration.ZERO));
        assertTrue(e.getMessage().contains("idempotencyTtl"), e.getMessage());
    }

    @Test
    void aPortOfAnotherNamespaceIsRefusedBeforeAnythingStarts() {
        MutableClock clock = MutableClock.startingNow();
        FakeTransport transport = new FakeTransport();
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> SmartMQ.builder()
                .config(SmartMQConfig.custom().namespace("orders").build())
                .transport(transport).fallbackStore(new FakeFallbackStore(8).namespace("payments"))
                .degradationSwitch(new FakeSwitch(clock)).build());
        assertTrue(e.getMessage().contains("fallbackStore.namespace") && e.getMessage().contains("'payments'")
                && e.getMessage().contains("'orders'"), e.getMessage());
        assertEquals(0, transport.sendCalls(), "nothing may have been started or sent");
        try (SmartMQ ok = SmartMQ.builder().config(SmartMQConfig.custom().namespace("orders").build())
                .transport(new FakeTransport()).fallbackStore(new FakeFallbackStore(8).namespace("orders"))
                .degradationSwitch(new FakeSwitch(clock)).build()) {
            assertEquals("orders", ok.config().namespace());
        }
    }

    @Test
    void unsubscribeStopsDeliveryAndUnregisters() {
        Rig rig = new Rig(8);
        rig.start(Rig.fastConfig().build());
        rig.mq.consumer().subscribe(Subscription.of("orders", "billing"), m -> ConsumeResult.SUCCESS);
        assertEquals(1, rig.sw.live("orders", "billing").size());
        assertThrows(IllegalStateException.class, () -> rig.mq.consumer()
                .subscribe(Subscription.of("orders", "billing"), m -> ConsumeResult.SUCCESS));
        assertThrows(ConfigurationException.class, () -> rig.mq.consumer()
                .subscribe(Subscription.builder("payments", "billing").ordered().build(), m -> ConsumeResult.SUCCESS));
        rig.mq.consumer().unsubscribe("orders", "billing");
        assertTrue(rig.sw.live("orders", "billing").isEmpty());
        assertTrue(rig.transport.subscriptions().get(0).isPaused() || rig.events.contains("subscription.close"));
        long claims = rig.store.claimCalls();
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> rig.store.claimCalls() == claims);
        rig.close();
    }
}
