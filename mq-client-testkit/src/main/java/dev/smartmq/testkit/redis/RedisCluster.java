package dev.smartmq.testkit.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A Redis Cluster of {@code redis-server} child processes: by default 3 masters, no replicas, the 16384
 * slots split evenly ({@code CLUSTER ADDSLOTSRANGE}), joined with {@code CLUSTER MEET}. {@link #start()}
 * returns once every node reports {@code cluster_state:ok}.
 *
 * <p>Each node is a {@link RedisServer}, so one node can be killed, paused or restarted
 * ({@link #nodes()}); with no replicas, a dead master makes the cluster refuse its slots until it is back
 * (it keeps its identity in its {@code nodes.conf}). With {@link #start(int, int) replicas} each master gets
 * that many replicas ({@code CLUSTER REPLICATE}); a dead master's replica is promoted after
 * {@code cluster-node-timeout} (3 s), and the former master, restarted, becomes its replica.
 * {@link #close()} stops every node. Thread rules: query methods from any thread; start/close from one.
 */
public final class RedisCluster implements AutoCloseable {

    /** Default number of masters. */
    public static final int DEFAULT_MASTERS = 3;
    /** Default of {@link #awaitHealthy(Duration)} in {@link #start()}. */
    public static final Duration DEFAULT_FORMATION_TIMEOUT = Duration.ofSeconds(60);

    private static final Logger LOG = LoggerFactory.getLogger(RedisCluster.class);
    private static final int SLOTS = 16384;

    private final List<RedisServer> nodes;
    /** How many of {@link #nodes} are the masters it was formed with (the first ones). */
    private final int masters;

    private RedisCluster(List<RedisServer> nodes, int masters) {
        this.nodes = Collections.unmodifiableList(nodes);
        this.masters = masters;
    }

    /** Starts a 3-master cluster. */
    public static RedisCluster start() {
        return start(DEFAULT_MASTERS);
    }

    /** Starts a cluster of {@code masters} masters (at least 3, as Redis requires). */
    public static RedisCluster start(int masters) {
        return start(masters, 0);
    }

    /**
     * Starts a cluster of {@code masters} masters (at least 3) with {@code replicasPerMaster} replicas each
     * (0 to 2); returns once every node reports {@code cluster_state:ok} and every replica's link is up.
     */
    public static RedisCluster start(int masters, int replicasPerMaster) {
        if (masters < 3) {
            throw new IllegalArgumentException("masters must be at least 3, but was " + masters);
        }
        if (replicasPerMaster < 0 || replicasPerMaster > 2) {
            throw new IllegalArgumentException("replicasPerMaster must be between 0 and 2, but was "
                    + replicasPerMaster);
        }
        int total = masters * (1 + replicasPerMaster);
        List<RedisServer> started = new ArrayList<>();
        Set<Integer> ports = new HashSet<>();
        try {
            while (started.size() < total) {
                RedisServer node = RedisServer.builder().clusterNode().start();
                if (!ports.add(node.port())) {
                    node.close(); // the free-port probe raced; take another
                    continue;
                }
                started.add(node);
            }
            RedisCluster cluster = new RedisCluster(new ArrayList<>(started), masters);
            cluster.form();
            cluster.awaitHealthy(DEFAULT_FORMATION_TIMEOUT);
            if (replicasPerMaster > 0) {
                cluster.attachReplicas();
            }
            LOG.info("Redis Cluster ready: {}", cluster.hostAndPorts());
            return cluster;
        } catch (RuntimeException e) {
            started.forEach(RedisServer::close);
            throw e;
        }
    }

    private void form() {
        int n = masters;
        for (int i = 0; i < n; i++) {
            int from = i * SLOTS / n;
            int to = (i + 1) * SLOTS / n - 1;
            try (Jedis jedis = nodes.get(i).newClient()) {
                jedis.clusterAddSlotsRange(from, to);
            }
        }
        try (Jedis first = nodes.get(0).newClient()) {
            for (int i = 1; i < nodes.size(); i++) {
                first.clusterMeet(RedisServer.HOST, nodes.get(i).port());
            }
        }
    }

    /** Replica {@code j} of master {@code i} is node {@code masters + j * masters + i}. */
    private void attachReplicas() {
        for (int r = masters; r < nodes.size(); r++) {
            String masterId;
            try (Jedis m = nodes.get(r % masters).newClient()) {
                masterId = m.clusterMyId();
            }
            try (Jedis replica = nodes.get(r).newClient()) {
                replica.clusterReplicate(masterId);
            }
        }
        long deadline = System.nanoTime() + DEFAULT_FORMATION_TIMEOUT.toNanos();
        for (RedisServer replica : replicas()) {
            while (!replicationInfo(replica).contains("master_link_status:up")) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("replica " + replica.port() + " not in sync within "
                            + DEFAULT_FORMATION_TIMEOUT + ": " + replicationInfo(replica));
                }
                sleepPoll();
            }
        }
        awaitHealthy(DEFAULT_FORMATION_TIMEOUT);
    }

    /** {@code INFO replication} of a node, or the error text. */
    public static String replicationInfo(RedisServer node) {
        try (Jedis j = node.newClient()) {
            return j.info("replication");
        } catch (JedisException e) {
            return "error: " + e;
        }
    }

    /** The nodes the cluster was formed with as masters, in slot order (a failover may have changed roles). */
    public List<RedisServer> masters() {
        return nodes.subList(0, masters);
    }

    /** The nodes started as replicas ({@code replicas().get(j * masters + i)} replicates master {@code i}). */
    public List<RedisServer> replicas() {
        return nodes.subList(masters, nodes.size());
    }

    private static void sleepPoll() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the cluster", e);
        }
    }

    /**
     * Waits until every node is running and reports {@code cluster_state:ok} with all nodes known, e.g.
     * after {@link RedisServer#restart()} of a node.
     *
     * @throws IllegalStateException if that does not happen within {@code timeout}
     */
    public void awaitHealthy(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String lastInfo = "";
        while (System.nanoTime() < deadline) {
            boolean allOk = true;
            for (RedisServer node : nodes) {
                String info;
                try (Jedis jedis = node.newClient()) {
                    info = jedis.clusterInfo();
                } catch (JedisException e) {
                    info = e.toString();
                }
                if (!info.contains("cluster_state:ok") || !info.contains("cluster_known_nodes:" + nodes.size())) {
                    allOk = false;
                    lastInfo = node.port() + ": " + info;
                    break;
                }
            }
            if (allOk) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the cluster", e);
            }
        }
        throw new IllegalStateException("Redis Cluster not healthy within " + timeout + "; last: " + lastInfo);
    }

    /**
     * Every node: the masters first, in slot order (node 0 owns the lowest slots), then the replicas (see
     * {@link #replicas()}).
     */
    public List<RedisServer> nodes() {
        return nodes;
    }

    /** Seed addresses for a cluster client. */
    public Set<HostAndPort> hostAndPorts() {
        Set<HostAndPort> result = new LinkedHashSet<>();
        for (RedisServer node : nodes) {
            result.add(node.hostAndPort());
        }
        return Collections.unmodifiableSet(result);
    }

    /** Stops every node. Idempotent. */
    @Override
    public void close() {
        RedisServer.closeAll(nodes);
    }

    @Override
    public String toString() {
        return "RedisCluster" + hostAndPorts();
    }
}
