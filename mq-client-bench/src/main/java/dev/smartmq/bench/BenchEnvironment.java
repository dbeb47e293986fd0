package dev.smartmq.bench;

import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.rocketmq.RocketMQTransport;
import dev.smartmq.spi.SwitchTransition;
import dev.smartmq.spi.TransitionResult;
import dev.smartmq.testkit.redis.RedisServer;
import dev.smartmq.testkit.rocketmq.EmbeddedRocketMQ;
import dev.smartmq.testkit.zookeeper.ZooKeeperServer;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import redis.clients.jedis.Jedis;

/**
 * The servers of one benchmark run — an embedded RocketMQ name server + broker (in this JVM), a ZooKeeper
 * {@code TestingServer} (in this JVM) and a {@code redis-server} child process — started on first use, and
 * factories for the clients the scenarios compare. Clients are closed after each scenario
 * ({@link #closeClients()}), servers by {@link #close()}, newest first; the testkit's shutdown hooks kill what
 * a crash leaves behind.
 */
final class BenchEnvironment implements AutoCloseable {

    /** Topic every throughput scenario sends to (created with {@link #TOPIC_QUEUES} queues). */
    static final String TOPIC = "bench_topic";
    static final int TOPIC_QUEUES = 8;
    /** RocketMQ's own default send budget, used by both sides. */
    static final Duration SEND_TIMEOUT = Duration.ofSeconds(3);

    /** Servers: live for the whole run. */
    private final Deque<AutoCloseable> servers = new ArrayDeque<>();
    /** Clients of the current scenario: closed when it ends, so an idle measurement sees nobody else. */
    private final Deque<AutoCloseable> closeables = new ArrayDeque<>();
    private final CpuMeter cpu = new CpuMeter(this::redisPid);
    private EmbeddedRocketMQ rocketMQ;
    private ZooKeeperServer zooKeeper;
    private RedisServer redis;
    private RedisServer redisReplica;

    /** Where the CPU of a round went (this JVM, redis-server, child tools, the machine). */
    CpuMeter cpu() {
        return cpu;
    }

    private synchronized long redisPid() {
        return redis != null && redis.isAlive() ? redis.pid() : -1;
    }

    synchronized EmbeddedRocketMQ rocketMQ() {
        if (rocketMQ == null) {
            long t0 = System.nanoTime();
            EmbeddedRocketMQ mq = EmbeddedRocketMQ.create();
            mq.start();
            servers.push(mq);
            mq.createTopic(TOPIC, TOPIC_QUEUES);
            rocketMQ = mq;
            System.out.printf("  [env] RocketMQ name server %s, broker %s (%d ms)%n", mq.nameServerAddress(),
                    mq.brokerAddress(), ms(t0));
        }
        return rocketMQ;
    }

    synchronized ZooKeeperServer zooKeeper() {
        if (zooKeeper == null) {
            long t0 = System.nanoTime();
            zooKeeper = ZooKeeperServer.start();
            servers.push(zooKeeper);
            System.out.printf("  [env] ZooKeeper %s (%d ms)%n", zooKeeper.connectString(), ms(t0));
        }
        return zooKeeper;
    }

    synchronized RedisServer redis() {
        if (redis == null) {
            long t0 = System.nanoTime();
            redis = RedisServer.start();
            servers.push(redis);
            System.out.printf("  [env] redis-server pid %d on %s (%d ms)%n", redis.pid(), redis.hostAndPort(), ms(t0));
        }
        return redis;
    }

    /**
     * A started SmartMQ on the real adapters: {@link RocketMQTransport} (own producer group and instance),
     * {@link RedisFallbackStore} and {@link ZkDegradationSwitch}, all with their defaults, in {@code namespace}.
     */
    SmartClient smartMQ(String namespace, SmartMQConfig.Builder config) {
        return smartMQ(namespace, config, b -> b);
    }

    /** Same as {@link #smartMQ(String, SmartMQConfig.Builder)}, with the store's builder adjusted by {@code store}. */
    SmartClient smartMQ(String namespace, SmartMQConfig.Builder config,
                        java.util.function.UnaryOperator<RedisFallbackStore.Builder> storeOptions) {
        RocketMQTransport transport = RocketMQTransport.builder()
                .nameServer(rocketMQ().nameServerAddress())
                .producerGroup("bench-smart-" + namespace)
                .build();
        RedisFallbackStore store = storeOptions.apply(RedisFallbackStore.builder()
                .standalone(redis().host(), redis().port())
                .namespace(namespace))
                .build();
        ZkDegradationSwitch sw = ZkDegradationSwitch.builder()
                .connectString(zooKeeper().connectString())
                .namespace(namespace)
                .build();
        SmartMQ.Builder builder = SmartMQ.builder()
                .config(config.namespace(namespace).build())
                .transport(transport)
                .fallbackStore(store)
                .degradationSwitch(sw);
        if (Boolean.getBoolean("bench.directCompletions")) {
            builder.completionExecutor(Runnable::run);
        }
        SmartMQ mq = builder.build();
        closeables.push(mq);
        return new SmartClient(mq, sw);
    }

    /** A SmartMQ with its switch, so a scenario can read the group registry the producer routes by. */
    record SmartClient(SmartMQ mq, ZkDegradationSwitch degradationSwitch) {
    }

    /** A second switch client of {@code namespace}: the operator who forces states and registers groups. */
    ZkDegradationSwitch operator(String namespace) {
        ZkDegradationSwitch sw = ZkDegradationSwitch.builder()
                .connectString(zooKeeper().connectString())
                .namespace(namespace)
                .instanceId("bench-operator-" + namespace)
                .build();
        sw.start();
        closeables.push(sw);
        return sw;
    }

    /** A separate fallback store client (for preloading a backlog), closed with the environment. */
    RedisFallbackStore store(String namespace) {
        RedisFallbackStore store = RedisFallbackStore.builder()
                .standalone(redis().host(), redis().port())
                .namespace(namespace)
                .build();
        store.start();
        closeables.push(store);
        return store;
    }

    /**
     * A raw RocketMQ producer set up like {@link RocketMQTransport} sets up its own: same name server, VIP
     * channel off, send timeout 3 s, 2 retries (sync and async), latency fault tolerance on, name server call
     * timeout 1 s, its own instance name (so it shares no {@code MQClientInstance} with anybody).
     */
    DefaultMQProducer rawProducer(String label) throws MQClientException {
        DefaultMQProducer p = new DefaultMQProducer("bench-raw-" + label);
        p.setNamesrvAddr(rocketMQ().nameServerAddress());
        p.setInstanceName("bench-raw-" + label + "-" + UUID.randomUUID().toString().substring(0, 8));
        p.setVipChannelEnabled(false);
        p.setSendMsgTimeout((int) SEND_TIMEOUT.toMillis());
        p.setRetryTimesWhenSendFailed(RocketMQTransport.DEFAULT_RETRIES_WHEN_SEND_FAILED);
        p.setRetryTimesWhenSendAsyncFailed(RocketMQTransport.DEFAULT_RETRIES_WHEN_SEND_FAILED);
        p.setSendLatencyFaultEnable(true);
        p.setMqClientApiTimeout((int) RocketMQTransport.DEFAULT_NAME_SERVER_TIMEOUT.toMillis());
        p.setMaxMessageSize(RocketMQTransport.DEFAULT_MAX_BODY_SIZE);
        p.start();
        closeables.push(p::shutdown);
        return p;
    }

    /** Registers a closeable to be closed with the environment (before what was registered earlier). */
    <T extends AutoCloseable> T own(T closeable) {
        closeables.push(closeable);
        return closeable;
    }

    /** Forces the switch of the operator's namespace into {@code state} (MANUAL for an hour, or AUTO). */
    static void force(ZkDegradationSwitch operator, SwitchState state, SwitchMode mode) {
        for (int attempt = 0; attempt < 10; attempt++) {
            SwitchStatus now = operator.current();
            if (now.state() == state && now.mode() == mode) {
                return;
            }
            Instant expires = mode == SwitchMode.MANUAL ? Instant.now().plus(Duration.ofHours(1)) : null;
            TransitionResult r = operator.transition(new SwitchTransition(now.epoch(), state, mode,
                    "benchmark", "bench-operator", expires));
            if (r.applied()) {
                return;
            }
        }
        throw new IllegalStateException("could not force the switch to " + state + " " + mode);
    }

    /** Waits until {@code condition} holds, polling every 5 ms. */
    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("timed out after " + timeout + " waiting for " + what);
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
    }

    /**
     * A replica of {@link #redis()} ({@code replicaof}), started on first use; returns once its link is up.
     */
    synchronized RedisServer redisReplica() throws InterruptedException {
        if (redisReplica == null) {
            long t0 = System.nanoTime();
            RedisServer master = redis();
            redisReplica = RedisServer.builder().config("replicaof", RedisServer.HOST + " " + master.port()).start();
            servers.push(redisReplica);
            await("the Redis replica to be in sync", Duration.ofSeconds(60), () -> {
                try (Jedis j = redisReplica.newClient()) {
                    return j.info("replication").contains("master_link_status:up");
                }
            });
            System.out.printf("  [env] redis-server replica pid %d on %s (%d ms)%n", redisReplica.pid(),
                    redisReplica.hostAndPort(), ms(t0));
        }
        return redisReplica;
    }

    /** Empties Redis (between rounds, untimed), so every round starts with the same memory and AOF state. */
    void flushRedis() {
        try (Jedis j = redis().newClient()) {
            j.flushDB();
        }
    }

    /** Closes every client the current scenario created (newest first); the servers keep running. */
    synchronized void closeClients() {
        closeAll(closeables);
    }

    @Override
    public synchronized void close() {
        closeAll(closeables);
        closeAll(servers);
        rocketMQ = null;
        zooKeeper = null;
        redis = null;
        redisReplica = null;
    }

    private static void closeAll(Deque<AutoCloseable> deque) {
        while (!deque.isEmpty()) {
            AutoCloseable c = deque.pop();
            try {
                c.close();
            } catch (Exception e) {
                System.out.println("  [env] closing " + c + " failed: " + e);
            }
        }
    }

    static long ms(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }
}
