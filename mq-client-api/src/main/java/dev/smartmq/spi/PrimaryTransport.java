package dev.smartmq.spi;

import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.api.Subscription;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The primary message queue (RocketMQ). Implemented by {@code mq-client-rocketmq}.
 *
 * <p>Sends carry the envelope id as user property {@link Envelope#ID_PROPERTY}, and deliveries expose
 * it as {@link dev.smartmq.api.ReceivedMessage#id()}, so a message looks the same whichever path it
 * took. Every failure is a {@link TransportException} classified by the adapter.
 */
public interface PrimaryTransport extends AutoCloseable {

    /** Connects (starts the MQ clients). Called once by the engine before any other call. */
    void start();

    /**
     * Checks transport-specific input rules before any I/O (e.g. reserved property names).
     *
     * @throws InvalidMessageException if the MQ would reject the message as input
     */
    default void validate(Message message) {
    }

    /**
     * Sends synchronously, within {@code timeout} in total (retries and route lookups included).
     *
     * @throws TransportException classified {@code INFRASTRUCTURE} or {@code INPUT}
     */
    TransportReceipt send(Envelope envelope, Duration timeout);

    /**
     * Sends asynchronously. Never blocks the caller (not even for a route lookup on a dead name server);
     * the future completes within {@code timeout}, exceptionally with a {@link TransportException}.
     */
    CompletableFuture<TransportReceipt> sendAsync(Envelope envelope, Duration timeout);

    /**
     * Subscribes {@code listener} to a topic for a consumer group. Delivery starts at once.
     *
     * @throws TransportException if the subscription could not be set up
     */
    TransportSubscription subscribe(Subscription subscription, TransportListener listener);

    /**
     * An application-level health probe: a real send of a small message to {@code probeTopic} within
     * {@code timeout}. Returns normally when the MQ accepted it.
     *
     * @throws TransportException when the MQ is not healthy
     */
    void probe(String probeTopic, Duration timeout);

    /**
     * Sets who is told about local broker isolation and re-admission. Called once by the engine before
     * {@link #start()}. A transport that never isolates brokers ignores it.
     */
    default void brokerHealthListener(BrokerHealthListener listener) {
    }

    /** Names of the brokers this transport has isolated locally right now (empty if it never isolates). */
    default Set<String> isolatedBrokers() {
        return Set.of();
    }

    /**
     * Probes every locally isolated broker once ({@code probeTopic}, within {@code timeout} each) and re-admits
     * those that answer, telling the {@link BrokerHealthListener}. Called by the engine every
     * {@code probeInterval} on its prober thread, on every instance (isolation is local). Never throws for a
     * failed probe: the broker simply stays isolated.
     */
    default void probeIsolatedBrokers(String probeTopic, Duration timeout) {
    }

    /**
     * Makes sure {@code topic} exists on the MQ, creating it if the MQ allows (the engine calls it once at start for
     * {@code SmartMQConfig.probeTopic()}, after {@link #start()}: without the probe topic the MQ is never found
     * healthy again after a degrade). The default does nothing.
     *
     * @return whether the topic was created now
     * @throws dev.smartmq.api.ConfigurationException if it does not exist and cannot be created (naming the fix);
     *                                                the engine then fails to start
     * @throws TransportException                     if the MQ cannot be asked (the engine starts anyway: degraded)
     */
    default boolean ensureTopic(String topic, java.time.Duration timeout) {
        return false;
    }

    /**
     * Consumer groups that read a topic on the MQ but are not registered with SmartMQ (raw consumers that never see
     * what is sent while degraded), as the adapter's migration check last found them; -1 when no such check runs.
     * A cached value: never I/O (the engine's gauge {@code migration.unregistered-groups} reads it).
     */
    default int unregisteredConsumerGroups() {
        return -1;
    }

    /** Shuts the MQ clients down. Idempotent. */
    @Override
    void close();
}
