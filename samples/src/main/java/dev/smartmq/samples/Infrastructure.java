package dev.smartmq.samples;

import static dev.smartmq.api.internal.Closeables.closeQuietly;

import dev.smartmq.testkit.redis.RedisServer;
import dev.smartmq.testkit.rocketmq.EmbeddedRocketMQ;
import dev.smartmq.testkit.zookeeper.ZooKeeperServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The servers of a drill, all real and all on loopback free ports: a redis-server child process, a ZooKeeper
 * server and a RocketMQ name server + broker in this JVM (behind a fault proxy when the fault needs one).
 * {@link #close()} stops them in reverse order; the testkit's shutdown hooks stop them too if the JVM ends
 * first, so no server outlives the drill.
 */
final class Infrastructure implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Infrastructure.class);

    private RedisServer redis;
    private ZooKeeperServer zooKeeper;
    private EmbeddedRocketMQ rocketMQ;

    private Infrastructure() {
    }

    /**
     * Starts Redis, ZooKeeper and RocketMQ and creates the topics; on failure stops what did start.
     *
     * @throws StartFailure naming the server that could not start and why
     */
    static Infrastructure start(boolean brokerProxy, int queues, String... topics) {
        Infrastructure infra = new Infrastructure();
        String starting = "redis-server";
        try {
            infra.redis = RedisServer.start();
            starting = "ZooKeeper";
            infra.zooKeeper = ZooKeeperServer.start();
            starting = "RocketMQ (name server and broker)";
            EmbeddedRocketMQ.Builder b = EmbeddedRocketMQ.builder();
            if (brokerProxy) {
                b.withBrokerProxy();
            }
            infra.rocketMQ = b.build();
            infra.rocketMQ.start();
            starting = "the RocketMQ topics " + String.join(", ", topics);
            for (String topic : topics) {
                infra.rocketMQ.createTopic(topic, queues);
            }
            return infra;
        } catch (RuntimeException | Error e) {
            infra.close();
            throw new StartFailure(starting, e);
        }
    }

    /** A server of the drill could not be started: {@link #what()} names it, the cause says why. */
    static final class StartFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String what;

        StartFailure(String what, Throwable cause) {
            super("could not start " + what + ": " + reason(cause), cause);
            this.what = what;
        }

        String what() {
            return what;
        }

        private static String reason(Throwable cause) {
            String m = cause.getMessage();
            return m == null || m.isBlank() ? cause.toString() : m;
        }
    }

    RedisServer redis() {
        return redis;
    }

    ZooKeeperServer zooKeeper() {
        return zooKeeper;
    }

    EmbeddedRocketMQ rocketMQ() {
        return rocketMQ;
    }

    String describe() {
        return "RocketMQ name server " + rocketMQ.nameServerAddress() + ", broker " + rocketMQ.brokerAddress()
                + ", ZooKeeper " + zooKeeper.connectString() + ", Redis " + redis.host() + ":" + redis.port()
                + " (pid " + redis.pid() + ", " + redis.binary() + ")";
    }

    @Override
    public void close() {
        // Reverse order of start; one failing close must not keep the others running.
        if (rocketMQ != null) {
            closeQuietly(rocketMQ, "RocketMQ");
        }
        if (zooKeeper != null) {
            closeQuietly(zooKeeper, "ZooKeeper");
        }
        if (redis != null) {
            closeQuietly(redis, "Redis");
        }
    }
}
