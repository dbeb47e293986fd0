package dev.smartmq.core;

import static dev.smartmq.core.Rig.msg;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Route;
import dev.smartmq.api.Subscription;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A group nobody consumes any more must not hold the switch for ever (issue 12 item 11). */
class AbandonedGroupTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String TOPIC = "orders";
    private final Rig rig = new Rig(8);

    @AfterEach
    void close() {
        rig.close();
    }

    @Test
    void aGroupWithoutLiveConsumersStopsHoldingRecoveryAfterTheTimeoutAndKeepsItsMessages() {
        rig.start(Rig.fastConfig().abandonedGroupTimeout(Duration.ofMillis(500)).build());
        rig.sw.addLiveConsumer(TOPIC, "ghost", "ghost-1"); // a group of a service that was decommissioned
        rig.sw.removeLiveConsumer(TOPIC, "ghost", "ghost-1");
        Set<String> billing = ConcurrentHashMap.newKeySet();
        rig.mq.consumer().subscribe(Subscription.of(TOPIC, "billing"), m -> {
            billing.add(m.id());
            return ConsumeResult.SUCCESS;
        });
        rig.sw.force(SwitchState.DEGRADED, SwitchMode.AUTO, null, "test");
        await().atMost(WAIT).until(() -> rig.mq.effectiveState() == SwitchState.DEGRADED);
        for (int i = 0; i < 5; i++) {
            assertEquals(Route.FALLBACK, rig.mq.producer().send(msg(TOPIC)).route());
        }
        await().atMost(WAIT).until(() -> billing.size() == 5);
        rig.transport.probeHealthy(true);
        long start = System.nanoTime();
        await().atMost(WAIT).until(() -> rig.sw.current().state() == SwitchState.NORMAL);
        assertTrue(System.nanoTime() - start >= Duration.ofMillis(500).toNanos(),
                "the ghost group held the switch for its timeout first");
        assertEquals(5, rig.store.backlog(TOPIC, "ghost"), "its messages are kept, not dropped");
    }

    @Test
    void aGroupWithALiveConsumerHoldsRecoveryWhateverTheTimeout() {
        rig.start(Rig.fastConfig().abandonedGroupTimeout(Duration.ofMillis(100)).build());
        rig.sw.addLiveConsumer(TOPIC, "slow", "slow-1"); // alive, just not consuming the fallback yet
        rig.sw.force(SwitchState.DEGRADED, SwitchMode.AUTO, null, "test");
        await().atMost(WAIT).until(() -> rig.mq.effectiveState() == SwitchState.DEGRADED);
        rig.mq.producer().send(msg(TOPIC));
        rig.transport.probeHealthy(true);
        await().atMost(WAIT).until(() -> rig.sw.current().state() == SwitchState.RECOVERING);
        int checks = rig.sw.leaderCalls();
        await().atMost(WAIT).until(() -> rig.sw.leaderCalls() >= checks + 40);
        assertEquals(SwitchState.RECOVERING, rig.sw.current().state());
    }
}
