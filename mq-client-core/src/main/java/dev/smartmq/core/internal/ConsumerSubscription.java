package dev.smartmq.core.internal;

import dev.smartmq.api.MessageHandler;
import dev.smartmq.api.Ordering;
import dev.smartmq.api.Subscription;
import dev.smartmq.spi.ConsumerRegistration;
import dev.smartmq.spi.TransportSubscription;
import java.util.BitSet;

/**
 * One active (topic, group) subscription of the consumer: the user's subscription and handler, its MQ
 * subscription, its registration in the group registry, its ORDERED gate, the shards this instance drains and
 * the count of handlers running for it.
 *
 * <p>Threads: the final fields are set at construction; the mutable ones are volatile and written by the
 * subscribing thread, the maintenance thread and {@code close()}; {@link #busy} is a monitor-guarded counter
 * every thread that calls the handler increments around the call.
 */
final class ConsumerSubscription {
    final Subscription subscription;
    final MessageHandler handler;
    final String topic;
    final String group;
    final boolean ordered;
    final int shards;
    final OrderedGate gate = new OrderedGate();
    final InFlightCounter busy = new InFlightCounter();
    volatile ConsumerRegistration registration;
    volatile TransportSubscription transportSub;
    volatile boolean adopted;
    volatile boolean cancelled;
    /** The backlog gauge may be out of date: re-read it at the next maintenance tick even in NORMAL. */
    volatile boolean backlogStale = true;
    /** Shards this instance drains; {@code null} means all (CONCURRENT). */
    volatile BitSet owned;

    ConsumerSubscription(Subscription subscription, MessageHandler handler, int shards) {
        this.subscription = subscription;
        this.handler = handler;
        this.topic = subscription.topic();
        this.group = subscription.group();
        this.ordered = subscription.ordering() == Ordering.ORDERED;
        this.shards = shards;
        this.owned = ordered ? new BitSet() : null;
    }

    boolean owns(int shard) {
        BitSet o = owned;
        return o == null || o.get(shard);
    }

    @Override
    public String toString() {
        return subscription.toString();
    }
}
