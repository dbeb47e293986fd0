package dev.smartmq.core.internal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SwitchState;
import dev.smartmq.testkit.fakes.FakeSwitch;
import dev.smartmq.testkit.fakes.MutableClock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Publishing a local degradation while the switch store hangs (issue 12). */
class SwitchTrackerPublishTest {

    @Test
    void aHungSwitchDoesNotQueueOnePublishPerMaintenanceTick() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        FakeSwitch sw = new FakeSwitch(clock);
        SmartMQConfig config = SmartMQConfig.custom().namespace("test").minDwellTime(Duration.ZERO).build();
        EngineMetrics metrics = new EngineMetrics(new MetricRegistry(), "smartmq");
        SwitchTracker tracker = new SwitchTracker(sw, config, clock, "me", metrics, new FailureDetector(SmartMQConfig.custom().failureThreshold(3).build()));
        ExecutorService switchThread = Executors.newSingleThreadExecutor();
        AtomicInteger submitted = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        try {
            tracker.bind(r -> {
                submitted.incrementAndGet();
                switchThread.execute(r);
            });
            sw.hangTransitions(release);
            tracker.requestDegrade("test trip");
            await().atMost(Duration.ofSeconds(5)).until(() -> sw.transitionRequests() == 1);
            for (int tick = 0; tick < 100; tick++) {
                tracker.schedulePublish(); // what the maintenance loop does every drainCheckInterval
            }
            assertTrue(submitted.get() <= 2, submitted.get() + " publishes queued behind one hung switch write");
            release.countDown();
            await().atMost(Duration.ofSeconds(5)).until(() -> sw.current().state() == SwitchState.DEGRADED);
            assertEquals(1, sw.appliedTransitions());
        } finally {
            release.countDown();
            switchThread.shutdownNow();
            switchThread.awaitTermination(5, TimeUnit.SECONDS);
            metrics.close();
        }
    }
}
