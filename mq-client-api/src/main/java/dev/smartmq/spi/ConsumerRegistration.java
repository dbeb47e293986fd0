package dev.smartmq.spi;

/**
 * A live consumer instance's registration for (topic, group). While it is open the group is known to
 * producers (fan-out in fallback mode) and the instance counts as alive (its in-flight messages are not
 * orphans). The adapter re-creates it after a session loss. Closing it unregisters the instance; the
 * group record stays.
 */
public interface ConsumerRegistration extends AutoCloseable {

    String consumerId();

    @Override
    void close();
}
