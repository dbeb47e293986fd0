package dev.smartmq.rocketmq.internal;

/**
 * Thrown by {@link IsolationAwareSelector} to refuse a keyed send whose queue lives on a locally isolated broker;
 * RocketMQ wraps it, {@link #brokerIn} finds it again. Carries no stack trace (it is a routine, frequent signal).
 */
public final class BrokerIsolatedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String broker;

    public BrokerIsolatedException(String broker) {
        super("the queue lives on broker " + broker + ", isolated locally", null, false, false);
        this.broker = broker;
    }

    public String broker() {
        return broker;
    }

    /** The broker named by a {@code BrokerIsolatedException} in {@code failure}'s cause chain, or {@code null}. */
    public static String brokerIn(Throwable failure) {
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 16; t = t.getCause(), depth++) {
            if (t instanceof BrokerIsolatedException e) {
                return e.broker;
            }
        }
        return null;
    }
}
