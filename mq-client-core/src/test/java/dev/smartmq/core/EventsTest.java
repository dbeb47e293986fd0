package dev.smartmq.core;

import static dev.smartmq.core.Rig.msg;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Subscription;
import dev.smartmq.api.SwitchState;
import dev.smartmq.core.event.SmartMQEvent;
import dev.smartmq.testkit.fakes.FakeTransport.Mode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EventsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final Rig rig = new Rig(8);

    @AfterEach
    void close() {
        rig.close();
    }

    @Test
    void aFullDegradeAndRecoveryCycleIsPublishedInOrderOnTheEventsThread() {
        rig.start(Rig.fastConfig().failureThreshold(3).build());
        rig.sw.setLeader(false);
        // A group consumes the fallback messages: messages for a topic without a group would (rightly) hold
        // RECOVERING until abandonedGroupTimeout.
        rig.mq.consumer().subscribe(Subscription.of("orders", "billing"), m -> ConsumeResult.SUCCESS);
        List<SmartMQEvent> all = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        List<SmartMQEvent.DrainFinished> drains = new CopyOnWriteArrayList<>();
        rig.mq.events()
                .onEvent(e -> {
                    all.add(e);
                    threads.add(Thread.currentThread().getName());
                })
                .onEvent(e -> {
                    throw new IllegalStateException("a failing subscriber must not stop the others");
                })
                .onDrainFinished(drains::add);

        rig.transport.mode(Mode.FAIL_INFRA);
        for (int i = 0; i < 3; i++) {
            rig.mq.producer().send(msg("orders"));
        }
        await().atMost(WAIT).until(() -> all.stream().anyMatch(e -> e instanceof SmartMQEvent.Published));
        // One thread's events keep their order; a local degradation (sender thread) and its publication
        // (switch thread) may interleave, so they are looked up by type.
        SmartMQEvent.StateTransition first = first(all, SmartMQEvent.StateTransition.class);
        assertEquals(SwitchState.NORMAL, first.previous());
        assertEquals(SwitchState.DEGRADED, first.current());
        assertTrue(first.locallyDegraded());
        assertEquals("test", first.namespace());
        SmartMQEvent.LocalDegradation local = first(all, SmartMQEvent.LocalDegradation.class);
        assertTrue(local.reason().contains("3"), local.reason());
        SmartMQEvent.SwitchChanged changed = first(all, SmartMQEvent.SwitchChanged.class);
        assertEquals(SwitchState.DEGRADED, changed.current().state());
        assertEquals(rig.mq.instanceId(), first(all, SmartMQEvent.Published.class).status().changedBy());
        assertTrue(all.indexOf(changed) < all.indexOf(first(all, SmartMQEvent.Published.class)),
                "a switch document's events keep their order");
        assertTrue(drains.isEmpty());

        rig.transport.mode(Mode.OK);
        rig.transport.probeHealthy(true);
        rig.sw.setLeader(true);
        await().atMost(WAIT).until(() -> drains.size() == 1);
        assertTrue(drains.get(0).byThisInstance());
        assertEquals(SwitchState.NORMAL, drains.get(0).status().state());
        List<SwitchState> states = all.stream().filter(e -> e instanceof SmartMQEvent.StateTransition)
                .map(e -> ((SmartMQEvent.StateTransition) e).current()).toList();
        assertEquals(List.of(SwitchState.DEGRADED, SwitchState.RECOVERING, SwitchState.NORMAL), states);
        assertTrue(threads.stream().allMatch("smartmq-events-1"::equals), threads.toString());
    }

    private static <T extends SmartMQEvent> T first(List<SmartMQEvent> events, Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " in " + events));
    }

    @Test
    void removedSubscribersHearNothingAndCloseEndsTheEventsThread() {
        rig.start(Rig.fastConfig().failureThreshold(2).build());
        rig.sw.setLeader(false);
        List<SmartMQEvent> kept = new CopyOnWriteArrayList<>();
        List<SmartMQEvent> removed = new CopyOnWriteArrayList<>();
        Consumer<SmartMQEvent> gone = removed::add;
        rig.mq.events().onEvent(kept::add).onStateTransition(gone);
        assertTrue(rig.mq.events().remove(gone));
        assertFalse(rig.mq.events().remove(gone));
        rig.transport.mode(Mode.FAIL_INFRA);
        rig.mq.producer().send(msg("orders"));
        rig.mq.producer().send(msg("orders"));
        await().atMost(WAIT).until(() -> kept.stream().anyMatch(e -> e instanceof SmartMQEvent.Published));
        assertTrue(removed.isEmpty());
        rig.mq.close();
        assertFalse(Rig.anySmartMqThreadAlive(), "no smartmq- thread after close");
    }
}
