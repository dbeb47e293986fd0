package dev.smartmq.spring.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.DeliveryException;
import dev.smartmq.api.Message;
import dev.smartmq.api.Route;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.spi.SwitchAccessDeniedException;
import dev.smartmq.spi.SwitchTransition;
import dev.smartmq.spring.boot.autoconfigure.InvalidSmartMQPropertyException;
import dev.smartmq.spring.boot.autoconfigure.SmartMQAutoConfiguration;
import dev.smartmq.testkit.redis.RedisCluster;
import dev.smartmq.testkit.redis.RedisServer;
import dev.smartmq.testkit.zookeeper.ZooKeeperServer;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The starter's server properties that unit tests only bind, against real servers: Redis Cluster nodes
 * ({@code smartmq.redis.cluster.nodes}, the testkit's three-master cluster), Redis over TLS
 * ({@code smartmq.redis.ssl.bundle} with a PEM bundle; a throwaway certificate made with openssl; skipped with
 * the reason when openssl is missing or redis-server has no TLS), and ZooKeeper digest auth
 * ({@code smartmq.zookeeper.auth.credentials} and {@code .credentials-file}, with {@code writers} so that an
 * unauthenticated client is refused). Redis is proven by a send stored in it (route FALLBACK after a drill
 * degrade: the fallback store acknowledged the write); no RocketMQ runs (the name server address is a closed
 * port, which the transport does not contact until it sends).
 */
class SmartMQServerPropertiesIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static ZooKeeperServer zooKeeper;
    private static int closedPort;

    @TempDir
    Path dir;

    @BeforeAll
    static void servers() throws IOException {
        zooKeeper = ZooKeeperServer.start();
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
    }

    @AfterAll
    static void close() {
        if (zooKeeper != null) {
            zooKeeper.close();
        }
    }

    private ApplicationContextRunner runner(String namespace, String... more) {
        List<String> p = new ArrayList<>(List.of(
                "smartmq.namespace=" + namespace,
                "smartmq.rocketmq.name-server=127.0.0.1:" + closedPort,
                "smartmq.zookeeper.connect-string=" + zooKeeper.connectString(),
                "smartmq.redis.shards=4",
                "smartmq.engine.shutdown-timeout=3s"));
        p.addAll(List.of(more));
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, SmartMQAutoConfiguration.class))
                .withPropertyValues(p.toArray(String[]::new));
    }

    /** A drill degrade through this instance's switch, then a send: FALLBACK means Redis stored it. */
    private static void sendsThroughRedis(AssertableApplicationContext ctx) {
        assertNull(ctx.getStartupFailure(), () -> String.valueOf(ctx.getStartupFailure()));
        SmartMQ mq = ctx.getBean(SmartMQ.class);
        assertTrue(mq.operator().degrade("it: through Redis", Duration.ofMinutes(5), "it").applied());
        await().atMost(WAIT).until(() -> mq.effectiveState() == SwitchState.DEGRADED);
        for (int i = 0; i < 5; i++) {
            assertEquals(Route.FALLBACK, mq.producer().send(Message.builder("ORDERS").key("k" + i).body("b" + i)
                    .build()).route());
        }
        assertEquals(5, mq.metrics().meter("smartmq.producer.sends.fallback").getCount());
    }

    @Test
    void redisClusterNodes() {
        try (RedisCluster cluster = RedisCluster.start()) {
            String nodes = cluster.hostAndPorts().stream().map(h -> h.getHost() + ":" + h.getPort())
                    .collect(Collectors.joining(","));
            runner("props-cluster", "smartmq.redis.cluster.nodes=" + nodes).run(ctx -> {
                sendsThroughRedis(ctx);
                // The keys are spread over the masters: the cluster client, not one node, stored them.
                long mastersWithKeys = cluster.masters().stream().filter(m -> {
                    try (var j = m.newClient()) {
                        return j.dbSize() > 0;
                    }
                }).count();
                assertTrue(mastersWithKeys >= 2, "keys on " + mastersWithKeys + " masters");
            });
        }
    }

    @Test
    void redisOverTlsWithAnSslBundle() throws Exception {
        Path key = dir.resolve("key.pem");
        Path cert = dir.resolve("cert.pem");
        Assumptions.assumeTrue(openssl(key, cert), "skipped: openssl is not on the PATH (needed to make a "
                + "throwaway certificate)");
        int tlsPort;
        try (ServerSocket s = new ServerSocket(0)) {
            tlsPort = s.getLocalPort();
        }
        RedisServer redis;
        try {
            redis = RedisServer.builder().config("tls-port", Integer.toString(tlsPort))
                    .config("tls-cert-file", cert.toString()).config("tls-key-file", key.toString())
                    .config("tls-ca-cert-file", cert.toString()).config("tls-auth-clients", "no").start();
        } catch (RuntimeException e) {
            Assumptions.abort("skipped: this redis-server does not start with --tls-port (built without TLS?): "
                    + e.getMessage());
            return;
        }
        try (redis) {
            runner("props-tls", "smartmq.redis.host=127.0.0.1", "smartmq.redis.port=" + tlsPort,
                    "smartmq.redis.ssl.bundle=redis-it",
                    "spring.ssl.bundle.pem.redis-it.truststore.certificate=file:" + cert)
                    .run(ctx -> {
                        sendsThroughRedis(ctx);
                        try (var j = redis.newClient()) {
                            assertTrue(j.dbSize() > 0, "the TLS port stored the messages");
                        }
                    });
            // The same port without TLS: Redis closes the connection, nothing can be stored (so TLS did the work).
            runner("props-tls-plain", "smartmq.redis.host=127.0.0.1", "smartmq.redis.port=" + tlsPort,
                    "smartmq.redis.connect-timeout=1s", "smartmq.redis.socket-timeout=1s")
                    .run(ctx -> {
                        SmartMQ mq = ctx.getBean(SmartMQ.class);
                        assertTrue(mq.operator().degrade("it: plain text", Duration.ofMinutes(5), "it").applied());
                        await().atMost(WAIT).until(() -> mq.effectiveState() == SwitchState.DEGRADED);
                        assertThrows(DeliveryException.class, () -> mq.producer().send(Message.builder("ORDERS")
                                .body("plain").build()));
                    });
        }
    }

    private static boolean openssl(Path key, Path cert) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    key.toString(), "-out", cert.toString(), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1").redirectErrorStream(true).start();
        } catch (IOException e) {
            return false;
        }
        p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "openssl did not finish");
        assertEquals(0, p.exitValue(), "openssl failed");
        return true;
    }

    @Test
    void zooKeeperDigestAuthFromAPropertyAndFromAFile() throws Exception {
        String writer = ZkDegradationSwitch.digestIdentity("svc", "secret");
        try (RedisServer redis = RedisServer.start()) {
            String[] redisProps = {"smartmq.redis.host=" + redis.host(), "smartmq.redis.port=" + redis.port()};
            runner("props-zk-prop", concat(redisProps, "smartmq.zookeeper.auth.credentials=svc:secret",
                    "smartmq.zookeeper.writers=" + writer)).run(ctx -> {
                        sendsThroughRedis(ctx); // the degrade was written with the credentials
                        assertUnauthenticatedWriteRefused("props-zk-prop");
                    });

            Path file = dir.resolve("zk-credentials");
            Files.writeString(file, "svc:secret\n");
            runner("props-zk-file", concat(redisProps, "smartmq.zookeeper.auth.credentials-file=" + file,
                    "smartmq.zookeeper.writers=" + writer)).run(ctx -> {
                        sendsThroughRedis(ctx);
                        assertUnauthenticatedWriteRefused("props-zk-file");
                    });

            Path missing = dir.resolve("no-such-file");
            runner("props-zk-missing", concat(redisProps, "smartmq.zookeeper.auth.credentials-file=" + missing))
                    .run(ctx -> {
                        Throwable f = ctx.getStartupFailure();
                        assertNotNull(f);
                        InvalidSmartMQPropertyException e = cause(f);
                        assertEquals("smartmq.zookeeper.auth.credentials-file", e.property());
                        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
                    });
        }
    }

    /** A client without the credentials may read the switch but not write it. */
    private static void assertUnauthenticatedWriteRefused(String namespace) {
        ZkDegradationSwitch anonymous = ZkDegradationSwitch.builder().connectString(zooKeeper.connectString())
                .namespace(namespace).joinElection(false).build();
        anonymous.start();
        try {
            await().atMost(WAIT).until(() -> anonymous.current().state() == SwitchState.DEGRADED);
            long epoch = anonymous.current().epoch();
            assertThrows(SwitchAccessDeniedException.class, () -> anonymous.transition(new SwitchTransition(epoch,
                    SwitchState.RECOVERING, SwitchMode.AUTO, "not allowed", "anonymous", null)));
        } finally {
            anonymous.close();
        }
    }

    private static String[] concat(String[] a, String... b) {
        List<String> l = new ArrayList<>(List.of(a));
        l.addAll(List.of(b));
        return l.toArray(String[]::new);
    }

    private static InvalidSmartMQPropertyException cause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof InvalidSmartMQPropertyException e) {
                return e;
            }
        }
        throw new AssertionError("no InvalidSmartMQPropertyException in " + t, t);
    }
}
