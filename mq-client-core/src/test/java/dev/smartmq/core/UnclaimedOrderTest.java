package dev.smartmq.core;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Route;
import dev.smartmq.api.Subscription;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Per-key order across the unclaimed shards (found by the fault campaign, issue 14: a producer restarted during a
 * ZooKeeper quorum loss): a sender that saw no group wrote a key's first messages to the unclaimed shards; once it
 * sees the group again its next messages of that key go straight to the group's shard, and an ORDERED consumer
 * took those before the older unclaimed ones were handed to the group.
 */
class UnclaimedOrderTest {
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
    void aKeysMessagesSentBeforeAndAfterTheSenderSeesTheGroupAreConsumedInSendOrder() {
        rig = new Rig(4);
        rig.start(Rig.fastConfig().build());
        rig.sw.setLeader(false); // no drain tick hands the unclaimed messages out in between
        rig.sw.force(SwitchState.DEGRADED, SwitchMode.AUTO, null, "test");
        await().atMost(WAIT).until(() -> rig.mq.effectiveState() == SwitchState.DEGRADED);
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        rig.mq.consumer().subscribe(Subscription.builder(TOPIC, GROUP).ordered().build(), m -> {
            seen.add(new String(m.body(), StandardCharsets.UTF_8));
            return ConsumeResult.SUCCESS;
        });
        List<String> sent = new ArrayList<>();
        rig.sw.hideGroups(true); // the sender's registry cache is empty (it started during the quorum loss)
        for (int i = 0; i < 5; i++) {
            sent.add("m" + i);
            assertEquals(Route.FALLBACK, rig.mq.producer().send(Rig.msg(TOPIC, "k", "m" + i)).route());
        }
        assertEquals(5, rig.store.unclaimedCount(TOPIC));
        rig.sw.hideGroups(false); // the cache caught up: the group is visible again
        for (int i = 5; i < 10; i++) {
            sent.add("m" + i);
            assertEquals(Route.FALLBACK, rig.mq.producer().send(Rig.msg(TOPIC, "k", "m" + i)).route());
        }
        rig.sw.setLeader(true); // whatever is still unclaimed is handed out now
        await().atMost(WAIT).until(() -> seen.size() >= 10);
        assertEquals(sent, List.copyOf(seen), "key k consumed out of send order");
    }
}
