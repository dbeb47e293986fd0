package dev.smartmq.core.internal;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Route;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FallbackStore;
import dev.smartmq.spi.RedeliveryPolicy;
import dev.smartmq.spi.TransportListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MQ half of the one redelivery rule (DESIGN.md §6): the transport is told SmartMQ's attempt count and
 * back-off ({@link #listener}), and a message whose last allowed MQ delivery failed is put in the same
 * dead-letter list as the fallback path's ({@link FallbackStore#deadLetterUnclaimed}) and acknowledged to the MQ,
 * so {@code smartmq-admin dlq} lists and replays the dead letters of both paths. If that write fails, the message
 * is left to the transport, which at the same count moves it to the MQ's own dead-letter queue (RocketMQ:
 * {@code %DLQ%<group>}): it is never retried for ever and never dropped.
 *
 * <p>Stateless apart from its collaborators; called on the transport's consumer threads, concurrently.
 */
final class MqPathRedelivery {
    private static final Logger log = LoggerFactory.getLogger(MqPathRedelivery.class);

    private final SmartMQConfig config;
    private final RedeliveryPolicy policy;
    private final FallbackStore store;
    private final EngineMetrics metrics;
    private final String consumerId;

    MqPathRedelivery(SmartMQConfig config, FallbackStore store, EngineMetrics metrics, String consumerId) {
        this.config = config;
        this.policy = RedeliveryPolicy.of(config);
        this.store = store;
        this.metrics = metrics;
        this.consumerId = consumerId;
    }

    /** {@code delivery} with this engine's redelivery policy attached for the transport. */
    TransportListener listener(TransportListener delivery) {
        return new TransportListener() {
            @Override
            public ConsumeResult onMessage(ReceivedMessage message) throws Exception {
                return delivery.onMessage(message);
            }

            @Override
            public RedeliveryPolicy redelivery() {
                return policy;
            }
        };
    }

    /**
     * What the transport is told after the handler failed MQ delivery {@code rm.deliveryAttempt()}: retry later,
     * or, after the last attempt, {@code SUCCESS} once the message is in the group's dead-letter list.
     */
    ConsumeResult failed(String group, ReceivedMessage rm, String reason) {
        metrics.retriedMq.mark();
        metrics.traffic.retried(rm.topic(), group, Route.MQ);
        if (!policy.isLastAttempt(rm.deliveryAttempt())) {
            return ConsumeResult.RETRY_LATER;
        }
        String why = "MQ path: delivery attempt " + rm.deliveryAttempt() + " of " + config.maxDeliveryAttempts()
                + " failed: " + reason;
        try {
            store.deadLetterUnclaimed(new Envelope(rm.id(), rm.message(), rm.bornTimestamp(), rm.deliveryAttempt()),
                    group, why, consumerId);
        } catch (RuntimeException e) {
            log.warn("SmartMQ: message {} of ({}, {}) failed its last MQ delivery attempt and could not be put in the "
                    + "fallback dead-letter list ({}); the transport moves it to the MQ's own dead-letter queue",
                    rm.id(), rm.topic(), group, e.toString());
            return ConsumeResult.RETRY_LATER;
        }
        metrics.deadLetteredMq.mark();
        metrics.traffic.deadLettered(rm.topic(), group, Route.MQ);
        log.warn("SmartMQ: message {} of ({}, {}) dead-lettered after {} MQ delivery attempts", rm.id(), rm.topic(),
                group, rm.deliveryAttempt());
        return ConsumeResult.SUCCESS;
    }
}
