package dev.smartmq.core;

import static dev.smartmq.core.Rig.msg;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.Subscription;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.SwitchListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Groups the sender cannot see yet (issue 12 item 2; DESIGN.md §5, §6). */
class LateGroupTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String TOPIC = "orders";
    private final Rig rig = new Rig(8);

    @AfterEach
    void close() {
        rig.close();
    }

    @Test
    void aMessageSentBeforeTheRegistryShowsItsGroupsReachesEveryGroupAndNormalWaitsForIt() {
        rig.start(Rig.fastConfig().build());
        rig.sw.force(SwitchState.DEGRADED, SwitchMode.AUTO, null, "test");
        await().atMost(WAIT).until(() -> rig.mq.effectiveState() == SwitchState.DEGRADED);
        // The registry cache shows no group (registration is asynchronous; ZooKeeper was unreachable at start).
        rig.sw.hideGroups(true);
        Map<String, Set<String>> received = new ConcurrentHashMap<>();
        for (String group : List.of("billing", "audit")) {
            received.put(group, ConcurrentHashMap.newKeySet());
            rig.mq.consumer().subscribe(Subscription.of(TOPIC, group), m -> {
                received.get(group).add(m.id());
                return ConsumeResult.SUCCESS;
            });
        }
        List<String> violations = Collections.synchronizedList(new ArrayList<>());
        rig.sw.addListener(new SwitchListener() {
            @Override
            public void onStatusChanged(SwitchStatus previous, SwitchStatus current) {
                int waiting = rig.store.unclaimedCount(TOPIC);
                if (current.state() == SwitchState.NORMAL && waiting > 0) {
                    violations.add("NORMAL (epoch " + current.epoch() + ") with " + waiting + " unclaimed messages");
                }
            }
        }, Runnable::run);

        Set<String> sent = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 20; i++) {
            SendReceipt r = rig.mq.producer().send(msg(TOPIC, "k" + i, "m" + i));
            assertEquals(Route.FALLBACK, r.route());
            sent.add(r.messageId());
        }
        rig.transport.probeHealthy(true); // the prober moves to RECOVERING; the drain decision runs

        await().atMost(WAIT).until(() -> received.get("billing").size() + received.get("audit").size() == 40);
        assertEquals(sent, received.get("billing"));
        assertEquals(sent, received.get("audit"));
        rig.sw.hideGroups(false);
        await().atMost(WAIT).until(() -> rig.sw.current().state() == SwitchState.NORMAL);
        assertEquals(0, rig.store.unclaimedCount(TOPIC));
        assertTrue(violations.isEmpty(), violations.toString());
    }

    @Test
    void normalIsNeverWrittenWhileAnUnclaimedShardHoldsAMessage() {
        rig.start(Rig.fastConfig().build());
        rig.sw.force(SwitchState.DEGRADED, SwitchMode.AUTO, null, "test");
        await().atMost(WAIT).until(() -> rig.mq.effectiveState() == SwitchState.DEGRADED);
        rig.sw.hideGroups(true);
        for (int i = 0; i < 5; i++) {
            assertEquals(Route.FALLBACK, rig.mq.producer().send(msg(TOPIC)).route());
        }
        assertEquals(5, rig.store.unclaimedCount(TOPIC), "no group known: kept in the unclaimed shards");
        rig.transport.probeHealthy(true);
        await().atMost(WAIT).until(() -> rig.sw.current().state() != SwitchState.DEGRADED);
        int checks = rig.sw.leaderCalls();
        await().atMost(WAIT).until(() -> rig.sw.leaderCalls() >= checks + 30);
        assertEquals(SwitchState.RECOVERING, rig.sw.current().state(),
                "5 messages wait for a group: the drain decision must not write NORMAL");
    }
}
