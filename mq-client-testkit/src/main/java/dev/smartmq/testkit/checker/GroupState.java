package dev.smartmq.testkit.checker;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Live counters of one consumer group. */
final class GroupState {

    final String name;
    final int index;
    /** Numbers first deliveries in the order the checker saw them (the order check's clock). */
    final AtomicLong firstDeliveries = new AtomicLong();
    /** Distinct acknowledged ids delivered to this group; compared with the acknowledged count while waiting. */
    final AtomicLong ackedDelivered = new AtomicLong();
    final LongAdder viaMq = new LongAdder();
    final LongAdder viaFallback = new LongAdder();

    GroupState(String name, int index) {
        this.name = name;
        this.index = index;
    }
}
