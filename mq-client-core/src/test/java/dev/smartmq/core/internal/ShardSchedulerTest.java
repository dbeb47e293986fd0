package dev.smartmq.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Ordering, fairness and waking of the consumer's work queue; nothing here waits for a due time. */
class ShardSchedulerTest {

    private static final long HOUR = TimeUnit.HOURS.toNanos(1);
    private final ShardScheduler scheduler = new ShardScheduler();

    private static ConsumerSubscription sub(String group) {
        return new ConsumerSubscription(Subscription.of("orders", group), m -> ConsumeResult.SUCCESS, 4);
    }

    private List<ShardScheduler.Work> drainDue() {
        List<ShardScheduler.Work> out = new ArrayList<>();
        for (ShardScheduler.Work w; (w = scheduler.poll()) != null; ) {
            out.add(w);
        }
        return out;
    }

    @Test
    void workDueNowComesOutInTheOrderItWasScheduled() {
        ConsumerSubscription s = sub("billing");
        List<ShardScheduler.ShardWork> shards = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            shards.add(new ShardScheduler.ShardWork(s, i));
            scheduler.schedule(shards.get(i), 0);
        }

        assertEquals(shards, drainDue());
    }

    @Test
    void aShardPutBackDueNowGoesBehindEveryShardAlreadyDueSoNoneStarves() {
        ConsumerSubscription s = sub("billing");
        ShardScheduler.ShardWork busy = new ShardScheduler.ShardWork(s, 0);
        ShardScheduler.ShardWork other = new ShardScheduler.ShardWork(s, 1);
        scheduler.schedule(busy, 0);
        scheduler.schedule(other, 0);

        assertSame(busy, scheduler.poll());
        scheduler.schedule(busy, 0); // its claim was full: due again at once

        assertEquals(List.of(other, busy), drainDue());
    }

    @Test
    void sleepingWorkIsNotHandedOut() {
        scheduler.schedule(new ShardScheduler.ShardWork(sub("billing"), 0), HOUR);

        assertNull(scheduler.poll());
        assertEquals(1, scheduler.size());
    }

    @Test
    void wakePullsTheSleepingShardsOfOneSubscriptionForwardAndResetsTheirBackoff() {
        ConsumerSubscription billing = sub("billing");
        ConsumerSubscription audit = sub("audit");
        ShardScheduler.ShardWork asleep = new ShardScheduler.ShardWork(billing, 0);
        asleep.emptyBackoffNanos = HOUR;
        ShardScheduler.ShardWork otherSub = new ShardScheduler.ShardWork(audit, 0);
        ShardScheduler.RetryWork retry = new ShardScheduler.RetryWork(billing, null, 2);
        scheduler.schedule(asleep, HOUR);
        scheduler.schedule(otherSub, HOUR);
        scheduler.schedule(retry, HOUR);

        assertEquals(1, scheduler.wake(billing, TimeUnit.MILLISECONDS.toNanos(100)));

        assertEquals(List.of(asleep), drainDue(), "only billing's shard; a retry keeps its back-off");
        assertEquals(0, asleep.emptyBackoffNanos);
        assertEquals(2, scheduler.size());
    }

    @Test
    void wakeLeavesShardsThatAreDueSoonAnywayWhereTheyAre() {
        ConsumerSubscription billing = sub("billing");
        ShardScheduler.ShardWork soon = new ShardScheduler.ShardWork(billing, 0);
        scheduler.schedule(soon, TimeUnit.MILLISECONDS.toNanos(50));
        long order = soon.order;

        assertEquals(0, scheduler.wake(billing, HOUR));
        assertEquals(order, soon.order);
    }

    @Test
    void stopWorkIsDueNowBehindTheWorkAlreadyDue() {
        ShardScheduler.ShardWork due = new ShardScheduler.ShardWork(sub("billing"), 0);
        scheduler.schedule(due, 0);

        scheduler.stopWorkers(2);

        List<ShardScheduler.Work> out = drainDue();
        assertEquals(3, out.size());
        assertSame(due, out.get(0));
        assertInstanceOf(ShardScheduler.StopWork.class, out.get(1));
        assertInstanceOf(ShardScheduler.StopWork.class, out.get(2));
    }
}
