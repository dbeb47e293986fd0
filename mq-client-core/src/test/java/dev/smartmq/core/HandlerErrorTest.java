package dev.smartmq.core;

import static dev.smartmq.core.Rig.msg;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Subscription;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.testkit.fakes.FakeFallbackStore;
import dev.smartmq.testkit.fakes.FakeSwitch;
import dev.smartmq.testkit.fakes.FakeTransport;
import dev.smartmq.testkit.fakes.MutableClock;
import dev.smartmq.spi.ConsumerRegistry;
import dev.smartmq.spi.Coordination;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.PrimaryTransport;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Issue 12 item 5: an Error thrown by a handler or inside a scheduled job never stops consumption for good. */
class HandlerErrorTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String TOPIC = "orders";
    private static final String GROUP = "billing";

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    @Test
    void errorsThrownByHandlersAreRetriedThenDeadLetteredAndNoWorkerDies() {
        Rig rig = new Rig(8);
        open.add(rig);
        rig.start(Rig.fastConfig().consumerThreads(2).maxDeliveryAttempts(2).build());
        rig.sw.setLeader(false);
        rig.sw.force(SwitchState.DEGRADED, SwitchMode.AUTO, null, "test");
        await().until(() -> rig.mq.effectiveState() == SwitchState.DEGRADED);
        Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        List<String> good = Collections.synchronizedList(new ArrayList<>());
        rig.mq.consumer().subscribe(Subscription.of(TOPIC, GROUP), m -> {
            String body = new String(m.body(), StandardCharsets.UTF_8);
            calls.computeIfAbsent(body, b -> new AtomicInteger()).incrementAndGet();
            if (body.startsWith("stack")) {
                throw new StackOverflowError("deep " + body);
            }
            if (body.startsWith("oom")) {
                throw new OutOfMemoryError("no room for " + body);
            }
            if (body.startsWith("assert")) {
                throw new AssertionError("wrong " + body);
            }
            good.add(body);
            return ConsumeResult.SUCCESS;
        });
        // more failing messages than workers: before the fix each one killed a worker for good
        for (String bad : List.of("stack-1", "oom-1", "stack-2", "assert-1")) {
            rig.mq.producer().send(msg(TOPIC, bad, bad));
        }
        await().atMost(WAIT).until(() -> rig.store.deadLetters().size() == 4);
        for (int i = 0; i < 20; i++) {
            rig.mq.producer().send(msg(TOPIC, "good-" + i, "good-" + i));
        }
        await().atMost(WAIT).until(() -> good.size() == 20);
        await().atMost(WAIT).until(() -> rig.store.backlog(TOPIC, GROUP) == 0);
        for (String bad : List.of("stack-1", "oom-1", "stack-2", "assert-1")) {
            assertEquals(2, calls.get(bad).get(), bad + " delivered maxDeliveryAttempts times");
        }
        FakeFallbackStore.DeadLetter dl = rig.store.deadLetters().stream()
                .filter(d -> new String(d.envelope().message().body(), StandardCharsets.UTF_8).equals("oom-1"))
                .findFirst().orElseThrow();
        assertTrue(dl.reason().contains("OutOfMemoryError"), dl.reason());
        long workers = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("smartmq-consumer-")).count();
        assertEquals(2, workers, "both fallback workers alive");
    }

    @Test
    void anErrorInTheProberTheOrphanReaperOrTheMaintenanceLoopDoesNotStopThem() {
        MutableClock clock = MutableClock.startingNow();
        FakeSwitch fakeSwitch = new FakeSwitch(clock);
        FakeTransport fakeTransport = new FakeTransport();
        FakeFallbackStore store = new FakeFallbackStore(4);
        AtomicInteger probeErrors = new AtomicInteger(2);
        AtomicInteger liveErrors = new AtomicInteger(3);
        PrimaryTransport transport = failing(PrimaryTransport.class, fakeTransport, "probe", probeErrors,
                () -> new StackOverflowError("probe"));
        ConsumerRegistry registry = failing(ConsumerRegistry.class, fakeSwitch, "liveConsumers", liveErrors,
                () -> new OutOfMemoryError("registry"));
        SmartMQ mq = SmartMQ.builder().config(Rig.fastConfig().build()).transport(transport).fallbackStore(store)
                .coordination(Coordination.of(null, fakeSwitch, registry, fakeSwitch)).clock(clock).build();
        open.add(mq);
        // an orphan of a dead consumer: the reaper (which asks liveConsumers) must return it after its errors
        store.append(new Envelope("orphan", msg(TOPIC, "k", "o"), 0, 0), List.of(GROUP));
        store.claim(TOPIC, GROUP, store.shardOf(new Envelope("orphan", msg(TOPIC, "k", "o"), 0, 0)), "dead", 10);
        fakeSwitch.addLiveConsumer(TOPIC, GROUP, "someone-else");
        List<String> handled = Collections.synchronizedList(new ArrayList<>());
        mq.consumer().subscribe(Subscription.of(TOPIC, GROUP), m -> {
            handled.add(m.id());
            return ConsumeResult.SUCCESS;
        });
        fakeTransport.probeHealthy(true);
        fakeSwitch.force(SwitchState.DEGRADED, SwitchMode.AUTO, null, "test");
        await().atMost(WAIT).until(() -> fakeSwitch.current().state() != SwitchState.DEGRADED);
        assertTrue(probeErrors.get() <= 0, "the prober ran through its errors");
        await().atMost(WAIT).until(() -> handled.contains("orphan"));
        assertTrue(liveErrors.get() <= 0, "the reaper ran through its errors");
    }

    /** A proxy of {@code port} whose {@code method} throws {@code error} the first {@code times} calls. */
    @SuppressWarnings("unchecked")
    private static <T> T failing(Class<T> type, T port, String method, AtomicInteger times,
                                 java.util.function.Supplier<Error> error) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, m, args) -> {
            if (m.getName().equals(method) && times.getAndDecrement() > 0) {
                throw error.get();
            }
            try {
                return m.invoke(port, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }
}
