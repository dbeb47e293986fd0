package dev.smartmq.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.testkit.fakes.FakeSwitch;
import dev.smartmq.testkit.fakes.MutableClock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;

/**
 * Observers hear switch documents in epoch order even when two engine threads adopt two documents at once (the
 * prober its own write, the switch thread the watch): before, each thread told the observers after leaving the
 * tracker's lock, so they could hear NORMAL before RECOVERING (EventsTest saw it under load).
 */
class SwitchTrackerOrderTest {

    private static final SwitchState[] CYCLE = {SwitchState.DEGRADED, SwitchState.RECOVERING, SwitchState.NORMAL};

    @Test
    void twoThreadsAdoptingSuccessiveDocumentsNeverReorderTheObserversCalls() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        SmartMQConfig config = SmartMQConfig.custom().namespace("test").build();
        EngineMetrics metrics = new EngineMetrics(new MetricRegistry(), "smartmq");
        SwitchTracker tracker = new SwitchTracker(new FakeSwitch(clock), config, clock, "me", metrics,
                new FailureDetector(config));
        List<Long> documents = new ArrayList<>(); // observer calls are serial by contract: no lock needed...
        List<SwitchState> transitions = new ArrayList<>();
        List<String> overlaps = new ArrayList<>();
        Object guard = new Object(); // ...but this test checks that too
        boolean[] inside = {false};
        tracker.addObserver(new SwitchTracker.EffectiveStateObserver() {
            @Override
            public void onEffectiveStateChanged(SwitchState previous, SwitchState current) {
                synchronized (guard) {
                    transitions.add(current);
                }
            }

            @Override
            public void onSwitchDocument(SwitchStatus previous, SwitchStatus current, boolean byThisInstance) {
                synchronized (guard) {
                    if (inside[0]) {
                        overlaps.add("epoch " + current.epoch());
                    }
                    inside[0] = true;
                }
                Thread.yield(); // widen the window in which another thread could fire
                synchronized (guard) {
                    documents.add(current.epoch());
                    inside[0] = false;
                }
            }
        });
        int rounds = 3_000;
        CyclicBarrier barrier = new CyclicBarrier(2);
        Runnable odd = () -> adopt(tracker, barrier, rounds, 1);
        Runnable even = () -> adopt(tracker, barrier, rounds, 2);
        Thread a = new Thread(odd, "adopter-odd");
        Thread b = new Thread(even, "adopter-even");
        a.start();
        b.start();
        a.join(60_000);
        b.join(60_000);
        metrics.close();

        synchronized (guard) {
            assertTrue(overlaps.isEmpty(), "observers called concurrently: " + overlaps.size());
            List<Long> outOfOrder = new ArrayList<>();
            for (int i = 1; i < documents.size(); i++) {
                if (documents.get(i) <= documents.get(i - 1)) {
                    outOfOrder.add(documents.get(i));
                }
            }
            assertEquals(List.of(), outOfOrder, "documents heard out of epoch order");
            for (int i = 1; i < transitions.size(); i++) {
                assertTrue(transitions.get(i) != transitions.get(i - 1),
                        "the same state twice in a row at " + i + ": a transition was heard out of order");
            }
        }
    }

    /** Each round the two threads race: one adopts epoch 2r+1, the other 2r+2 (it may arrive first: skipped). */
    private static void adopt(SwitchTracker tracker, CyclicBarrier barrier, int rounds, int offset) {
        try {
            for (int r = 0; r < rounds; r++) {
                long epoch = 2L * r + offset;
                SwitchStatus s = new SwitchStatus(CYCLE[(int) (epoch % CYCLE.length)], SwitchMode.AUTO, "test",
                        "other", Instant.EPOCH, null, epoch);
                barrier.await();
                tracker.observe(s);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
