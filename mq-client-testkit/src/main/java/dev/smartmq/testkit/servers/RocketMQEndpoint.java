package dev.smartmq.testkit.servers;

/**
 * A RocketMQ name server and broker of {@link TestServers} — embedded in the JVM or in a container alike. The
 * broker advertises an address the test's clients can reach. Thread-safe.
 */
public interface RocketMQEndpoint {

    /** {@code host:port} of the name server, for {@code setNamesrvAddr}. */
    String nameServerAddress();

    /** Creates {@code topic} with {@code queues} read and write queues; returns once the name server routes it. */
    void createTopic(String topic, int queues);
}
