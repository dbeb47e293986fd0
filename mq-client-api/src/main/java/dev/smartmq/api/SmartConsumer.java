package dev.smartmq.api;

/**
 * Delivers messages of the subscribed topics to handlers, from the MQ and from the fallback store
 * (DESIGN.md §6): at least once, with retries and a dead-letter list after the maximum attempt count.
 *
 * <p>Thread-safe. Obtain it from {@code SmartMQ#consumer()} in {@code mq-client-core}. Closing it stops
 * fetching, lets handlers in progress finish (up to the configured shutdown timeout) and returns every
 * message it claimed but did not finish to the fallback store.
 */
public interface SmartConsumer extends AutoCloseable {

    /**
     * Subscribes {@code handler} to {@code subscription} and starts delivering at once. Registers the
     * group for the topic so producers in fallback mode fan out to it.
     *
     * @throws IllegalStateException  if the same (topic, group) is already subscribed here, or closed
     * @throws ConfigurationException if the group is already subscribed with another ordering
     */
    void subscribe(Subscription subscription, MessageHandler handler);

    /** Stops delivery for (topic, group); messages in progress finish first. */
    void unsubscribe(String topic, String group);

    @Override
    void close();
}
