package dev.smartmq.spi;

/**
 * Told by a {@link PrimaryTransport} when it isolates one broker locally (keyless sends avoid it, keyed sends whose
 * queue lives on it fail at once with {@link FailureScope#BROKER_ISOLATED}) and when a probe re-admits it. The
 * engine logs and counts these.
 *
 * <p>Thread rules: called on whichever thread noticed (a sender thread, an MQ client callback thread, the
 * engine's prober thread), never while the transport holds a lock; implementations must be quick and must not
 * block or throw.
 */
public interface BrokerHealthListener {

    /** A listener that does nothing (the default of a transport nobody listens to). */
    BrokerHealthListener NONE = new BrokerHealthListener() {
        @Override
        public void brokerIsolated(String broker, String reason) {
        }

        @Override
        public void brokerReadmitted(String broker, String reason) {
        }
    };

    void brokerIsolated(String broker, String reason);

    void brokerReadmitted(String broker, String reason);
}
