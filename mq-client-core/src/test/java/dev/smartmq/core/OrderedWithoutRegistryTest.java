package dev.smartmq.core;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Subscription;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.spi.Envelope;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Issue 12 item 6 (engine logic over fakes): an ORDERED subscription made while ZooKeeper is unreachable. */
class OrderedWithoutRegistryTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String TOPIC = "orders";
    private static final String GROUP = "billing";

    private Rig rig;

    @AfterEach
    void close() {
        if (rig != null) {
            rig.close();
        }
    }

    @Test
    void anOrderedSubscriptionCreatedWhileTheRegistryIsUnreachableConsumesTheFallbackInOrder() {
        rig = new Rig(4);
        rig.start(Rig.fastConfig().build());
        rig.sw.setLeader(false);
        rig.sw.force(SwitchState.DEGRADED, SwitchMode.AUTO, null, "test");
        await().until(() -> rig.mq.effectiveState() == SwitchState.DEGRADED);
        rig.sw.setReachable(false); // ZooKeeper down: the live instances of the group cannot be read
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        rig.mq.consumer().subscribe(Subscription.builder(TOPIC, GROUP).ordered().build(), m -> {
            seen.add(new String(m.body(), StandardCharsets.UTF_8));
            return ConsumeResult.SUCCESS;
        });
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String body = "k" + (i % 3) + "-" + i;
            rig.store.append(new Envelope("id-" + i, Rig.msg(TOPIC, "k" + (i % 3), body), 0, 0), List.of(GROUP));
            sent.add(body);
        }
        await().atMost(WAIT).until(() -> seen.size() == 20);
        for (int k = 0; k < 3; k++) {
            String prefix = "k" + k + "-";
            assertEquals(sent.stream().filter(b -> b.startsWith(prefix)).toList(),
                    seen.stream().filter(b -> b.startsWith(prefix)).toList(), "order of key k" + k);
        }
        await().atMost(WAIT).until(() -> rig.store.backlog(TOPIC, GROUP) == 0);
    }
}
