package dev.smartmq.spring.boot.autoconfigure.internal;

import com.codahale.metrics.MetricRegistry;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.rocketmq.RocketMQTransport;
import dev.smartmq.spring.boot.autoconfigure.InvalidSmartMQPropertyException;
import dev.smartmq.spring.boot.autoconfigure.SmartMQProperties;
import dev.smartmq.zookeeper.ZkCoordination;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLSocketFactory;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.core.env.Environment;
import redis.clients.jedis.HostAndPort;

/**
 * Turns {@link SmartMQProperties} (and the rocketmq-spring property names it accepts) into the four builders and
 * builds one started {@link SmartMQ}. Every value goes through {@link PropertyCheck}, so a refused value fails
 * with its property name. Stateless; called once per context on the thread that creates the bean.
 */
public final class SmartMQFactory {
    /** rocketmq-spring's names, accepted when the {@code smartmq.rocketmq.*} one is not set. */
    public static final String RS_NAME_SERVER = "rocketmq.name-server";
    public static final String RS_PRODUCER_GROUP = "rocketmq.producer.group";
    public static final String RS_ACCESS_KEY = "rocketmq.producer.access-key";
    public static final String RS_SECRET_KEY = "rocketmq.producer.secret-key";
    public static final String RS_SEND_TIMEOUT = "rocketmq.producer.send-message-timeout";
    public static final String RS_RETRIES = "rocketmq.producer.retry-times-when-send-failed";

    private SmartMQFactory() {
    }

    /** Validates everything, then builds and starts the SmartMQ (which owns and closes the three ports). */
    public static SmartMQ create(SmartMQProperties p, Environment env, SslBundles sslBundles) {
        String ns = p.getNamespace();
        PropertyCheck.check(ns != null && SmartMQConfig.isValidNamespace(ns), "smartmq.namespace", ns,
                SmartMQConfig.NAMESPACE_RULE);
        SmartMQConfig config = p.getEngine().toConfig(ns);
        // Build all three before starting anything: a bad value anywhere fails before any connection is made.
        RocketMQTransport transport = transport(p.getRocketmq(), env);
        RedisFallbackStore store = store(p.getRedis(), ns, sslBundles);
        ZkCoordination sw = zkSwitch(p.getZookeeper(), ns);
        SmartMQ.Builder b = SmartMQ.builder().config(config).transport(transport).fallbackStore(store)
                .coordination(sw).metricRegistry(new MetricRegistry());
        PropertyCheck.apply("smartmq.metric-prefix", p.getMetricPrefix(), b::metricPrefix);
        return b.build();
    }

    static RocketMQTransport transport(SmartMQProperties.RocketMQ r, Environment env) {
        RocketMQTransport.Builder b = RocketMQTransport.builder();
        String nameServerProperty = r.getNameServer() != null ? "smartmq.rocketmq.name-server" : RS_NAME_SERVER;
        String nameServer = r.getNameServer() != null ? r.getNameServer() : env.getProperty(RS_NAME_SERVER);
        PropertyCheck.check(nameServer != null && !nameServer.isBlank(), "smartmq.rocketmq.name-server", nameServer,
                "is required (or rocketmq-spring's " + RS_NAME_SERVER + ")");
        PropertyCheck.apply(nameServerProperty, nameServer.trim(), b::nameServer);
        String group = r.getProducerGroup() != null ? r.getProducerGroup() : env.getProperty(RS_PRODUCER_GROUP);
        PropertyCheck.apply(r.getProducerGroup() != null ? "smartmq.rocketmq.producer-group" : RS_PRODUCER_GROUP,
                group, b::producerGroup);
        PropertyCheck.apply("smartmq.rocketmq.namespace", r.getNamespace(), b::namespace);
        String accessKey = r.getAccessKey() != null ? r.getAccessKey() : env.getProperty(RS_ACCESS_KEY);
        String secretKey = r.getSecretKey() != null ? r.getSecretKey() : env.getProperty(RS_SECRET_KEY);
        if (accessKey != null || secretKey != null) {
            PropertyCheck.check(accessKey != null && secretKey != null, "smartmq.rocketmq.access-key",
                    null, "access-key and secret-key must be set together");
            PropertyCheck.applySecret("smartmq.rocketmq.secret-key", secretKey, s -> b.aclCredentials(accessKey, s));
        }
        Duration sendTimeout = r.getSendTimeout();
        String sendTimeoutProperty = "smartmq.rocketmq.send-timeout";
        if (sendTimeout == null && env.getProperty(RS_SEND_TIMEOUT) != null) {
            sendTimeoutProperty = RS_SEND_TIMEOUT;
            sendTimeout = Duration.ofMillis(longProperty(env, RS_SEND_TIMEOUT));
        }
        PropertyCheck.apply(sendTimeoutProperty, sendTimeout, b::sendTimeout);
        Integer retries = r.getRetriesWhenSendFailed();
        String retriesProperty = "smartmq.rocketmq.retries-when-send-failed";
        if (retries == null && env.getProperty(RS_RETRIES) != null) {
            retriesProperty = RS_RETRIES;
            retries = (int) longProperty(env, RS_RETRIES);
        }
        PropertyCheck.apply(retriesProperty, retries, b::retriesWhenSendFailed);
        PropertyCheck.apply("smartmq.rocketmq.name-server-timeout", r.getNameServerTimeout(), b::nameServerTimeout);
        PropertyCheck.apply("smartmq.rocketmq.route-refresh-interval", r.getRouteRefreshInterval(),
                b::routeRefreshInterval);
        PropertyCheck.apply("smartmq.rocketmq.max-body-size", r.getMaxBodySize(), b::maxBodySize);
        PropertyCheck.apply("smartmq.rocketmq.async-send-threads", r.getAsyncSendThreads(), b::asyncSendThreads);
        PropertyCheck.apply("smartmq.rocketmq.async-send-queue-capacity", r.getAsyncSendQueueCapacity(),
                b::asyncSendQueueCapacity);
        PropertyCheck.apply("smartmq.rocketmq.consume-from", r.getConsumeFrom(), b::consumeFrom);
        PropertyCheck.apply("smartmq.rocketmq.consume-threads", r.getConsumeThreads(), b::consumeThreads);
        return PropertyCheck.build("smartmq.rocketmq", b::build);
    }

    static RedisFallbackStore store(SmartMQProperties.Redis r, String namespace, SslBundles sslBundles) {
        RedisFallbackStore.Builder b = RedisFallbackStore.builder();
        List<String> nodes = r.getCluster().getNodes();
        if (nodes != null && !nodes.isEmpty()) {
            Set<HostAndPort> cluster = new LinkedHashSet<>();
            for (int i = 0; i < nodes.size(); i++) {
                cluster.add(hostAndPort("smartmq.redis.cluster.nodes[" + i + "]", nodes.get(i)));
            }
            PropertyCheck.apply("smartmq.redis.cluster.nodes", cluster, b::cluster);
        } else {
            PropertyCheck.check(r.getHost() != null && !r.getHost().isBlank(), "smartmq.redis.host", r.getHost(),
                    "must not be blank");
            PropertyCheck.check(r.getPort() >= 1 && r.getPort() <= 65535, "smartmq.redis.port", r.getPort(),
                    "must be between 1 and 65535");
            b.standalone(r.getHost(), r.getPort());
        }
        PropertyCheck.apply("smartmq.namespace", namespace, b::namespace);
        PropertyCheck.apply("smartmq.redis.user", r.getUser(), b::user);
        PropertyCheck.applySecret("smartmq.redis.password", r.getPassword(), b::password);
        String bundle = r.getSsl().getBundle();
        if (bundle != null && !bundle.isBlank()) {
            PropertyCheck.check(sslBundles != null, "smartmq.redis.ssl.bundle", bundle,
                    "needs Spring Boot's SSL bundles (spring.ssl.bundle.*), none are configured");
            SSLSocketFactory factory;
            try {
                factory = sslBundles.getBundle(bundle).createSslContext().getSocketFactory();
            } catch (RuntimeException e) {
                throw new InvalidSmartMQPropertyException("smartmq.redis.ssl.bundle", "'" + bundle + "'",
                        "no usable SSL bundle of that name (" + e.getMessage() + ")");
            }
            b.sslSocketFactory(factory);
        } else if (r.getSsl().isEnabled()) {
            b.ssl(true);
        }
        PropertyCheck.apply("smartmq.redis.shards", r.getShards(), b::shards);
        PropertyCheck.apply("smartmq.redis.max-backlog-per-shard", r.getMaxBacklogPerShard(), b::maxBacklogPerShard);
        PropertyCheck.apply("smartmq.redis.max-body-size", r.getMaxBodySize(), b::maxBodySize);
        PropertyCheck.apply("smartmq.redis.connect-timeout", r.getConnectTimeout(), b::connectTimeout);
        PropertyCheck.apply("smartmq.redis.socket-timeout", r.getSocketTimeout(), b::socketTimeout);
        PropertyCheck.apply("smartmq.redis.pool-size", r.getPoolSize(), b::poolSize);
        PropertyCheck.apply("smartmq.redis.writer-threads", r.getWriterThreads(), b::writerThreads);
        PropertyCheck.apply("smartmq.redis.max-batch-size", r.getMaxBatchSize(), b::maxBatchSize);
        PropertyCheck.apply("smartmq.redis.writer-queue-capacity", r.getWriterQueueCapacity(),
                b::writerQueueCapacity);
        envelopeKey(r, b);
        return PropertyCheck.build("smartmq.redis", b::build);
    }

    private static void envelopeKey(SmartMQProperties.Redis r, RedisFallbackStore.Builder b) {
        String property = "smartmq.redis.envelope-key";
        String base64 = r.getEnvelopeKey();
        if (base64 == null && r.getEnvelopeKeyFile() != null) {
            property = "smartmq.redis.envelope-key-file";
            try {
                base64 = Files.readString(r.getEnvelopeKeyFile(), StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                throw new InvalidSmartMQPropertyException(property, "'" + r.getEnvelopeKeyFile() + "'",
                        "cannot be read (" + e + ")");
            }
        }
        if (base64 == null) {
            return;
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(base64.trim());
        } catch (IllegalArgumentException e) {
            throw new InvalidSmartMQPropertyException(property, "<masked>", "must be base64");
        }
        PropertyCheck.applySecret(property, key, b::envelopeKey);
    }

    static ZkCoordination zkSwitch(SmartMQProperties.ZooKeeper z, String namespace) {
        ZkCoordination.Builder b = ZkCoordination.builder();
        PropertyCheck.check(z.getConnectString() != null && !z.getConnectString().isBlank(),
                "smartmq.zookeeper.connect-string", z.getConnectString(), "is required");
        PropertyCheck.apply("smartmq.zookeeper.connect-string", z.getConnectString().trim(), b::connectString);
        PropertyCheck.apply("smartmq.namespace", namespace, b::namespace);
        PropertyCheck.apply("smartmq.zookeeper.root-path", z.getRootPath(), b::rootPath);
        PropertyCheck.apply("smartmq.zookeeper.session-timeout", z.getSessionTimeout(), b::sessionTimeout);
        PropertyCheck.apply("smartmq.zookeeper.connection-timeout", z.getConnectionTimeout(), b::connectionTimeout);
        PropertyCheck.apply("smartmq.zookeeper.operation-timeout", z.getOperationTimeout(), b::operationTimeout);
        PropertyCheck.apply("smartmq.zookeeper.history-size", z.getHistorySize(), b::historySize);
        PropertyCheck.apply("smartmq.zookeeper.join-election", z.isJoinElection(), b::joinElection);
        if (z.getWriters() != null && !z.getWriters().isEmpty()) {
            PropertyCheck.apply("smartmq.zookeeper.writers", z.getWriters(), b::writers);
        }
        SmartMQProperties.ZooKeeper.Auth auth = z.getAuth();
        String credentials = auth.getCredentials();
        if (credentials == null && auth.getCredentialsFile() != null) {
            try {
                List<String> lines = Files.readAllLines(auth.getCredentialsFile(), StandardCharsets.UTF_8);
                credentials = lines.isEmpty() ? "" : lines.get(0).trim();
            } catch (IOException e) {
                throw new InvalidSmartMQPropertyException("smartmq.zookeeper.auth.credentials-file",
                        "'" + auth.getCredentialsFile() + "'", "cannot be read (" + e + ")");
            }
            PropertyCheck.check(!credentials.isEmpty(), "smartmq.zookeeper.auth.credentials-file",
                    auth.getCredentialsFile(), "is empty");
        }
        if (credentials != null) {
            String c = credentials;
            PropertyCheck.applySecret("smartmq.zookeeper.auth.credentials", auth.getScheme(),
                    scheme -> b.authorization(scheme, c));
        }
        return PropertyCheck.build("smartmq.zookeeper", b::build);
    }

    private static HostAndPort hostAndPort(String property, String value) {
        try {
            return HostAndPort.from(value.trim());
        } catch (RuntimeException e) {
            throw new InvalidSmartMQPropertyException(property, "'" + value + "'", "must be host:port");
        }
    }

    private static long longProperty(Environment env, String name) {
        String v = env.getProperty(name);
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new InvalidSmartMQPropertyException(name, "'" + v + "'", "must be a whole number");
        }
    }
}
