package dev.smartmq.rocketmq.internal;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.spi.TransportException;
import java.time.Duration;
import java.util.Objects;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-mostly questions about topics the transport answers for operators and start-up checks: does a topic
 * exist (creating it by a probe send where the broker auto-creates topics), and which consumer groups do its
 * brokers know. Every call is bounded by its {@code timeout}.
 *
 * <p>Threads: stateless apart from its final collaborators; callable from any thread once the transport started.
 */
public final class TopicAdmin {
    private static final Logger LOG = LoggerFactory.getLogger(TopicAdmin.class);

    private final TransportSettings settings;
    private final DefaultMQProducer producer;
    private final RocketMQSender sender;

    public TopicAdmin(TransportSettings settings, DefaultMQProducer producer, RocketMQSender sender) {
        this.settings = settings;
        this.producer = producer;
        this.sender = sender;
    }

    /**
     * Makes sure {@code topic} (typically {@code SmartMQConfig.probeTopic()}) exists: if the name server knows it,
     * nothing happens; if not, a probe message is sent, which creates it when the broker auto-creates topics. Call it
     * at start-up, after the transport started: without the probe topic the MQ is never found healthy again after a degrade.
     *
     * @return whether the topic was created now
     * @throws ConfigurationException naming the topic and the {@code mqadmin updateTopic} command, if it does not exist
     *                                and the broker does not create topics
     * @throws TransportException     ({@code INFRASTRUCTURE}) if the name server or the brokers cannot be asked
     */
    public boolean ensureTopic(String topic, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        String ns = settings.namespace();
        String wrapped = ns == null ? topic : org.apache.rocketmq.remoting.protocol.NamespaceUtil.wrapNamespace(ns, topic);
        var api = producer.getDefaultMQProducerImpl().getMqClientFactory().getMQClientAPIImpl();
        try {
            api.getTopicRouteInfoFromNameServer(wrapped, timeout.toMillis());
            return false;
        } catch (MQClientException e) {
            if (e.getResponseCode() != org.apache.rocketmq.remoting.protocol.ResponseCode.TOPIC_NOT_EXIST) {
                throw TransportException.infrastructure("looking up topic " + topic + ": " + e.getErrorMessage(), e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw TransportException.infrastructure("looking up topic " + topic, e);
        } catch (Exception e) {
            throw TransportException.infrastructure("looking up topic " + topic + ": " + e, e);
        }
        try {
            sender.probe(topic, timeout);
        } catch (TransportException e) {
            if ((String.valueOf(e.getMessage()).contains("No route info")
                    || (e.getCause() != null && String.valueOf(e.getCause().getMessage()).contains("No route info")))
                    && !noBrokerAlive()) {
                throw new ConfigurationException("topic '" + wrapped + "' does not exist and the broker does not create"
                        + " topics automatically (autoCreateTopicEnable=false); create it: mqadmin updateTopic -n "
                        + settings.nameServer() + " -c <cluster> -t " + wrapped);
            }
            throw e;
        }
        LOG.info("topic {} did not exist; created by a probe send (the broker auto-creates topics)", wrapped);
        return true;
    }

    /**
     * Whether the name server lists no live broker at all (then "no route" says nothing about auto-creation: every
     * topic looks missing while the cluster is down, and the caller gets the TransportException instead of a
     * configuration error). A name server that cannot be asked counts as "none alive".
     */
    private boolean noBrokerAlive() {
        try {
            var cluster = producer.getDefaultMQProducerImpl().getMqClientFactory().getMQClientAPIImpl()
                    .getBrokerClusterInfo(settings.nameServerTimeout().toMillis());
            boolean alive = cluster != null && cluster.getBrokerAddrTable() != null
                    && cluster.getBrokerAddrTable().values().stream()
                    .anyMatch(b -> b.getBrokerAddrs() != null && !b.getBrokerAddrs().isEmpty());
            return !alive;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        } catch (Exception e) {
            return true;
        }
    }

    /**
     * The consumer groups the brokers of {@code topic} know for it (online, or with committed offsets), without the
     * RocketMQ namespace; what {@code MigrationGuard} compares with SmartMQ's registry. Additive, read-only: one
     * route lookup, then one query per broker of the route, each bounded by {@code timeout}.
     *
     * @throws TransportException ({@code INFRASTRUCTURE}) if the route or a broker cannot be asked
     */
    public java.util.Set<String> brokerConsumerGroups(String topic, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        String ns = settings.namespace();
        String wrapped = ns == null ? topic : org.apache.rocketmq.remoting.protocol.NamespaceUtil.wrapNamespace(ns, topic);
        var api = producer.getDefaultMQProducerImpl().getMqClientFactory().getMQClientAPIImpl();
        java.util.Set<String> groups = new java.util.TreeSet<>();
        try {
            var route = api.getTopicRouteInfoFromNameServer(wrapped, timeout.toMillis());
            for (var broker : route.getBrokerDatas()) {
                String addr = broker.selectBrokerAddr();
                if (addr == null) {
                    continue;
                }
                for (String g : api.queryTopicConsumeByWho(addr, wrapped, timeout.toMillis()).getGroupList()) {
                    groups.add(ns == null ? g : org.apache.rocketmq.remoting.protocol.NamespaceUtil.withoutNamespace(g, ns));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw TransportException.infrastructure("asking the brokers of " + topic + " for its groups", e);
        } catch (Exception e) {
            throw TransportException.infrastructure("asking the brokers of " + topic + " for its groups: " + e, e);
        }
        return groups;
    }
}
