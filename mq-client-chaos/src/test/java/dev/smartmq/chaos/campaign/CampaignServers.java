package dev.smartmq.chaos.campaign;

import dev.smartmq.testkit.WorkDirs;
import dev.smartmq.testkit.proxy.FaultProxy;
import dev.smartmq.testkit.redis.RedisServer;
import dev.smartmq.testkit.rocketmq.ForkedRocketMQ;
import dev.smartmq.testkit.zookeeper.ZooKeeperEnsemble;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.test.InstanceSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;

/**
 * The servers of a campaign, shared by the campaigns of one test class: a RocketMQ name server and brokers in
 * their own JVMs with a {@link FaultProxy} in front of each broker ({@link ForkedRocketMQ}), {@code redis-server}
 * with AOF behind a proxy ({@link RedisServer}), and a 3-node ZooKeeper ensemble ({@link ZooKeeperEnsemble}; each
 * client process reaches it through proxies of its own, made by the campaign). {@link #healAll()} undoes every
 * server-side fault. Not thread-safe: the campaign's injector serialises faults per target.
 */
final class CampaignServers implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CampaignServers.class);

    private final Path workDir;
    private final ForkedRocketMQ rocketMQ;
    private final RedisServer redis;
    private final FaultProxy redisProxy;
    private final ZooKeeperEnsemble zooKeeper;
    private final List<InstanceSpec> killedZooKeeperNodes = new ArrayList<>();

    private CampaignServers(Path workDir, ForkedRocketMQ rocketMQ, RedisServer redis, FaultProxy redisProxy,
                            ZooKeeperEnsemble zooKeeper) {
        this.workDir = workDir;
        this.rocketMQ = rocketMQ;
        this.redis = redis;
        this.redisProxy = redisProxy;
        this.zooKeeper = zooKeeper;
    }

    static CampaignServers start(int brokers) {
        Path dir = WorkDirs.create("campaign");
        ForkedRocketMQ mq = ForkedRocketMQ.builder().brokers(brokers).withBrokerProxy().heap("256m").build();
        RedisServer redis = null;
        FaultProxy proxy = null;
        ZooKeeperEnsemble zk = null;
        // The ensemble starts on its own thread while the brokers' JVMs start (both take seconds; they share nothing).
        java.util.concurrent.CompletableFuture<ZooKeeperEnsemble> ensemble = new java.util.concurrent.CompletableFuture<>();
        Thread zkStarter = new Thread(() -> {
            try {
                ensemble.complete(ZooKeeperEnsemble.start());
            } catch (RuntimeException | Error e) {
                ensemble.completeExceptionally(e);
            }
        }, "smartmq-campaign-zk-start-1");
        zkStarter.setDaemon(true);
        zkStarter.start();
        try {
            mq.start();
            redis = RedisServer.builder().config("maxmemory-policy", "noeviction").start();
            proxy = FaultProxy.start("127.0.0.1", redis.port());
            zk = ensemble.join();
            return new CampaignServers(dir, mq, redis, proxy, zk);
        } catch (RuntimeException | Error e) {
            if (zk == null) {
                zk = ensemble.handle((z, t) -> z).join(); // started meanwhile: close it too
            }
            closeAll(zk, proxy, redis, mq);
            throw e;
        }
    }

    Path workDir() {
        return workDir;
    }

    ForkedRocketMQ rocketMQ() {
        return rocketMQ;
    }

    RedisServer redis() {
        return redis;
    }

    FaultProxy redisProxy() {
        return redisProxy;
    }

    ZooKeeperEnsemble zooKeeper() {
        return zooKeeper;
    }

    // ---- faults on servers that need state ----

    void killZooKeeperNode(int index) {
        InstanceSpec spec = zooKeeper.servers().get(index);
        if (!killedZooKeeperNodes.contains(spec)) {
            zooKeeper.killServer(spec);
            killedZooKeeperNodes.add(spec);
        }
    }

    void restartZooKeeperNodes() {
        for (InstanceSpec spec : List.copyOf(killedZooKeeperNodes)) {
            zooKeeper.restartServer(spec);
            killedZooKeeperNodes.remove(spec);
        }
    }

    /** Sets {@code maxmemory} just above what Redis uses now ({@code noeviction}: writes fail with OOM). */
    void squeezeRedis() {
        try (Jedis j = redis.newClient()) {
            String info = j.info("memory");
            long used = info.lines().filter(l -> l.startsWith("used_memory:")).map(l -> Long.parseLong(l.substring(12).trim()))
                    .findFirst().orElse(2_000_000L);
            j.configSet("maxmemory", Long.toString(used + 64 * 1024));
        }
    }

    void unsqueezeRedis() {
        try (Jedis j = redis.newClient()) {
            j.configSet("maxmemory", "0");
        }
    }

    /** Undoes every server-side fault: brokers running and reachable, Redis up with no memory cap, every ZooKeeper node up. */
    void healAll() {
        for (int i = 0; i < rocketMQ.brokerCount(); i++) {
            rocketMQ.brokerProxy(i).heal();
            if (rocketMQ.isBrokerPaused(i)) {
                rocketMQ.resumeBroker(i);
            }
            if (!rocketMQ.isBrokerRunning(i)) {
                rocketMQ.startBroker(i);
            }
        }
        redisProxy.heal();
        if (redis.isPaused()) {
            redis.resume();
        }
        if (!redis.isAlive()) {
            redis.restart();
        }
        unsqueezeRedis();
        restartZooKeeperNodes();
    }

    @Override
    public void close() {
        closeAll(zooKeeper, redisProxy, redis, rocketMQ);
    }

    private static void closeAll(AutoCloseable... all) {
        for (AutoCloseable c : all) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (Exception e) {
                log.warn("closing {} failed: {}", c, e.toString());
            }
        }
    }
}
