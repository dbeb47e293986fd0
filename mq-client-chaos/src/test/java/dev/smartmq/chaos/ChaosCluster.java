package dev.smartmq.chaos;

import static dev.smartmq.api.internal.Closeables.closeQuietly;
import static org.awaitility.Awaitility.await;

import dev.smartmq.api.SwitchStatus;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.rocketmq.ConsumeFrom;
import dev.smartmq.rocketmq.RocketMQTransport;
import dev.smartmq.testkit.proxy.FaultProxy;
import dev.smartmq.testkit.redis.RedisServer;
import dev.smartmq.testkit.rocketmq.EmbeddedRocketMQ;
import dev.smartmq.testkit.zookeeper.ZooKeeperServer;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.BoundedExponentialBackoffRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One row's SmartMQ world on the class's {@link ChaosServers}: a fresh SmartMQ namespace (switch znode, group
 * registry and Redis keys, so rows never see each other's state) and any number of SmartMQ instances
 * ({@link ChaosNode}s) built with {@link ChaosSettings}' timings, each like a separate service with its own
 * clients and ZooKeeper session.
 *
 * <p>The switch znodes are protected by digest ACLs: SmartMQ instances authenticate as the service identity,
 * {@link #operatorSwitch()} as an operator; both are writers, nobody else is.
 *
 * <p>Closing stops the nodes (in parallel) and the extra clients; the servers stay up for the next row.
 */
final class ChaosCluster implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChaosCluster.class);

    static final String SERVICE_USER = "smartmq-service";
    static final String OPERATOR_USER = "operator-alice";
    static final int QUEUES = 4;

    // Test-only credentials of throwaway servers; they never leave the test JVM.
    private static final String SERVICE_PASSWORD = "service-" + UUID.randomUUID();
    private static final String OPERATOR_PASSWORD = "operator-" + UUID.randomUUID();

    private final String namespace;
    private final ZooKeeperServer zooKeeper;
    private final RedisServer redis;
    private final EmbeddedRocketMQ rocketMQ;
    private final List<ChaosNode> nodes = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> extras = new CopyOnWriteArrayList<>();
    private final List<String> writers;

    ChaosCluster(ChaosServers servers, String row) {
        this.namespace = ("chaos-" + row + "-" + UUID.randomUUID().toString().substring(0, 6))
                .replaceAll("[^A-Za-z0-9_-]", "-");
        this.zooKeeper = servers.zooKeeper();
        this.redis = servers.redis();
        this.rocketMQ = servers.rocketMQ();
        this.writers = List.of(ZkDegradationSwitch.digestIdentity(SERVICE_USER, SERVICE_PASSWORD),
                ZkDegradationSwitch.digestIdentity(OPERATOR_USER, OPERATOR_PASSWORD));
        log.info("chaos row {}: namespace {}", row, namespace);
    }

    String namespace() {
        return namespace;
    }

    List<ChaosNode> nodes() {
        return Collections.unmodifiableList(nodes);
    }

    void createTopic(String topic) {
        rocketMQ.createTopic(topic, QUEUES);
    }

    /** Builds and starts a SmartMQ instance (service identity) with the suite's timings. */
    ChaosNode startNode(String name) {
        return startNode(name, null);
    }

    /**
     * Like {@link #startNode(String)}, but the instance reaches ZooKeeper through its own {@link FaultProxy}, so
     * that {@link #crashFromZooKeeper(ChaosNode)} can cut it off for good.
     */
    ChaosNode startIsolatableNode(String name) {
        FaultProxy zkProxy = FaultProxy.start("127.0.0.1", zooKeeper.port());
        extras.add(zkProxy);
        return startNode(name, zkProxy);
    }

    /**
     * What ZooKeeper sees when an instance's process dies: its connection goes (and cannot come back) and its
     * session ends, so its ephemeral registrations and election node are deleted at once. The instance itself is
     * left running, frozen where it was, until the test closes it.
     */
    void crashFromZooKeeper(ChaosNode node) {
        FaultProxy proxy = node.zooKeeperProxy();
        if (proxy == null) {
            throw new IllegalArgumentException(node + " was not started with startIsolatableNode");
        }
        proxy.refuse(true);
        proxy.cutConnections();
        zooKeeper.expireSession(node.curator());
    }

    private ChaosNode startNode(String name, FaultProxy zkProxy) {
        CuratorFramework curator = curatorClient(SERVICE_USER, SERVICE_PASSWORD,
                zkProxy == null ? zooKeeper.connectString() : zkProxy.address());
        try {
            ZkDegradationSwitch zkSwitch = ZkDegradationSwitch.builder()
                    .client(curator)
                    .namespace(namespace)
                    .writers(writers)
                    .operationTimeout(ChaosSettings.ZK_OPERATION_TIMEOUT)
                    .instanceId(name + "/" + UUID.randomUUID().toString().substring(0, 8))
                    .build();
            RedisFallbackStore store = RedisFallbackStore.builder()
                    .standalone(redis.host(), redis.port())
                    .namespace(namespace)
                    .shards(ChaosSettings.SHARDS)
                    .timeouts(ChaosSettings.REDIS_TIMEOUT, ChaosSettings.REDIS_TIMEOUT)
                    .poolSize(8)
                    .writerThreads(1)
                    .build();
            RocketMQTransport transport = RocketMQTransport.builder()
                    .nameServer(rocketMQ.nameServerAddress())
                    .producerGroup("chaos-" + name)
                    .sendTimeout(ChaosSettings.SEND_TIMEOUT)
                    // RocketMQ applies this as mqClientApiTimeout to every client call, broker heartbeats included,
                    // not only name server lookups. At 500 ms a heartbeat that was slow on a loaded box closed the
                    // socket; the reconnect raced, the broker listed the client twice, and two of four queues had no
                    // consumer for up to 120 s (found by row 10). RocketMQ's own default (3 s) keeps heartbeats alive.
                    .nameServerTimeout(Duration.ofSeconds(3))
                    .routeRefreshInterval(Duration.ofSeconds(1))
                    .consumeFrom(ConsumeFrom.FIRST_OFFSET)
                    .consumeThreads(2)
                    .asyncSendThreads(2)
                    .build();
            SmartMQ mq = SmartMQ.builder()
                    .config(ChaosSettings.config(namespace))
                    .transport(transport)
                    .fallbackStore(store)
                    .degradationSwitch(zkSwitch)
                    .build();
            ChaosNode node = new ChaosNode(name, curator, zkProxy, zkSwitch, store, transport, mq);
            nodes.add(node);
            return node;
        } catch (RuntimeException e) {
            curator.close();
            throw e;
        }
    }

    /**
     * A started switch client authenticated as the operator (a writer), for drills. Closed with the cluster.
     * Note: like every {@code ZkDegradationSwitch} it joins the namespace's leader election; started after the
     * SmartMQ instances it queues behind them.
     */
    ZkDegradationSwitch operatorSwitch() {
        return switchClient(OPERATOR_USER, OPERATOR_PASSWORD, "operator");
    }

    /** A started switch client authenticated as someone who is not a writer. Closed with the cluster. */
    ZkDegradationSwitch intruderSwitch() {
        return switchClient("intruder", "intruder-" + UUID.randomUUID(), "intruder");
    }

    /** A started Curator client authenticated as the operator (for writing raw znode data by hand). */
    CuratorFramework operatorCurator() {
        CuratorFramework c = curatorClient(OPERATOR_USER, OPERATOR_PASSWORD, zooKeeper.connectString());
        extras.add(c);
        return c;
    }

    private ZkDegradationSwitch switchClient(String user, String password, String role) {
        ZkDegradationSwitch s = ZkDegradationSwitch.builder()
                .connectString(zooKeeper.connectString())
                .namespace(namespace)
                .authorization("digest", user + ":" + password)
                .writers(writers)
                .sessionTimeout(Duration.ofSeconds(10))
                .connectionTimeout(Duration.ofSeconds(5))
                .operationTimeout(ChaosSettings.ZK_OPERATION_TIMEOUT)
                .instanceId(role + "/" + UUID.randomUUID().toString().substring(0, 8))
                .build();
        s.start();
        extras.add(s);
        return s;
    }

    private CuratorFramework curatorClient(String user, String password, String connectString) {
        CuratorFramework c = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .sessionTimeoutMs((int) ChaosSettings.ZK_SESSION_TIMEOUT.toMillis())
                .connectionTimeoutMs(2_000)
                .retryPolicy(new BoundedExponentialBackoffRetry(100, 1_000, 5))
                .authorization("digest", (user + ":" + password).getBytes(StandardCharsets.UTF_8))
                .build();
        c.start();
        return c;
    }

    /** Switch path of this namespace (see the zk-switch README). */
    String switchPath() {
        return "/smartmq/" + namespace + "/switch";
    }

    /**
     * Applied transitions, oldest first, read by a live node's switch (the znode's history, one entry per
     * applied transition).
     */
    List<SwitchStatus> history() {
        for (ChaosNode n : nodes) {
            if (n.zkSwitch().isReachable()) {
                List<SwitchStatus> h = new ArrayList<>(n.zkSwitch().history(100));
                Collections.reverse(h);
                return h;
            }
        }
        throw new IllegalStateException("no node can reach ZooKeeper to read the switch history");
    }

    /** Waits until every node in {@code among} sees a document matching {@code condition}. */
    void awaitSwitch(String what, Predicate<SwitchStatus> condition, List<ChaosNode> among) {
        await(what).atMost(ChaosSettings.STATE_TIMEOUT).pollInterval(Duration.ofMillis(50))
                .until(() -> among.stream().allMatch(n -> condition.test(n.status())));
    }

    /** Waits until every node sees {@code groups} registered for {@code topic} (fan-out targets of fallback sends). */
    void awaitGroupsVisible(String topic, Set<String> groups) {
        await("groups " + groups + " of " + topic + " visible to every node").atMost(ChaosSettings.STATE_TIMEOUT)
                .pollInterval(Duration.ofMillis(50))
                .until(() -> nodes.stream().allMatch(n -> n.zkSwitch().groups(topic).containsAll(groups)));
    }

    /** Waits until someone among the running nodes is the leader (runs the prober and the drain decision). */
    void awaitLeader(List<ChaosNode> among) {
        await("a SmartMQ instance leads the namespace").atMost(ChaosSettings.STATE_TIMEOUT)
                .pollInterval(Duration.ofMillis(50))
                .until(() -> among.stream().anyMatch(ChaosNode::isLeader));
    }

    @Override
    public void close() {
        // Nodes close in parallel: each waits for its RocketMQ consumers and handlers, which adds up.
        List<Thread> closers = new ArrayList<>();
        for (ChaosNode n : nodes) {
            Thread t = new Thread(() -> closeQuietly(n), "chaos-close-" + n.name());
            closers.add(t);
            t.start();
        }
        for (Thread t : closers) {
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (AutoCloseable c : extras) {
            closeQuietly(c);
        }
    }
}
