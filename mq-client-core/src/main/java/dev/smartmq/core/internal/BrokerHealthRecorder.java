package dev.smartmq.core.internal;

import dev.smartmq.spi.BrokerHealthListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's {@link BrokerHealthListener}: logs every local isolation and re-admission of a broker at WARN and
 * counts them ({@code transport.brokers.isolations}, {@code transport.brokers.readmissions}) and publishes them as
 * {@link dev.smartmq.core.event.SmartMQEvent.BrokerIsolated} / {@code BrokerReadmitted} events. The messages of an
 * isolated broker's keys are ordinary fallback messages: the fallback consumers drain them like any other.
 *
 * <p>Thread rules: called on any thread, concurrently; only logs, increments counters and enqueues events.
 */
final class BrokerHealthRecorder implements BrokerHealthListener {
    private static final Logger log = LoggerFactory.getLogger(BrokerHealthRecorder.class);

    private final EngineMetrics metrics;
    private final String namespace;

    private final EventBus events;

    BrokerHealthRecorder(EngineMetrics metrics, String namespace, EventBus events) {
        this.metrics = metrics;
        this.namespace = namespace;
        this.events = events;
    }

    @Override
    public void brokerIsolated(String broker, String reason) {
        metrics.brokerIsolations.inc();
        events.brokerIsolated(broker, reason);
        log.warn("SmartMQ namespace '{}': broker {} isolated locally ({}); keyless sends avoid it, keyed sends whose "
                + "queue lives on it go to the fallback store until a probe re-admits it; the namespace stays as it "
                + "is", namespace, broker, reason);
    }

    @Override
    public void brokerReadmitted(String broker, String reason) {
        metrics.brokerReadmissions.inc();
        events.brokerReadmitted(broker, reason);
        log.warn("SmartMQ namespace '{}': broker {} re-admitted ({}); its keys go to the MQ again", namespace, broker,
                reason);
    }
}
