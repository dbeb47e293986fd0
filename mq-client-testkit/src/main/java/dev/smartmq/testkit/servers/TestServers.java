package dev.smartmq.testkit.servers;

import dev.smartmq.testkit.redis.RedisServer;
import dev.smartmq.testkit.rocketmq.EmbeddedRocketMQ;
import dev.smartmq.testkit.zookeeper.ZooKeeperServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension giving a test class a Redis, a ZooKeeper and a RocketMQ name server + broker, started before
 * its first test and stopped after its last, embedded (default) or as Testcontainers:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final TestServers servers = TestServers.create();        // all three; -Dsmartmq.testkit.servers picks
 * // or TestServers.builder().redis().rocketMQ().containers().build()
 *
 * @Test void works() {
 *     new JedisPooled(servers.redis().hostAndPort());
 *     servers.rocketMQ().createTopic("orders", 4);
 *     producer.setNamesrvAddr(servers.rocketMQ().nameServerAddress());
 *     CuratorFrameworkFactory.newClient(servers.zooKeeper().connectString(), retry);
 * }
 * }</pre>
 *
 * <p>{@value #PROPERTY}{@code =embedded|containers} selects the kind for every class that does not choose in
 * its builder. Containers mode needs {@code org.testcontainers:testcontainers} on the test class path (an
 * optional dependency of the testkit: add it yourself) and a Docker engine; without an engine every test of the
 * class is skipped (JUnit "aborted") with a message saying so — never failed, never hung.
 *
 * <p>Thread rules: JUnit calls the callbacks on one thread; the accessors may be called from any thread once
 * {@code beforeAll} returned.
 */
public final class TestServers implements BeforeAllCallback, AfterAllCallback {

    /** System property selecting {@link Kind}: {@code embedded} (default) or {@code containers}. */
    public static final String PROPERTY = "smartmq.testkit.servers";

    /** How the servers run. */
    public enum Kind {
        /** {@code redis-server} child process, Curator's ZooKeeper and RocketMQ in the JVM. */
        EMBEDDED,
        /** {@code redis:7}, ZooKeeper and RocketMQ containers (Testcontainers). */
        CONTAINERS
    }

    private final Kind kind;
    private final boolean withRedis;
    private final boolean withZooKeeper;
    private final boolean withRocketMQ;
    private final List<AutoCloseable> started = new ArrayList<>();
    private volatile RedisEndpoint redis;
    private volatile ZooKeeperEndpoint zooKeeper;
    private volatile RocketMQEndpoint rocketMQ;

    private TestServers(Builder b) {
        this.kind = b.kind != null ? b.kind : selectedKind();
        this.withRedis = b.redis;
        this.withZooKeeper = b.zooKeeper;
        this.withRocketMQ = b.rocketMQ;
    }

    /** All three servers, of the kind {@value #PROPERTY} selects. */
    public static TestServers create() {
        return builder().redis().zooKeeper().rocketMQ().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The kind {@value #PROPERTY} selects ({@link Kind#EMBEDDED} when unset). */
    public static Kind selectedKind() {
        String v = System.getProperty(PROPERTY, "embedded").trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "embedded":
                return Kind.EMBEDDED;
            case "containers":
                return Kind.CONTAINERS;
            default:
                throw new IllegalArgumentException(PROPERTY + " must be embedded or containers, but was '" + v + "'");
        }
    }

    /** The kind this instance runs. */
    public Kind kind() {
        return kind;
    }

    @Override
    public synchronized void beforeAll(ExtensionContext context) {
        if (!started.isEmpty()) {
            return;
        }
        try {
            if (kind == Kind.CONTAINERS) {
                String missing = ContainersSupport.unavailableReason();
                Assumptions.assumeTrue(missing == null, () -> "skipped: " + PROPERTY + "=containers, but " + missing);
                dev.smartmq.testkit.servers.internal.Containers c = new dev.smartmq.testkit.servers.internal.Containers();
                started.add(c);
                redis = withRedis ? c.startRedis() : null;
                zooKeeper = withZooKeeper ? c.startZooKeeper() : null;
                rocketMQ = withRocketMQ ? c.startRocketMQ() : null;
            } else {
                startEmbedded();
            }
        } catch (RuntimeException | Error e) {
            closeAll();
            throw e;
        }
    }

    private void startEmbedded() {
        if (withRedis) {
            RedisServer r = RedisServer.start();
            started.add(r);
            redis = new RedisEndpoint() {
                @Override
                public String host() {
                    return r.host();
                }

                @Override
                public int port() {
                    return r.port();
                }
            };
        }
        if (withZooKeeper) {
            ZooKeeperServer z = ZooKeeperServer.start();
            started.add(z);
            zooKeeper = z::connectString;
        }
        if (withRocketMQ) {
            EmbeddedRocketMQ m = EmbeddedRocketMQ.builder().build();
            started.add(m);
            m.start();
            rocketMQ = new RocketMQEndpoint() {
                @Override
                public String nameServerAddress() {
                    return m.nameServerAddress();
                }

                @Override
                public void createTopic(String topic, int queues) {
                    m.createTopic(topic, queues);
                }
            };
        }
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) {
        closeAll();
    }

    private void closeAll() {
        RuntimeException first = null;
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                if (first == null) {
                    first = new IllegalStateException("a test server did not close cleanly", e);
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        started.clear();
        redis = null;
        zooKeeper = null;
        rocketMQ = null;
        if (first != null) {
            throw first;
        }
    }

    /** The Redis server. */
    public RedisEndpoint redis() {
        return require(redis, withRedis, "redis");
    }

    /** The ZooKeeper server. */
    public ZooKeeperEndpoint zooKeeper() {
        return require(zooKeeper, withZooKeeper, "zooKeeper");
    }

    /** The RocketMQ name server and broker. */
    public RocketMQEndpoint rocketMQ() {
        return require(rocketMQ, withRocketMQ, "rocketMQ");
    }

    private static <T> T require(T value, boolean requested, String name) {
        if (!requested) {
            throw new IllegalStateException(name + "() was not requested: use TestServers.builder()." + name + "()");
        }
        if (value == null) {
            throw new IllegalStateException(name + "() is only available between beforeAll and afterAll");
        }
        return value;
    }

    /** Which servers, and which kind; {@link #build()} makes the extension (nothing starts before beforeAll). */
    public static final class Builder {
        private Kind kind;
        private boolean redis;
        private boolean zooKeeper;
        private boolean rocketMQ;

        private Builder() {
        }

        public Builder redis() {
            this.redis = true;
            return this;
        }

        public Builder zooKeeper() {
            this.zooKeeper = true;
            return this;
        }

        public Builder rocketMQ() {
            this.rocketMQ = true;
            return this;
        }

        /** Testcontainers, whatever {@value TestServers#PROPERTY} says. */
        public Builder containers() {
            this.kind = Kind.CONTAINERS;
            return this;
        }

        /** The embedded fixtures, whatever {@value TestServers#PROPERTY} says. */
        public Builder embedded() {
            this.kind = Kind.EMBEDDED;
            return this;
        }

        public TestServers build() {
            if (!redis && !zooKeeper && !rocketMQ) {
                throw new IllegalStateException("TestServers needs at least one of redis(), zooKeeper(), rocketMQ()");
            }
            return new TestServers(this);
        }
    }
}
