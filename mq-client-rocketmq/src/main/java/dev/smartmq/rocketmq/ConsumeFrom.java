package dev.smartmq.rocketmq;

/**
 * Where a consumer group that has no committed offset yet starts reading (RocketMQ's
 * {@code ConsumeFromWhere}). A group that has committed offsets always continues from them.
 */
public enum ConsumeFrom {
    /**
     * The end of each queue: only messages sent after the group first subscribed (RocketMQ's default). Note that
     * RocketMQ brokers start a brand-new group at offset 0 while the queue's first messages are still in memory.
     */
    LAST_OFFSET,
    /** The oldest message still stored: a new group also gets what was sent before it existed. */
    FIRST_OFFSET
}
