package dev.smartmq.rocketmq.internal;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.impl.factory.MQClientInstance;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.constant.PermName;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides when a locally isolated broker ({@link BrokerIsolation}) may take sends again: probes it directly and
 * re-admits it once the probe succeeds and the routes list it again.
 *
 * <p>Threads: called by the engine's prober thread (one call at a time); reads RocketMQ's route table, which
 * RocketMQ keeps thread-safe.
 */
public final class IsolatedBrokerProber {
    private static final Logger LOG = LoggerFactory.getLogger(IsolatedBrokerProber.class);

    private final DefaultMQProducer producer;
    private final BrokerIsolation isolation;

    public IsolatedBrokerProber(DefaultMQProducer producer, BrokerIsolation isolation) {
        this.producer = producer;
        this.isolation = isolation;
    }

    /**
     * Probes each locally isolated broker: refreshes the routes it served from the name server, then sends a probe
     * message to a queue of {@code probeTopic} on that broker (or, if the probe topic has no queue there, reads a
     * queue offset from it). Re-admits the broker when the probe succeeds and every topic it was isolated for lists
     * it again, so its keys find their queues. A broker out of every route for
     * {@link BrokerIsolation#FORGET_AFTER_NANOS} is forgotten.
     */
    public void probeIsolatedBrokers(String probeTopic, Duration timeout) {
        MQClientInstance factory = producer.getDefaultMQProducerImpl().getMqClientFactory();
        for (BrokerIsolation.Isolated i : isolation.isolated()) {
            String broker = i.broker();
            refreshRoute(factory, probeTopic);
            i.topics().forEach(t -> refreshRoute(factory, t));
            boolean probeTopicThere = routeHas(factory, probeTopic, broker);
            String readTopic = i.topics().stream().filter(t -> routeHas(factory, t, broker)).findFirst().orElse(null);
            if (!probeTopicThere && readTopic == null) {
                if (isolation.isolatedLongerThanForgetTime(i)) {
                    isolation.readmit(broker, "forgotten: out of every route for "
                            + TimeUnit.NANOSECONDS.toMinutes(BrokerIsolation.FORGET_AFTER_NANOS) + " minutes");
                }
                continue;
            }
            try {
                if (probeTopicThere) {
                    probeBroker(probeTopic, broker, timeout);
                } else {
                    String addr = factory.findBrokerAddressInPublish(broker);
                    if (addr == null) {
                        continue;
                    }
                    factory.getMQClientAPIImpl().getMaxOffset(addr,
                            new MessageQueue(producer.withNamespace(readTopic), broker, 0),
                            Math.max(1, timeout.toMillis()));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                LOG.debug("probe of isolated broker {} failed: {}", broker, e.toString());
                continue;
            }
            boolean everyTopicListsIt = i.topics().stream()
                    .allMatch(t -> routeHas(factory, t, broker) || !hasRoute(factory, t));
            if (everyTopicListsIt) {
                isolation.readmit(broker, (probeTopicThere ? "a probe of " + probeTopic : "an offset read of " + readTopic)
                        + " on it succeeded");
            }
        }
    }

    private void probeBroker(String probeTopic, String broker, Duration timeout) throws Exception {
        org.apache.rocketmq.common.message.Message msg =
                new org.apache.rocketmq.common.message.Message(probeTopic, "probe", RocketMQSender.PROBE_BODY);
        SendResult r = producer.send(msg, (queues, m, arg) -> queues.stream()
                .filter(q -> q.getBrokerName().equals(broker)).findFirst()
                .orElseThrow(() -> new IllegalStateException(probeTopic + " has no queue on " + broker)),
                null, Math.max(1, timeout.toMillis()));
        if (r == null || r.getSendStatus() != SendStatus.SEND_OK) {
            throw new IllegalStateException("probe of " + broker + " returned " + (r == null ? null : r.getSendStatus()));
        }
    }

    private void refreshRoute(MQClientInstance factory, String topic) {
        try {
            factory.updateTopicRouteInfoFromNameServer(producer.withNamespace(topic));
        } catch (RuntimeException e) {
            LOG.debug("route refresh of {} failed: {}", topic, e.toString());
        }
    }

    private boolean hasRoute(MQClientInstance factory, String topic) {
        return factory.getTopicRouteTable().get(producer.withNamespace(topic)) != null;
    }

    private boolean routeHas(MQClientInstance factory, String topic, String broker) {
        TopicRouteData route = factory.getTopicRouteTable().get(producer.withNamespace(topic));
        return route != null && route.getQueueDatas().stream().anyMatch(q -> q.getBrokerName().equals(broker)
                && PermName.isWriteable(q.getPerm()) && q.getWriteQueueNums() > 0);
    }
}
