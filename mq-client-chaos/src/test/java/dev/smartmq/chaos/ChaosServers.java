package dev.smartmq.chaos;

import static dev.smartmq.api.internal.Closeables.closeQuietly;

import dev.smartmq.testkit.proxy.FaultProxy;
import dev.smartmq.testkit.redis.RedisServer;
import dev.smartmq.testkit.rocketmq.EmbeddedRocketMQ;
import dev.smartmq.testkit.zookeeper.ZooKeeperServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real servers of a chaos test class, started once per class (one JVM per class under failsafe): a RocketMQ
 * name server and one broker behind a {@link FaultProxy}, a ZooKeeper server and a {@code redis-server}, all on
 * loopback free ports. Rows break them on purpose; {@link #heal()} puts everything back for the next row.
 */
final class ChaosServers implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChaosServers.class);

    /** Topic the SmartMQ probers send to (shared by every namespace; probes are never consumed). */
    static final String PROBE_TOPIC = "SMARTMQ_PROBE";

    private final ZooKeeperServer zooKeeper;
    private final RedisServer redis;
    private final EmbeddedRocketMQ rocketMQ;

    private ChaosServers(ZooKeeperServer zooKeeper, RedisServer redis, EmbeddedRocketMQ rocketMQ) {
        this.zooKeeper = zooKeeper;
        this.redis = redis;
        this.rocketMQ = rocketMQ;
    }

    static ChaosServers start() {
        return start(1, true);
    }

    /**
     * Like {@link #start()}, with {@code brokers} master brokers (each behind its own proxy) and RocketMQ's
     * {@code autoCreateTopicEnable} as given; the probe topic has queues on every broker.
     */
    static ChaosServers start(int brokers, boolean autoCreateTopics) {
        long t0 = System.nanoTime();
        ZooKeeperServer zk = null;
        RedisServer redis = null;
        EmbeddedRocketMQ mq = null;
        try {
            zk = ZooKeeperServer.start();
            redis = RedisServer.start();
            mq = EmbeddedRocketMQ.builder().brokers(brokers).autoCreateTopics(autoCreateTopics).withBrokerProxy().build();
            mq.start();
            mq.createTopic(PROBE_TOPIC, 1);
            log.info("chaos servers up in {} ms: ZooKeeper {}, Redis {}, RocketMQ name server {}, broker {} (via proxy)",
                    (System.nanoTime() - t0) / 1_000_000, zk.connectString(), redis.uri(), mq.nameServerAddress(),
                    mq.brokerAddress());
            return new ChaosServers(zk, redis, mq);
        } catch (RuntimeException | Error e) {
            closeQuietly(mq);
            closeQuietly(redis);
            closeQuietly(zk);
            throw e;
        }
    }

    ZooKeeperServer zooKeeper() {
        return zooKeeper;
    }

    RedisServer redis() {
        return redis;
    }

    EmbeddedRocketMQ rocketMQ() {
        return rocketMQ;
    }

    FaultProxy brokerProxy() {
        return rocketMQ.brokerProxy();
    }

    /** Undoes every fault a row may have left behind: proxy healed, broker, ZooKeeper and Redis running. */
    void heal() {
        for (int i = 0; i < rocketMQ.brokerCount(); i++) {
            rocketMQ.brokerProxy(i).heal();
            if (!rocketMQ.isBrokerRunning(i)) {
                rocketMQ.startBroker(i);
            }
        }
        if (!zooKeeper.isRunning()) {
            zooKeeper.restart();
        }
        if (redis.isPaused()) {
            redis.resume();
        }
        if (!redis.isAlive()) {
            redis.restart();
        }
    }

    @Override
    public void close() {
        closeQuietly(rocketMQ);
        closeQuietly(redis);
        closeQuietly(zooKeeper);
    }
}
