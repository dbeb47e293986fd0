package dev.smartmq.core;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Message;
import dev.smartmq.api.Subscription;
import dev.smartmq.testkit.fakes.FakeGuard;
import dev.smartmq.testkit.fakes.FakeSwitch;
import dev.smartmq.testkit.fakes.FakeTransport.FakeSubscription;
import dev.smartmq.testkit.fakes.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 item 1, MQ path (engine logic over fakes): a consumer that dies inside its handler must not make the
 * message look handled to the instance the MQ redelivers it to. The fallback path with a real redis-server
 * and a consumer JVM killed with SIGKILL is {@code ConsumerCrashIT} in the chaos module.
 */
class IdempotencyCrashTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String TOPIC = "orders";
    private static final String GROUP = "billing";

    private final List<Rig> rigs = new ArrayList<>();
    private final CountDownLatch never = new CountDownLatch(1);

    @AfterEach
    void close() {
        never.countDown();
        rigs.forEach(Rig::close);
    }

    @Test
    void aConsumerThatDiesInsideItsMqHandlerIsFollowedByExactlyOneSuccessfulHandlerCall() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        FakeSwitch sw = new FakeSwitch(clock);
        FakeGuard guard = new FakeGuard(clock); // one shared Redis
        Rig a = new Rig(4, clock, sw);
        Rig b = new Rig(4, clock, sw);
        rigs.add(a);
        rigs.add(b);
        a.startWithGuard(Rig.fastConfig().build(), guard);
        b.startWithGuard(Rig.fastConfig().build(), guard);
        CountDownLatch aInside = new CountDownLatch(1);
        AtomicInteger aSucceeded = new AtomicInteger();
        AtomicInteger bSucceeded = new AtomicInteger();
        Subscription s = Subscription.of(TOPIC, GROUP);
        a.mq.consumer().subscribe(s, m -> {
            aInside.countDown();
            never.await(); // A dies here: its handler never returns, nothing after it runs
            aSucceeded.incrementAndGet();
            return ConsumeResult.SUCCESS;
        });
        b.mq.consumer().subscribe(s, m -> {
            bSucceeded.incrementAndGet();
            return ConsumeResult.SUCCESS;
        });
        Message m = Message.builder(TOPIC).key("k").body("paid").build();
        FakeSubscription onA = a.transport.subscriptions().get(0);
        FakeSubscription onB = b.transport.subscriptions().get(0);
        onA.offer("m-1", m);
        assertEquals(true, aInside.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        // A is gone (crash, rebalance): the MQ hands the same message to B.
        onB.offer("m-1", m);
        // Whatever A left in the guard lives at most the in-progress lease.
        clock.advance(Duration.ofMinutes(2));
        await().atMost(WAIT).until(() -> bSucceeded.get() == 1);
        await().atMost(WAIT).until(() -> onB.pendingCount() == 0);
        assertEquals(1, bSucceeded.get() + aSucceeded.get(), "exactly one successful handler call");
    }
}
