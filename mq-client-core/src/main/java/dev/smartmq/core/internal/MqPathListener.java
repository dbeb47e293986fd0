package dev.smartmq.core.internal;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.spi.NotDeliveredException;
import dev.smartmq.spi.TransportListener;

/**
 * The MQ side of one subscription: waits at the ORDERED gate, runs the handler through the shared
 * {@link HandlerInvoker}, and turns its outcome into what the transport needs (a failure goes through
 * {@link MqPathRedelivery}). A message that never reached the handler (gate closed, subscription closing, id in
 * progress elsewhere) is handed back as {@link NotDeliveredException}: the MQ offers it again without counting
 * an attempt.
 *
 * <p>Threads: called concurrently on the transport's consumer threads; holds no state of its own.
 */
final class MqPathListener implements TransportListener {
    static final long GATE_WAIT_MILLIS = 1000;

    private final ConsumerSubscription sub;
    private final HandlerInvoker invoker;
    private final MqPathRedelivery redelivery;

    MqPathListener(ConsumerSubscription sub, HandlerInvoker invoker, MqPathRedelivery redelivery) {
        this.sub = sub;
        this.invoker = invoker;
        this.redelivery = redelivery;
    }

    @Override
    public ConsumeResult onMessage(ReceivedMessage rm) throws Exception {
        if (sub.ordered && !sub.gate.awaitOpen(GATE_WAIT_MILLIS)) {
            throw new NotDeliveredException("ordered gate of " + sub.subscription + " closed");
        }
        if (sub.cancelled) {
            throw new NotDeliveredException(sub.subscription + " is closing");
        }
        sub.busy.increment();
        try {
            HandlerInvoker.Outcome o = invoker.invoke(sub, rm);
            if (o.ok()) {
                return ConsumeResult.SUCCESS;
            }
            if (o.busy()) {
                // Another delivery of this id holds the guard's in-progress lease: not an attempt.
                throw new NotDeliveredException(rm.id() + " is being handled by another delivery");
            }
            return redelivery.failed(sub.group, rm, o.reason());
        } finally {
            sub.busy.decrement();
        }
    }
}
