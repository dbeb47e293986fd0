package dev.smartmq.core;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Subscription;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.testkit.fakes.FakeFallbackStore;
import dev.smartmq.testkit.fakes.FakeSwitch;
import dev.smartmq.testkit.fakes.MutableClock;
import dev.smartmq.spi.Envelope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Issue 12 item 4 (engine logic over fakes): a claim whose reply was lost never stays in flight for good. */
class LostClaimTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String TOPIC = "orders";
    private static final String GROUP = "billing";

    private final List<Rig> rigs = new ArrayList<>();

    @AfterEach
    void close() {
        rigs.forEach(Rig::close);
    }

    @Test
    void lostClaimsOfShardsAnOrderedInstanceNoLongerOwnsAreReturnedAndConsumedByTheNewOwner() {
        MutableClock clock = MutableClock.startingNow();
        FakeSwitch sw = new FakeSwitch(clock);
        sw.setLeader(false);
        FakeFallbackStore store = new FakeFallbackStore(4);
        Rig a = new Rig(4, clock, sw, store);
        Rig b = new Rig(4, clock, sw, store);
        rigs.add(a);
        rigs.add(b);
        a.start(Rig.fastConfig().build());
        b.start(Rig.fastConfig().build());
        sw.force(SwitchState.DEGRADED, SwitchMode.AUTO, null, "test");
        await().until(() -> a.mq.effectiveState() == SwitchState.DEGRADED);
        Map<String, Integer> handled = new ConcurrentHashMap<>();
        Subscription ordered = Subscription.builder(TOPIC, GROUP).ordered().build();
        a.mq.consumer().subscribe(ordered, m -> {
            handled.merge(m.id(), 1, Integer::sum);
            return ConsumeResult.SUCCESS;
        });
        // A alone owns every shard; each of its claims moves a message in flight and loses the reply.
        store.loseClaimReplies(true);
        for (int s = 0; s < 4; s++) {
            store.append(new Envelope("m-" + s, Rig.msg(TOPIC, "k" + s, "b"), 0, 0), List.of(GROUP));
        }
        await().atMost(WAIT).until(() -> store.lostClaimCount() == 4);
        // B joins: half of the shards move to B, whose claims never return A's lost claims.
        b.mq.consumer().subscribe(ordered, m -> {
            handled.merge(m.id(), 1, Integer::sum);
            return ConsumeResult.SUCCESS;
        });
        int ticks = store.backlogCalls();
        await().atMost(WAIT).until(() -> store.backlogCalls() >= ticks + 6); // both re-allocated
        store.loseClaimReplies(false);
        await().atMost(WAIT).until(() -> handled.size() == 4);
        await().atMost(WAIT).until(() -> store.backlog(TOPIC, GROUP) == 0);
        assertEquals(0, store.lostClaimCount());
        handled.forEach((id, n) -> assertEquals(1, n, id + " handled once"));
        assertTrue(store.deadLetters().isEmpty());
    }
}
