package dev.smartmq.spring.boot.autoconfigure;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.rocketmq.ConsumeFrom;
import dev.smartmq.spring.boot.autoconfigure.internal.PropertyCheck;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;

/**
 * {@code smartmq.*}: everything one {@link dev.smartmq.core.SmartMQ} needs. The namespace is set once and used
 * by the engine, the Redis keys and the ZooKeeper switch. Defaults are those of the builders they feed.
 *
 * <p>Over 400 lines because it is Spring's binding target for every {@code smartmq.*} key: one field, getter and
 * setter per setting of four builders (RocketMQ, Redis, ZooKeeper, engine) and the code that copies each into its
 * builder, naming the property of a bad value; no other logic. Splitting it would only scatter the property list.
 *
 * <p>Threads: a mutable binding target, filled by Spring once before the SmartMQ is built and not changed after.
 */
@ConfigurationProperties(prefix = "smartmq")
public class SmartMQProperties {

    /** Whether to build a SmartMQ from these properties. */
    private boolean enabled = true;

    /** Namespace of the switch, the consumer registry and the fallback keys; services that share a switch share it. */
    private String namespace = "default";

    /** Prefix of the engine's own (Dropwizard) metric names. */
    private String metricPrefix = "smartmq";

    @NestedConfigurationProperty
    private final RocketMQ rocketmq = new RocketMQ();
    @NestedConfigurationProperty
    private final Redis redis = new Redis();
    @NestedConfigurationProperty
    private final ZooKeeper zookeeper = new ZooKeeper();
    @NestedConfigurationProperty
    private final Engine engine = new Engine();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean v) {
        this.enabled = v;
    }

    public String getNamespace() {
        return namespace;
    }

    public void setNamespace(String v) {
        this.namespace = v;
    }

    public String getMetricPrefix() {
        return metricPrefix;
    }

    public void setMetricPrefix(String v) {
        this.metricPrefix = v;
    }

    public RocketMQ getRocketmq() {
        return rocketmq;
    }

    public Redis getRedis() {
        return redis;
    }

    public ZooKeeper getZookeeper() {
        return zookeeper;
    }

    public Engine getEngine() {
        return engine;
    }

    /** {@code smartmq.rocketmq.*}: the MQ (RocketMQ 5 remoting client). */
    public static class RocketMQ {
        /** Name server address(es), {@code host:port} separated by {@code ;}. Falls back to rocketmq-spring's {@code rocketmq.name-server}. */
        private String nameServer;
        /** RocketMQ producer group. Falls back to {@code rocketmq.producer.group}, then {@code smartmq-producer}. */
        private String producerGroup;
        /** RocketMQ's own namespace prepended to topics and groups (not SmartMQ's namespace); none by default. */
        private String namespace;
        /** ACL access key. Falls back to {@code rocketmq.producer.access-key}. */
        private String accessKey;
        /** ACL secret key; never logged. Falls back to {@code rocketmq.producer.secret-key}. */
        private String secretKey;
        /** RocketMQ's send timeout when no per-call budget is given (default 3s). Falls back to {@code rocketmq.producer.send-message-timeout} (ms). */
        private Duration sendTimeout;
        /** Timeout of one name server call. */
        private Duration nameServerTimeout = Duration.ofSeconds(1);
        /** How often clients re-read routes from the name server. */
        private Duration routeRefreshInterval = Duration.ofSeconds(30);
        /** RocketMQ's own retries of a failed send (default 2). Falls back to {@code rocketmq.producer.retry-times-when-send-failed}. */
        private Integer retriesWhenSendFailed;
        /** Largest body the transport accepts, in bytes. */
        private int maxBodySize = 4194304;
        /** Threads of the async send executor. */
        private int asyncSendThreads = 4;
        /** Async sends that may wait for a thread. */
        private int asyncSendQueueCapacity = 10000;
        /** Where a consumer group without committed offsets starts. */
        private ConsumeFrom consumeFrom = ConsumeFrom.LAST_OFFSET;
        /** Consumer threads per consumer group. */
        private int consumeThreads = 8;

        public String getNameServer() {
            return nameServer;
        }

        public void setNameServer(String v) {
            this.nameServer = v;
        }

        public String getProducerGroup() {
            return producerGroup;
        }

        public void setProducerGroup(String v) {
            this.producerGroup = v;
        }

        public String getNamespace() {
            return namespace;
        }

        public void setNamespace(String v) {
            this.namespace = v;
        }

        public String getAccessKey() {
            return accessKey;
        }

        public void setAccessKey(String v) {
            this.accessKey = v;
        }

        public String getSecretKey() {
            return secretKey;
        }

        public void setSecretKey(String v) {
            this.secretKey = v;
        }

        public Duration getSendTimeout() {
            return sendTimeout;
        }

        public void setSendTimeout(Duration v) {
            this.sendTimeout = v;
        }

        public Duration getNameServerTimeout() {
            return nameServerTimeout;
        }

        public void setNameServerTimeout(Duration v) {
            this.nameServerTimeout = v;
        }

        public Duration getRouteRefreshInterval() {
            return routeRefreshInterval;
        }

        public void setRouteRefreshInterval(Duration v) {
            this.routeRefreshInterval = v;
        }

        public Integer getRetriesWhenSendFailed() {
            return retriesWhenSendFailed;
        }

        public void setRetriesWhenSendFailed(Integer v) {
            this.retriesWhenSendFailed = v;
        }

        public int getMaxBodySize() {
            return maxBodySize;
        }

        public void setMaxBodySize(int v) {
            this.maxBodySize = v;
        }

        public int getAsyncSendThreads() {
            return asyncSendThreads;
        }

        public void setAsyncSendThreads(int v) {
            this.asyncSendThreads = v;
        }

        public int getAsyncSendQueueCapacity() {
            return asyncSendQueueCapacity;
        }

        public void setAsyncSendQueueCapacity(int v) {
            this.asyncSendQueueCapacity = v;
        }

        public ConsumeFrom getConsumeFrom() {
            return consumeFrom;
        }

        public void setConsumeFrom(ConsumeFrom v) {
            this.consumeFrom = v;
        }

        public int getConsumeThreads() {
            return consumeThreads;
        }

        public void setConsumeThreads(int v) {
            this.consumeThreads = v;
        }
    }

    /** {@code smartmq.redis.*}: the fallback store (standalone or cluster). */
    public static class Redis {
        @NestedConfigurationProperty
        private final Cluster cluster = new Cluster();
        @NestedConfigurationProperty
        private final Ssl ssl = new Ssl();

        public Cluster getCluster() {
            return cluster;
        }

        public Ssl getSsl() {
            return ssl;
        }

        /** Standalone server host (ignored when cluster nodes are set). */
        private String host = "localhost";
        /** Standalone server port. */
        private int port = 6379;
        /** ACL user name (Redis 6+). */
        private String user;
        /** AUTH password; never logged. */
        private String password;
        /** Shards per (topic, group); fixed for the life of a namespace. */
        private int shards = 128;
        /** Most messages one shard of one group may hold. */
        private long maxBacklogPerShard = 100000;
        /** Largest body accepted, in bytes. */
        private int maxBodySize = 4194304;
        /** Budget to open (or borrow) a connection. */
        private Duration connectTimeout = Duration.ofSeconds(2);
        /** Budget to wait for a reply. */
        private Duration socketTimeout = Duration.ofSeconds(2);
        /** Connections per node. */
        private int poolSize = 16;
        /** Group-commit writer threads. */
        private int writerThreads = 2;
        /** Most appends in one pipeline. */
        private int maxBatchSize = 256;
        /** Appends that may wait for a writer. */
        private int writerQueueCapacity = 8192;
        /** HMAC key of every stored value, base64 (at least 32 bytes decoded); the same on every instance of the namespace. Never logged. */
        private String envelopeKey;
        /** A file holding the envelope key, base64 (a mounted secret); used when {@code envelope-key} is not set. */
        private Path envelopeKeyFile;

        public String getHost() {
            return host;
        }

        public void setHost(String v) {
            this.host = v;
        }

        public int getPort() {
            return port;
        }

        public void setPort(int v) {
            this.port = v;
        }

        public String getUser() {
            return user;
        }

        public void setUser(String v) {
            this.user = v;
        }

        public String getPassword() {
            return password;
        }

        public void setPassword(String v) {
            this.password = v;
        }

        public int getShards() {
            return shards;
        }

        public void setShards(int v) {
            this.shards = v;
        }

        public long getMaxBacklogPerShard() {
            return maxBacklogPerShard;
        }

        public void setMaxBacklogPerShard(long v) {
            this.maxBacklogPerShard = v;
        }

        public int getMaxBodySize() {
            return maxBodySize;
        }

        public void setMaxBodySize(int v) {
            this.maxBodySize = v;
        }

        public Duration getConnectTimeout() {
            return connectTimeout;
        }

        public void setConnectTimeout(Duration v) {
            this.connectTimeout = v;
        }

        public Duration getSocketTimeout() {
            return socketTimeout;
        }

        public void setSocketTimeout(Duration v) {
            this.socketTimeout = v;
        }

        public int getPoolSize() {
            return poolSize;
        }

        public void setPoolSize(int v) {
            this.poolSize = v;
        }

        public int getWriterThreads() {
            return writerThreads;
        }

        public void setWriterThreads(int v) {
            this.writerThreads = v;
        }

        public int getMaxBatchSize() {
            return maxBatchSize;
        }

        public void setMaxBatchSize(int v) {
            this.maxBatchSize = v;
        }

        public int getWriterQueueCapacity() {
            return writerQueueCapacity;
        }

        public void setWriterQueueCapacity(int v) {
            this.writerQueueCapacity = v;
        }

        public String getEnvelopeKey() {
            return envelopeKey;
        }

        public void setEnvelopeKey(String v) {
            this.envelopeKey = v;
        }

        public Path getEnvelopeKeyFile() {
            return envelopeKeyFile;
        }

        public void setEnvelopeKeyFile(Path v) {
            this.envelopeKeyFile = v;
        }

        /** {@code smartmq.redis.cluster.*}. */
        public static class Cluster {
        /** Some nodes of a Redis Cluster, {@code host:port}; when set, the store uses the cluster instead of host/port. */
        private List<String> nodes = new ArrayList<>();

        public List<String> getNodes() {
            return nodes;
        }

        public void setNodes(List<String> v) {
            this.nodes = v;
        }
        }

        /** {@code smartmq.redis.ssl.*}. */
        public static class Ssl {
        /** TLS to the server(s), with the JVM's default trust store unless a bundle is named. */
        private boolean enabled = false;
        /** Name of a Spring Boot SSL bundle ({@code spring.ssl.bundle.*}) with the trust store / client certificate; implies enabled. */
        private String bundle;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean v) {
            this.enabled = v;
        }

        public String getBundle() {
            return bundle;
        }

        public void setBundle(String v) {
            this.bundle = v;
        }
        }
    }

    /** {@code smartmq.zookeeper.*}: the degradation switch. */
    public static class ZooKeeper {
        @NestedConfigurationProperty
        private final Auth auth = new Auth();

        public Auth getAuth() {
            return auth;
        }

        /** ZooKeeper servers, {@code host:port,...}. Required. */
        private String connectString;
        /** Path under which namespaces live. */
        private String rootPath = "/smartmq";
        /** Session timeout. */
        private Duration sessionTimeout = Duration.ofSeconds(30);
        /** Connection timeout; also how long start waits for the first read. */
        private Duration connectionTimeout = Duration.ofSeconds(10);
        /** Longest wait of one switch write or history read. */
        private Duration operationTimeout = Duration.ofSeconds(5);
        /** Applied transitions kept in the history. */
        private int historySize = 100;
        /** Whether this instance joins the leader election (prober and drain decision). */
        private boolean joinElection = true;
        /** Digest identities ({@code user:base64(sha1(user:password))}) that may write the switch; empty leaves it writable by anyone. */
        private List<String> writers = new ArrayList<>();

        public String getConnectString() {
            return connectString;
        }

        public void setConnectString(String v) {
            this.connectString = v;
        }

        public String getRootPath() {
            return rootPath;
        }

        public void setRootPath(String v) {
            this.rootPath = v;
        }

        public Duration getSessionTimeout() {
            return sessionTimeout;
        }

        public void setSessionTimeout(Duration v) {
            this.sessionTimeout = v;
        }

        public Duration getConnectionTimeout() {
            return connectionTimeout;
        }

        public void setConnectionTimeout(Duration v) {
            this.connectionTimeout = v;
        }

        public Duration getOperationTimeout() {
            return operationTimeout;
        }

        public void setOperationTimeout(Duration v) {
            this.operationTimeout = v;
        }

        public int getHistorySize() {
            return historySize;
        }

        public void setHistorySize(int v) {
            this.historySize = v;
        }

        public boolean isJoinElection() {
            return joinElection;
        }

        public void setJoinElection(boolean v) {
            this.joinElection = v;
        }

        public List<String> getWriters() {
            return writers;
        }

        public void setWriters(List<String> v) {
            this.writers = v;
        }

        /** {@code smartmq.zookeeper.auth.*}: credentials of the switch's ZooKeeper client (digest by default). */
        public static class Auth {
        /** Authentication scheme. */
        private String scheme = "digest";
        /** Credentials, e.g. {@code user:password} for digest; never logged. */
        private String credentials;
        /** A file holding the credentials (first line, trimmed), e.g. a mounted secret. Used when {@code credentials} is not set. */
        private Path credentialsFile;

        public String getScheme() {
            return scheme;
        }

        public void setScheme(String v) {
            this.scheme = v;
        }

        public String getCredentials() {
            return credentials;
        }

        public void setCredentials(String v) {
            this.credentials = v;
        }

        public Path getCredentialsFile() {
            return credentialsFile;
        }

        public void setCredentialsFile(Path v) {
            this.credentialsFile = v;
        }
        }
    }

    /**
     * Every {@code SmartMQConfig} setting except the namespace, with the same defaults (see
     * {@code SmartMQConfig.DEFAULT_*}).
     */
    public static class Engine {
        /** Consecutive infrastructure failures of MQ sends that degrade this instance. */
        private int failureThreshold = 10;
        /** How often the leader probes the MQ while degraded. */
        private Duration probeInterval = Duration.ofSeconds(5);
        /** Consecutive successful probes before RECOVERING. */
        private int probeSuccessThreshold = 3;
        /** Budget of one probe send. */
        private Duration probeTimeout = Duration.ofSeconds(3);
        /** Topic the probe sends to (must exist on the MQ). */
        private String probeTopic = "SMARTMQ_PROBE";
        /** No automatic transition leaves a state younger than this. */
        private Duration minDwellTime = Duration.ofSeconds(10);
        /** Budget of one MQ send before it falls back. */
        private Duration sendTimeout = Duration.ofSeconds(3);
        /** Largest message body accepted, in bytes. */
        private int maxBodySize = 4194304;
        /** Fallback consumer worker threads. */
        private int consumerThreads = 4;
        /** Messages claimed from one fallback shard at a time. */
        private int claimBatchSize = 16;
        /** Shortest pause of an idle fallback poller. */
        private Duration pollBackoffMin = Duration.ofMillis(10);
        /** Longest pause of an idle fallback poller. */
        private Duration pollBackoffMax = Duration.ofSeconds(1);
        /** How often idle fallback shards are swept while NORMAL. */
        private Duration normalSweepInterval = Duration.ofSeconds(10);
        /** Attempts of a fallback message before it is dead-lettered. */
        private int maxDeliveryAttempts = 16;
        /** First redelivery delay of a failed fallback message. */
        private Duration retryBackoffInitial = Duration.ofSeconds(1);
        /** Longest redelivery delay. */
        private Duration retryBackoffMax = Duration.ofSeconds(60);
        /** How often messages claimed by dead consumers are returned. */
        private Duration orphanReapInterval = Duration.ofSeconds(15);
        /** How often the leader checks whether the fallback is drained. */
        private Duration drainCheckInterval = Duration.ofSeconds(1);
        /** How long close waits for handlers and sends in progress. */
        private Duration shutdownTimeout = Duration.ofSeconds(10);
        /** How long a group may have no live consumer before it stops holding RECOVERING (its messages are kept). */
        private Duration abandonedGroupTimeout = Duration.ofMinutes(10);
        /** Held delayed messages due within this long hold RECOVERING; later ones are delivered when due in NORMAL. */
        private Duration delayedDrainHorizon = Duration.ofMinutes(5);
        /** Brownout rule: the latest MQ sends the failure-rate / slow-call-rate window holds; 0 turns the rule off. */
        private int brownoutWindowSize = 100;
        /** Brownout rule: sends the window must hold before it may trip. */
        private int brownoutMinimumCalls = 50;
        /** Brownout rule: failure rate in percent at or above which the namespace degrades. */
        private int brownoutFailureRateThreshold = 50;
        /** Brownout rule: slow-call rate in percent at or above which the namespace degrades. */
        private int brownoutSlowCallRateThreshold = 80;
        /** Brownout rule: a successful send slower than this is slow; unset means 80% of send-timeout. */
        private Duration brownoutSlowCallDuration = null;
        /** Lease of an ORDERED subscription on a fallback shard (renewed every third of it); another instance takes the shard only once it is free. */
        private Duration orderedShardLease = Duration.ofSeconds(30);
        /** Topics whose fallback backlog is also re-published to the MQ on recovery, for MQ-only consumers of a mixed fleet; none by default. */
        private List<String> republishTopics = new ArrayList<>();

        public int getFailureThreshold() {
            return failureThreshold;
        }

        public void setFailureThreshold(int v) {
            this.failureThreshold = v;
        }

        public Duration getProbeInterval() {
            return probeInterval;
        }

        public void setProbeInterval(Duration v) {
            this.probeInterval = v;
        }

        public int getProbeSuccessThreshold() {
            return probeSuccessThreshold;
        }

        public void setProbeSuccessThreshold(int v) {
            this.probeSuccessThreshold = v;
        }

        public Duration getProbeTimeout() {
            return probeTimeout;
        }

        public void setProbeTimeout(Duration v) {
            this.probeTimeout = v;
        }

        public String getProbeTopic() {
            return probeTopic;
        }

        public void setProbeTopic(String v) {
            this.probeTopic = v;
        }

        public Duration getMinDwellTime() {
            return minDwellTime;
        }

        public void setMinDwellTime(Duration v) {
            this.minDwellTime = v;
        }

        public Duration getSendTimeout() {
            return sendTimeout;
        }

        public void setSendTimeout(Duration v) {
            this.sendTimeout = v;
        }

        public int getMaxBodySize() {
            return maxBodySize;
        }

        public void setMaxBodySize(int v) {
            this.maxBodySize = v;
        }

        public int getConsumerThreads() {
            return consumerThreads;
        }

        public void setConsumerThreads(int v) {
            this.consumerThreads = v;
        }

        public int getClaimBatchSize() {
            return claimBatchSize;
        }

        public void setClaimBatchSize(int v) {
            this.claimBatchSize = v;
        }

        public Duration getPollBackoffMin() {
            return pollBackoffMin;
        }

        public void setPollBackoffMin(Duration v) {
            this.pollBackoffMin = v;
        }

        public Duration getPollBackoffMax() {
            return pollBackoffMax;
        }

        public void setPollBackoffMax(Duration v) {
            this.pollBackoffMax = v;
        }

        public Duration getNormalSweepInterval() {
            return normalSweepInterval;
        }

        public void setNormalSweepInterval(Duration v) {
            this.normalSweepInterval = v;
        }

        public int getMaxDeliveryAttempts() {
            return maxDeliveryAttempts;
        }

        public void setMaxDeliveryAttempts(int v) {
            this.maxDeliveryAttempts = v;
        }

        public Duration getRetryBackoffInitial() {
            return retryBackoffInitial;
        }

        public void setRetryBackoffInitial(Duration v) {
            this.retryBackoffInitial = v;
        }

        public Duration getRetryBackoffMax() {
            return retryBackoffMax;
        }

        public void setRetryBackoffMax(Duration v) {
            this.retryBackoffMax = v;
        }

        public Duration getOrphanReapInterval() {
            return orphanReapInterval;
        }

        public void setOrphanReapInterval(Duration v) {
            this.orphanReapInterval = v;
        }

        public Duration getDrainCheckInterval() {
            return drainCheckInterval;
        }

        public void setDrainCheckInterval(Duration v) {
            this.drainCheckInterval = v;
        }

        public Duration getShutdownTimeout() {
            return shutdownTimeout;
        }

        public void setShutdownTimeout(Duration v) {
            this.shutdownTimeout = v;
        }

        public Duration getAbandonedGroupTimeout() {
            return abandonedGroupTimeout;
        }

        public void setAbandonedGroupTimeout(Duration v) {
            this.abandonedGroupTimeout = v;
        }

        public Duration getDelayedDrainHorizon() {
            return delayedDrainHorizon;
        }

        public void setDelayedDrainHorizon(Duration v) {
            this.delayedDrainHorizon = v;
        }

        public int getBrownoutWindowSize() {
            return brownoutWindowSize;
        }

        public void setBrownoutWindowSize(int v) {
            this.brownoutWindowSize = v;
        }

        public int getBrownoutMinimumCalls() {
            return brownoutMinimumCalls;
        }

        public void setBrownoutMinimumCalls(int v) {
            this.brownoutMinimumCalls = v;
        }

        public int getBrownoutFailureRateThreshold() {
            return brownoutFailureRateThreshold;
        }

        public void setBrownoutFailureRateThreshold(int v) {
            this.brownoutFailureRateThreshold = v;
        }

        public int getBrownoutSlowCallRateThreshold() {
            return brownoutSlowCallRateThreshold;
        }

        public void setBrownoutSlowCallRateThreshold(int v) {
            this.brownoutSlowCallRateThreshold = v;
        }

        public Duration getBrownoutSlowCallDuration() {
            return brownoutSlowCallDuration;
        }

        public void setBrownoutSlowCallDuration(Duration v) {
            this.brownoutSlowCallDuration = v;
        }

        public Duration getOrderedShardLease() {
            return orderedShardLease;
        }

        public void setOrderedShardLease(Duration v) {
            this.orderedShardLease = v;
        }

        public List<String> getRepublishTopics() {
            return republishTopics;
        }

        public void setRepublishTopics(List<String> v) {
            this.republishTopics = v;
        }

        /** The engine configuration, validated setting by setting; errors name the property and the value. */
        public SmartMQConfig toConfig(String namespace) {
            SmartMQConfig.Builder b = SmartMQConfig.custom();
            PropertyCheck.apply("smartmq.namespace", namespace, b::namespace);
            PropertyCheck.apply("smartmq.engine.failure-threshold", failureThreshold, b::failureThreshold);
            PropertyCheck.apply("smartmq.engine.probe-interval", probeInterval, b::probeInterval);
            PropertyCheck.apply("smartmq.engine.probe-success-threshold", probeSuccessThreshold, b::probeSuccessThreshold);
            PropertyCheck.apply("smartmq.engine.probe-timeout", probeTimeout, b::probeTimeout);
            // The core only refuses an empty probe topic; one the MQ refuses would fail every probe and the
            // namespace would never recover, so the topic rules are checked here.
            PropertyCheck.apply("smartmq.engine.probe-topic", probeTopic, t -> {
                try {
                    Message.checkTopic(t);
                } catch (InvalidMessageException e) {
                    throw new ConfigurationException(e.getMessage());
                }
                b.probeTopic(t);
            });
            PropertyCheck.apply("smartmq.engine.min-dwell-time", minDwellTime, b::minDwellTime);
            PropertyCheck.apply("smartmq.engine.send-timeout", sendTimeout, b::sendTimeout);
            PropertyCheck.apply("smartmq.engine.max-body-size", maxBodySize, b::maxBodySize);
            PropertyCheck.apply("smartmq.engine.consumer-threads", consumerThreads, b::consumerThreads);
            PropertyCheck.apply("smartmq.engine.claim-batch-size", claimBatchSize, b::claimBatchSize);
            PropertyCheck.apply("smartmq.engine.poll-backoff-min", pollBackoffMin, b::pollBackoffMin);
            PropertyCheck.apply("smartmq.engine.poll-backoff-max", pollBackoffMax, b::pollBackoffMax);
            PropertyCheck.apply("smartmq.engine.normal-sweep-interval", normalSweepInterval, b::normalSweepInterval);
            PropertyCheck.apply("smartmq.engine.max-delivery-attempts", maxDeliveryAttempts, b::maxDeliveryAttempts);
            PropertyCheck.apply("smartmq.engine.retry-backoff-initial", retryBackoffInitial, b::retryBackoffInitial);
            PropertyCheck.apply("smartmq.engine.retry-backoff-max", retryBackoffMax, b::retryBackoffMax);
            PropertyCheck.apply("smartmq.engine.orphan-reap-interval", orphanReapInterval, b::orphanReapInterval);
            PropertyCheck.apply("smartmq.engine.drain-check-interval", drainCheckInterval, b::drainCheckInterval);
            PropertyCheck.apply("smartmq.engine.shutdown-timeout", shutdownTimeout, b::shutdownTimeout);
            PropertyCheck.apply("smartmq.engine.republish-topics", republishTopics, b::republishTopics);
            PropertyCheck.apply("smartmq.engine.abandoned-group-timeout", abandonedGroupTimeout, b::abandonedGroupTimeout);
            PropertyCheck.apply("smartmq.engine.delayed-drain-horizon", delayedDrainHorizon, b::delayedDrainHorizon);
            PropertyCheck.apply("smartmq.engine.brownout-window-size", brownoutWindowSize, b::brownoutWindowSize);
            PropertyCheck.apply("smartmq.engine.brownout-minimum-calls", brownoutMinimumCalls, b::brownoutMinimumCalls);
            PropertyCheck.apply("smartmq.engine.brownout-failure-rate-threshold", brownoutFailureRateThreshold, b::brownoutFailureRateThreshold);
            PropertyCheck.apply("smartmq.engine.brownout-slow-call-rate-threshold", brownoutSlowCallRateThreshold, b::brownoutSlowCallRateThreshold);
            PropertyCheck.apply("smartmq.engine.brownout-slow-call-duration", brownoutSlowCallDuration, b::brownoutSlowCallDuration);
            PropertyCheck.apply("smartmq.engine.ordered-shard-lease", orderedShardLease, b::orderedShardLease);
            return PropertyCheck.build("smartmq.engine", b::build);
        }
    }
}
