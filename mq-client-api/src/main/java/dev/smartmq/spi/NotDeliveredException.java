package dev.smartmq.spi;

/**
 * Thrown by a {@link TransportListener} to say "this message never reached the handler; deliver it again later
 * and do not count an attempt" (an ORDERED subscription's gate is closed, the subscription is closing). The
 * transport redelivers it without moving it towards the dead letters where the MQ allows (RocketMQ: ORDERED
 * yes; CONCURRENT cannot redeliver without counting, see the transport's README).
 *
 * <p>Carries no stack trace: it is a signal, thrown often while a gate is closed. Immutable.
 */
public final class NotDeliveredException extends Exception {
    private static final long serialVersionUID = 1L;

    public NotDeliveredException(String reason) {
        super(reason, null, false, false);
    }
}
