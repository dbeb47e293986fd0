package dev.smartmq.core;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Message;
import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.Subscription;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.testkit.fakes.FakeFallbackStore;
import dev.smartmq.testkit.fakes.FakeSwitch;
import dev.smartmq.testkit.fakes.FakeTransport;
import dev.smartmq.testkit.fakes.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The example of the testkit README ("In-memory fakes of the ports"), as a user would write it: a handler and the
 * routing unit-tested on the published fakes, without a server.
 */
class TestkitFakesExampleTest {

    @Test
    void aDegradedFleetRoutesToTheStoreAndTheHandlerStillGetsTheMessage() {
        MutableClock clock = MutableClock.ticking();
        FakeTransport mq = new FakeTransport();
        FakeFallbackStore store = new FakeFallbackStore(4);
        FakeSwitch coordination = new FakeSwitch(clock);
        List<String> billed = new CopyOnWriteArrayList<>();
        try (SmartMQ smart = SmartMQ.builder().config(Rig.fastConfig().build()).transport(mq)
                .fallbackStore(store).coordination(coordination).clock(clock).build()) {
            smart.consumer().subscribe(Subscription.of("ORDER_PAID", "billing"), m -> {
                billed.add(m.key());
                return ConsumeResult.SUCCESS;
            });
            coordination.force(SwitchState.DEGRADED, SwitchMode.MANUAL, null, "test");
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> smart.producer().send(Message.builder("ORDER_PAID").key("probe").body("{}").build())
                            .route() == Route.FALLBACK);
            SendReceipt r = smart.producer().send(Message.builder("ORDER_PAID").key("o-1").body("{}").build());
            assertEquals(Route.FALLBACK, r.route());
            assertTrue(coordination.groups("ORDER_PAID").contains("billing"), "the subscription registered its group");
            await().atMost(Duration.ofSeconds(30)).until(() -> billed.contains("o-1"));
            assertTrue(!mq.wasSent(r.messageId()), "the degraded send never reached the MQ");
        }
    }
}
