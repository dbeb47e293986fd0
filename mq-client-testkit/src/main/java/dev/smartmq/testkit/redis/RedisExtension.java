package dev.smartmq.testkit.redis;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import redis.clients.jedis.HostAndPort;

/**
 * JUnit 5 extension that gives a test class one shared {@code redis-server} (or one 3-master cluster):
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RedisExtension redis = RedisExtension.standalone();
 *
 * @Test void works() {
 *     JedisPooled client = new JedisPooled(redis.server().hostAndPort());
 * }
 * }</pre>
 *
 * Started before the first test of the class, stopped after the last. Before each test a node a previous
 * test left paused is resumed and a killed one is restarted (same port and data), so one failing fault
 * test does not break the next; data is not flushed.
 */
public final class RedisExtension implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {

    private final boolean cluster;
    private final Consumer<RedisServer.Builder> options;
    private RedisServer server;
    private RedisCluster redisCluster;

    private RedisExtension(boolean cluster, Consumer<RedisServer.Builder> options) {
        this.cluster = cluster;
        this.options = options;
    }

    /** One standalone server per test class. */
    public static RedisExtension standalone() {
        return new RedisExtension(false, b -> { });
    }

    /** One standalone server per test class, with options (password, ACL user, config). */
    public static RedisExtension standalone(Consumer<RedisServer.Builder> options) {
        return new RedisExtension(false, Objects.requireNonNull(options, "options"));
    }

    /** One 3-master Redis Cluster per test class. */
    public static RedisExtension cluster() {
        return new RedisExtension(true, null);
    }

    @Override
    public synchronized void beforeAll(ExtensionContext context) {
        ensureStarted();
    }

    @Override
    public synchronized void beforeEach(ExtensionContext context) {
        ensureStarted();
        boolean healed = false;
        for (RedisServer node : nodes()) {
            if (node.isPaused()) {
                node.resume();
                healed = true;
            }
            if (!node.isAlive()) {
                node.restart();
                healed = true;
            }
        }
        if (healed && redisCluster != null) {
            redisCluster.awaitHealthy(Duration.ofSeconds(60));
        }
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) {
        if (server != null) {
            server.close();
            server = null;
        }
        if (redisCluster != null) {
            redisCluster.close();
            redisCluster = null;
        }
    }

    private void ensureStarted() {
        if (cluster && redisCluster == null) {
            redisCluster = RedisCluster.start();
        } else if (!cluster && server == null) {
            RedisServer.Builder b = RedisServer.builder();
            options.accept(b);
            server = b.start();
        }
    }

    /** The standalone server. */
    public synchronized RedisServer server() {
        if (cluster) {
            throw new IllegalStateException("this extension runs a cluster: use redisCluster()");
        }
        ensureStarted();
        return server;
    }

    /** The cluster. */
    public synchronized RedisCluster redisCluster() {
        if (!cluster) {
            throw new IllegalStateException("this extension runs a standalone server: use server()");
        }
        ensureStarted();
        return redisCluster;
    }

    /** Every server: the standalone one, or every cluster node. */
    public synchronized List<RedisServer> nodes() {
        ensureStarted();
        return cluster ? redisCluster.nodes() : List.of(server);
    }

    /** Addresses to connect to (one for standalone, every node for a cluster). */
    public synchronized Set<HostAndPort> hostAndPorts() {
        ensureStarted();
        return cluster ? redisCluster.hostAndPorts() : Set.of(server.hostAndPort());
    }
}
