package dev.smartmq.testkit.servers.internal;

import dev.smartmq.testkit.FreePorts;
import dev.smartmq.testkit.servers.RedisEndpoint;
import dev.smartmq.testkit.servers.RocketMQEndpoint;
import dev.smartmq.testkit.servers.ZooKeeperEndpoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

/**
 * The containers of {@code TestServers} in containers mode: {@code redis:7}, ZooKeeper, and one RocketMQ
 * container running the name server and a broker. The only class that uses Testcontainers. Not API.
 *
 * <p>The broker must advertise an address the test's clients reach: it listens on a port chosen free on this
 * machine, published on the same host port, and registers {@code <docker host>:<that port>} with the name server.
 * Images can be changed with {@code -Dsmartmq.testkit.image.redis|zookeeper|rocketmq}.
 *
 * <p>Thread rules: used by one thread (the extension's callbacks); {@link #close()} stops every container.
 */
public final class Containers implements AutoCloseable {

    private static final String REDIS_IMAGE = System.getProperty("smartmq.testkit.image.redis", "redis:7");
    private static final String ZOOKEEPER_IMAGE = System.getProperty("smartmq.testkit.image.zookeeper", "zookeeper:3.9");
    private static final String ROCKETMQ_IMAGE = System.getProperty("smartmq.testkit.image.rocketmq",
            "apache/rocketmq:5.3.2");
    private static final Duration STARTUP = Duration.ofMinutes(3);

    private final List<GenericContainer<?>> started = new ArrayList<>();

    /** {@code null} if a Docker engine answers, else a message saying none was found. */
    public static String dockerUnavailableReason() {
        try {
            if (DockerClientFactory.instance().isDockerAvailable()) {
                return null;
            }
            return "no Docker engine was found (Testcontainers tried DOCKER_HOST, ~/.testcontainers.properties and"
                    + " the default sockets); start one, or run the embedded servers (the default)";
        } catch (RuntimeException | LinkageError e) {
            return "Testcontainers could not look for a Docker engine: " + e;
        }
    }

    private <T extends GenericContainer<?>> T start(T container) {
        container.withStartupTimeout(STARTUP);
        started.add(container);
        container.start();
        return container;
    }

    public RedisEndpoint startRedis() {
        GenericContainer<?> c = start(new GenericContainer<>(DockerImageName.parse(REDIS_IMAGE))
                .withExposedPorts(6379)
                .withCommand("redis-server", "--appendonly", "yes", "--appendfsync", "no")
                .waitingFor(Wait.forLogMessage(".*Ready to accept connections.*", 1)));
        String host = c.getHost();
        int port = c.getMappedPort(6379);
        return new RedisEndpoint() {
            @Override
            public String host() {
                return host;
            }

            @Override
            public int port() {
                return port;
            }
        };
    }

    public ZooKeeperEndpoint startZooKeeper() {
        GenericContainer<?> c = start(new GenericContainer<>(DockerImageName.parse(ZOOKEEPER_IMAGE))
                .withExposedPorts(2181)
                .waitingFor(Wait.forListeningPort()));
        String connect = c.getHost() + ":" + c.getMappedPort(2181);
        return () -> connect;
    }

    public RocketMQEndpoint startRocketMQ() {
        int brokerPort = FreePorts.find();
        String advertised = "localhost".equals(DockerClientFactory.instance().dockerHostIpAddress()) ? "127.0.0.1"
                : DockerClientFactory.instance().dockerHostIpAddress();
        String conf = "brokerClusterName=DefaultCluster\nbrokerName=smartmq-broker\nbrokerId=0\n"
                + "brokerIP1=" + advertised + "\nlistenPort=" + brokerPort + "\nautoCreateTopicEnable=true\n";
        FixedPortContainer c = start(new FixedPortContainer(ROCKETMQ_IMAGE, brokerPort)
                .withExposedPorts(9876)
                .withCopyToContainer(Transferable.of(conf), "/tmp/smartmq-broker.conf")
                .withCommand("sh", "-c", "cd \"$ROCKETMQ_HOME/bin\" && (sh mqnamesrv &) && sleep 2"
                        + " && sh mqbroker -n 127.0.0.1:9876 -c /tmp/smartmq-broker.conf")
                // the name server and the broker each print "... boot success ..."
                .waitingFor(Wait.forLogMessage(".*boot success.*", 2)));
        String nameServer = c.getHost() + ":" + c.getMappedPort(9876);
        return new RocketMQEndpoint() {
            @Override
            public String nameServerAddress() {
                return nameServer;
            }

            @Override
            public void createTopic(String topic, int queues) {
                createTopicThroughTheBroker(nameServer, topic, queues);
            }
        };
    }

    private static void createTopicThroughTheBroker(String nameServer, String topic, int queues) {
        DefaultMQProducer admin = new DefaultMQProducer("smartmq-testkit-admin");
        admin.setNamesrvAddr(nameServer);
        admin.setInstanceName("smartmq-testkit-admin-" + System.nanoTime());
        try {
            admin.start();
            admin.createTopic("TBW102", topic, queues, null);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (routedQueues(admin, topic) < queues) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topic " + topic + " not routed within 30 s");
                }
                Thread.sleep(100); // polling the name server: there is no notification to wait on
            }
        } catch (MQClientException e) {
            throw new IllegalStateException("cannot create topic " + topic + " on " + nameServer, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + topic, e);
        } finally {
            admin.shutdown();
        }
    }

    private static int routedQueues(DefaultMQProducer admin, String topic) {
        try {
            return admin.fetchPublishMessageQueues(topic).size();
        } catch (MQClientException e) {
            return 0; // no route yet
        }
    }

    @Override
    public void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).stop();
        }
        started.clear();
    }

    /** A container that publishes one port on the same host port (the broker's advertised one). */
    private static final class FixedPortContainer extends GenericContainer<FixedPortContainer> {
        FixedPortContainer(String image, int port) {
            super(DockerImageName.parse(image));
            addFixedExposedPort(port, port);
        }
    }
}
