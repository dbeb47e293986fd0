package dev.smartmq.rocketmq.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.rocketmq.client.consumer.AllocateMessageQueueStrategy;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * RocketMQ's "allocate averagely" over the <em>distinct</em> consumer ids of a group, so that every queue has a
 * consumer even while the broker lists a consumer twice.
 *
 * <p>Why: a broker answers "who is in this group" with one client id per open connection. After connection churn
 * (a flapping network, a heartbeat that timed out and made the client reconnect while another thread reconnected
 * too) a client can keep two connections to the broker, and the broker lists it twice until the stale connection
 * expires (120 s by default). RocketMQ's strategy then hands the duplicate's share of queues to nobody: each client
 * only takes the share of the first position of its id. Those queues are not consumed until the broker drops the
 * stale connection and the next rebalance runs (the chaos suite saw two of four queues stall for over 90 s after a
 * flapping broker and after a slow heartbeat). With duplicates removed (sorted, as RocketMQ sorts them) every
 * client computes the same allocation and every queue has exactly one consumer.
 */
final class DistinctClientAllocation implements AllocateMessageQueueStrategy {

    private final AllocateMessageQueueStrategy averagely = new AllocateMessageQueueAveragely();

    @Override
    public List<MessageQueue> allocate(String consumerGroup, String currentCID, List<MessageQueue> mqAll,
                                       List<String> cidAll) {
        List<String> distinct = cidAll == null ? null : new ArrayList<>(new TreeSet<>(cidAll));
        return averagely.allocate(consumerGroup, currentCID, mqAll, distinct);
    }

    /** The same name as RocketMQ's strategy: the allocation is the same whenever the id list has no duplicate. */
    @Override
    public String getName() {
        return averagely.getName();
    }
}
