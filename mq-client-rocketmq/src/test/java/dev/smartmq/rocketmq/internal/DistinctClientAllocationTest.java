package dev.smartmq.rocketmq.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.Test;

class DistinctClientAllocationTest {

    private static final List<MessageQueue> QUEUES = List.of(new MessageQueue("t", "b", 0),
            new MessageQueue("t", "b", 1), new MessageQueue("t", "b", 2), new MessageQueue("t", "b", 3));

    /** What the broker answers while client c1 still has a stale second connection. */
    private static final List<String> LISTED_TWICE = List.of("c1", "c1", "c2");

    @Test
    void everyQueueHasExactlyOneConsumerWhenTheBrokerListsAClientTwice() {
        DistinctClientAllocation allocation = new DistinctClientAllocation();
        List<MessageQueue> c1 = allocation.allocate("g", "c1", QUEUES, LISTED_TWICE);
        List<MessageQueue> c2 = allocation.allocate("g", "c2", QUEUES, LISTED_TWICE);

        Set<MessageQueue> union = new HashSet<>(c1);
        union.addAll(c2);
        assertEquals(new HashSet<>(QUEUES), union, "every queue has a consumer");
        assertEquals(QUEUES.size(), c1.size() + c2.size(), "no queue has two consumers");
    }

    @Test
    void rocketMqsOwnStrategyLeavesAQueueWithoutConsumerInThatCase() {
        // The reason for DistinctClientAllocation: with the duplicate, one queue is nobody's.
        AllocateMessageQueueAveragely averagely = new AllocateMessageQueueAveragely();
        List<MessageQueue> taken = new ArrayList<>(averagely.allocate("g", "c1", QUEUES, LISTED_TWICE));
        taken.addAll(averagely.allocate("g", "c2", QUEUES, LISTED_TWICE));
        assertTrue(taken.size() < QUEUES.size(), "RocketMQ's strategy covered every queue: " + taken);
    }

    @Test
    void withoutDuplicatesItIsRocketMqsAllocation() {
        DistinctClientAllocation allocation = new DistinctClientAllocation();
        AllocateMessageQueueAveragely averagely = new AllocateMessageQueueAveragely();
        List<String> cids = List.of("a", "b", "c");
        for (String cid : cids) {
            assertEquals(averagely.allocate("g", cid, QUEUES, cids), allocation.allocate("g", cid, QUEUES, cids));
        }
        assertEquals(averagely.getName(), allocation.getName());
    }
}
