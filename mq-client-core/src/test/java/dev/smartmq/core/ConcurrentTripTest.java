package dev.smartmq.core;

import static dev.smartmq.core.Rig.msg;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SwitchState;
import dev.smartmq.testkit.fakes.FakeSwitch;
import dev.smartmq.testkit.fakes.FakeTransport.Mode;
import dev.smartmq.testkit.fakes.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ConcurrentTripTest {

    @Test
    void eightProducerThreadsOnTwoInstancesTrippingTogetherMakeExactlyOneTransition() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        FakeSwitch sw = new FakeSwitch(clock);
        sw.setLeader(false);
        try (Rig a = new Rig(8, clock, sw); Rig b = new Rig(8, clock, sw)) {
            a.start(Rig.fastConfig().failureThreshold(5).build());
            b.start(Rig.fastConfig().failureThreshold(5).build());
            a.transport.mode(Mode.FAIL_INFRA);
            b.transport.mode(Mode.FAIL_INFRA);
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<List<SendReceipt>>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                SmartMQ mq = t % 2 == 0 ? a.mq : b.mq;
                results.add(pool.submit(() -> {
                    go.await();
                    List<SendReceipt> rs = new ArrayList<>();
                    for (int i = 0; i < 50; i++) {
                        rs.add(mq.producer().send(msg("orders")));
                    }
                    return rs;
                }));
            }
            go.countDown();
            for (Future<List<SendReceipt>> f : results) {
                for (SendReceipt r : f.get()) {
                    assertEquals(Route.FALLBACK, r.route());
                }
            }
            pool.shutdown();
            await().atMost(Duration.ofSeconds(5)).until(() -> a.mq.switchStatus().state() == SwitchState.DEGRADED
                    && b.mq.switchStatus().state() == SwitchState.DEGRADED);
            assertEquals(1, sw.appliedTransitions(), "exactly one transition");
            assertEquals(1, sw.history().size());
            assertEquals(1, a.mq.switchStatus().epoch());
            assertEquals(1, b.mq.switchStatus().epoch());
            assertTrue(sw.transitionRequests() <= 2, "at most one CAS attempt per instance");
            assertEquals(SwitchState.DEGRADED, a.mq.effectiveState());
            assertEquals(SwitchState.DEGRADED, b.mq.effectiveState());
        }
    }
}
