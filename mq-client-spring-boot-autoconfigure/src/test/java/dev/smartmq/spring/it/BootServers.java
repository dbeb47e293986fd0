package dev.smartmq.spring.it;

import dev.smartmq.testkit.redis.RedisServer;
import dev.smartmq.testkit.rocketmq.EmbeddedRocketMQ;
import dev.smartmq.testkit.zookeeper.ZooKeeperServer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The real servers of one test class: redis-server (child process), ZooKeeper (Curator's testing server) and
 * RocketMQ (name server + broker in this JVM), on loopback free ports, with the topics created. Started
 * before the Spring context is loaded (DynamicPropertySource suppliers read them lazily), closed after the
 * class; tests close the context themselves first so the application never shuts down against dead servers.
 */
public final class BootServers implements BeforeAllCallback, AfterAllCallback {
    private final String[] topics;
    private volatile RedisServer redis;
    private volatile ZooKeeperServer zooKeeper;
    private volatile EmbeddedRocketMQ rocketMQ;

    public BootServers(String... topics) {
        this.topics = topics;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        redis = RedisServer.start();
        zooKeeper = ZooKeeperServer.start();
        rocketMQ = EmbeddedRocketMQ.builder().build();
        rocketMQ.start();
        for (String t : topics) {
            rocketMQ.createTopic(t, 4);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (rocketMQ != null) {
            rocketMQ.close();
        }
        if (zooKeeper != null) {
            zooKeeper.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    public RedisServer redis() {
        return redis;
    }

    public ZooKeeperServer zooKeeper() {
        return zooKeeper;
    }

    public EmbeddedRocketMQ rocketMQ() {
        return rocketMQ;
    }
}
