package dev.smartmq.testkit.rocketmq;

import dev.smartmq.testkit.FreePorts;
import dev.smartmq.testkit.ShutdownHooks;
import dev.smartmq.testkit.WorkDirs;
import dev.smartmq.testkit.proxy.FaultProxy;
import java.io.IOException;
import java.lang.reflect.Field;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.rocketmq.broker.BrokerController;
import org.apache.rocketmq.common.BrokerConfig;
import org.apache.rocketmq.common.MixAll;
import org.apache.rocketmq.common.ServiceThread;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.constant.PermName;
import org.apache.rocketmq.common.namesrv.NamesrvConfig;
import org.apache.rocketmq.namesrv.NamesrvController;
import org.apache.rocketmq.remoting.netty.NettyClientConfig;
import org.apache.rocketmq.remoting.netty.NettyServerConfig;
import org.apache.rocketmq.remoting.protocol.route.BrokerData;
import org.apache.rocketmq.remoting.protocol.route.QueueData;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;
import org.apache.rocketmq.store.DefaultMessageStore;
import org.apache.rocketmq.store.config.MessageStoreConfig;
import org.apache.rocketmq.store.rocksdb.MessageRocksDBStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache RocketMQ 5 name server and one or more brokers (one cluster, masters only), started inside
 * the test JVM from the RocketMQ jars: no Docker, no child process.
 *
 * <p>Over 400 lines because it is a test fixture whose public surface is the job: start/stop/restart of name server
 * and brokers, topic creation and routes, broker proxies, all with their guarantees documented; the per-broker state
 * and the builder are nested types of a few dozen lines.
 *
 * <pre>{@code
 * try (EmbeddedRocketMQ mq = EmbeddedRocketMQ.create()) {
 *     mq.start();
 *     mq.createTopic("orders", 4);
 *     producer.setNamesrvAddr(mq.nameServerAddress());
 *     ...
 *     mq.stop();          // the broker goes down; the name server stays up
 *     mq.startBroker();   // same port, same store: earlier messages are still there
 * }
 * }</pre>
 *
 * <p>What it guarantees:
 * <ul>
 *   <li>Every server listens on 127.0.0.1 on a port that was free at construction; a broker keeps its port
 *       (and its VIP port, {@code port - 2}) and its store across {@link #stopBroker()}/{@link #startBroker()},
 *       and the name server keeps its port across {@link #stopNameServer()}/{@link #startNameServer()}.
 *       The only exception is the broker's HA replication port, which RocketMQ binds on the wildcard
 *       address; it is an ephemeral port that no client uses.</li>
 *   <li>Store, configuration and RocketMQ's own log file live under a {@link WorkDirs} directory, never
 *       under {@code ~/store} or {@code ~/logs}. Mapped files are small (commit log
 *       {@value #DEFAULT_COMMIT_LOG_FILE_SIZE} bytes), so a broker starts in about a second.</li>
 *   <li>Methods that start something return once it is usable: {@link #startBroker()} once the name server
 *       lists the broker, {@link #createTopic} once the name server returns a route for the topic.
 *       {@link #stopBroker()} returns once the broker's shutdown finished and its ports are free, so starting
 *       it again at once on the same port and store works.</li>
 *   <li>With {@link Builder#withBrokerProxy()} every broker advertises (to the name server, hence to every
 *       client) the port of a {@link FaultProxy} in front of it instead of its own port; a test then breaks
 *       the network path with {@link #brokerProxy()} ({@code blackHole()}, {@code latency(..)}, ...).</li>
 *   <li>{@link #close()} stops everything and deletes the store; a JVM shutdown hook does the same if the
 *       test forgot, so no server outlives the JVM.</li>
 * </ul>
 *
 * <p>Thread-safe: lifecycle calls are serialised by the instance's lock (a test that races {@code stop}
 * against {@code start} gets whichever order the lock gives). The address getters never block.
 */
public final class EmbeddedRocketMQ implements AutoCloseable {

    /** Default of {@link Builder#clusterName(String)}. */
    public static final String DEFAULT_CLUSTER_NAME = "SmartMQTestCluster";
    /** Default size of one commit log file (RocketMQ's own default is 1 GiB). Must exceed the largest message. */
    public static final int DEFAULT_COMMIT_LOG_FILE_SIZE = 32 * 1024 * 1024;
    /** Default of {@link Builder#startupTimeout(Duration)}. */
    public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(60);
    /** Default of {@link Builder#brokers(int)}. */
    public static final int DEFAULT_BROKERS = 1;

    /** How long a send may wait in the broker (queue or page cache) before flow control refuses it. */
    static final long BUSY_TOLERANCE_MILLIS = 5_000;

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRocketMQ.class);
    private static final String HOST = "127.0.0.1";
    // A consume queue entry is 20 bytes; 30 000 entries per file instead of 300 000.
    private static final int CONSUME_QUEUE_FILE_SIZE = 20 * 30_000;
    private static final Duration POLL = Duration.ofMillis(100);

    private enum State { LATENT, STARTED, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final String clusterName;
    private final boolean autoCreateTopics;
    private final int commitLogFileSize;
    private final Duration startupTimeout;
    private final boolean proxied;
    private final Path workDir;
    private final int nameServerPort;
    private final List<BrokerNode> brokers;
    private final Thread shutdownHook;

    // Guarded by this.
    private NamesrvController nameServer;

    private EmbeddedRocketMQ(Builder b) {
        RocketMQLogging.ensureConfigured();
        this.clusterName = b.clusterName;
        this.autoCreateTopics = b.autoCreateTopics;
        this.commitLogFileSize = b.commitLogFileSize;
        this.startupTimeout = b.startupTimeout;
        this.proxied = b.proxied;
        this.workDir = WorkDirs.create("rocketmq");
        this.nameServerPort = FreePorts.find();
        List<BrokerNode> nodes = new ArrayList<>();
        for (int i = 0; i < b.brokers; i++) {
            // The broker also binds listenPort - 2 (its "VIP" channel).
            int listenPort = FreePorts.findWithCompanions(-2);
            int advertisedPort = proxied ? FreePorts.find() : listenPort;
            nodes.add(new BrokerNode(i, "smartmq-broker-" + i, listenPort, advertisedPort, FreePorts.find(),
                    workDir.resolve("broker-" + i)));
        }
        this.brokers = List.copyOf(nodes);
        this.shutdownHook = new Thread(this::closeFromHook, "smartmq-rocketmq-shutdown-hook");
    }

    /** An embedded RocketMQ with the defaults: one broker, no proxy. Not started yet. */
    public static EmbeddedRocketMQ create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the name server and every broker and waits until the name server lists them. Called once.
     *
     * @throws IllegalStateException if already started or closed, or a server did not come up in time
     */
    public synchronized void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("EmbeddedRocketMQ already " + state.get().name().toLowerCase());
        }
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            startNameServer();
            if (proxied) {
                for (BrokerNode node : brokers) {
                    node.proxy = FaultProxy.start(node.advertisedPort, HOST, node.listenPort);
                }
            }
            startBroker();
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
        LOG.info("RocketMQ started: name server {}, brokers {}, files under {}", nameServerAddress(),
                brokers.stream().map(n -> n.name + "@" + HOST + ":" + n.listenPort
                        + (proxied ? " (advertised " + n.advertisedPort + ")" : "")).toList(), workDir);
    }

    /** Stops every broker (the name server keeps running). Same as {@link #stopBroker()}. */
    public void stop() {
        stopBroker();
    }

    /** Starts every stopped broker on its port and store and waits until the name server lists it. */
    public synchronized void startBroker() {
        checkStarted();
        for (BrokerNode node : brokers) {
            startBroker(node);
        }
    }

    /** Starts broker {@code index} (0-based) if it is stopped. */
    public synchronized void startBroker(int index) {
        checkStarted();
        startBroker(node(index));
    }

    /**
     * Stops every broker and returns once their shutdown finished (store closed, lock file released, ports
     * free). The broker unregisters itself from the name server as it goes.
     */
    public synchronized void stopBroker() {
        checkStarted();
        for (BrokerNode node : brokers) {
            stopBroker(node);
        }
    }

    /** Stops broker {@code index} (0-based). */
    public synchronized void stopBroker(int index) {
        checkStarted();
        stopBroker(node(index));
    }

    /** {@link #stopBroker()} then {@link #startBroker()}: same ports, same store. */
    public synchronized void restartBroker() {
        stopBroker();
        startBroker();
    }

    /** Stops the name server (brokers keep running and keep trying to register). */
    public synchronized void stopNameServer() {
        checkStarted();
        if (nameServer == null) {
            return;
        }
        nameServer.shutdown();
        nameServer = null;
        awaitCondition("name server port " + nameServerPort + " to be released",
                () -> FreePorts.isFree(nameServerPort));
    }

    /**
     * Starts the name server on its port (a new, empty one, as after a real restart) and has every running
     * broker register with it at once, instead of at its next 30-second heartbeat.
     */
    public synchronized void startNameServer() {
        checkStarted();
        if (nameServer != null) {
            return;
        }
        NamesrvConfig config = new NamesrvConfig();
        Path dir = workDir.resolve("namesrv");
        config.setKvConfigPath(dir.resolve("kvConfig.json").toString());
        config.setConfigStorePath(dir.resolve("namesrv.properties").toString());
        NettyServerConfig server = new NettyServerConfig();
        server.setBindAddress(HOST);
        server.setListenPort(nameServerPort);
        NamesrvController controller = new NamesrvController(config, server, new NettyClientConfig());
        try {
            if (!controller.initialize()) {
                throw new IllegalStateException("name server failed to initialise on port " + nameServerPort);
            }
            controller.start();
        } catch (Exception e) {
            controller.shutdown();
            throw new IllegalStateException("name server failed to start on port " + nameServerPort, e);
        }
        nameServer = controller;
        for (BrokerNode node : brokers) {
            if (node.controller != null) {
                awaitRegistered(node);
            }
        }
    }

    /** Whether the name server is running. */
    public synchronized boolean isNameServerRunning() {
        return nameServer != null;
    }

    /** Whether broker {@code index} is running. */
    public synchronized boolean isBrokerRunning(int index) {
        return node(index).controller != null;
    }

    /**
     * Creates (or updates) {@code topic} with {@code queues} read and write queues on every running broker,
     * and returns once the name server returns a route for it that names every running broker.
     *
     * @throws IllegalStateException if no broker or no name server is running
     */
    public synchronized void createTopic(String topic, int queues) {
        checkStarted();
        if (queues < 1) {
            throw new IllegalArgumentException("queues must be at least 1, but was " + queues);
        }
        List<BrokerNode> running = runningBrokersFor("create topic " + topic);
        for (BrokerNode node : running) {
            TopicConfig config = new TopicConfig(topic, queues, queues, PermName.PERM_READ | PermName.PERM_WRITE);
            node.controller.getTopicConfigManager().updateTopicConfig(config);
            node.controller.registerBrokerAll(true, false, true);
        }
        awaitCondition("route of topic " + topic, () -> {
            TopicRouteData route = nameServer.getRouteInfoManager().pickupTopicRouteData(topic);
            if (route == null) {
                return false;
            }
            for (BrokerNode node : running) {
                boolean listed = route.getQueueDatas().stream()
                        .anyMatch(q -> q.getBrokerName().equals(node.name) && q.getWriteQueueNums() == queues
                                && q.getReadQueueNums() == queues);
                if (!listed) {
                    return false;
                }
            }
            return true;
        });
    }

    /**
     * Makes {@code topic} writable again or read-only on every running broker (as {@code mqadmin updateTopicPerm -p 6}
     * or {@code -p 4} does), and returns once the name server's route shows the permission on every running broker.
     *
     * @throws IllegalStateException if no broker or no name server is running, or the topic is unknown to a broker
     */
    public synchronized void setTopicWritable(String topic, boolean writable) {
        checkStarted();
        List<BrokerNode> running = runningBrokersFor("change topic " + topic);
        int perm = writable ? PermName.PERM_READ | PermName.PERM_WRITE : PermName.PERM_READ;
        for (BrokerNode node : running) {
            TopicConfig config = node.controller.getTopicConfigManager().selectTopicConfig(topic);
            if (config == null) {
                throw new IllegalStateException("broker " + node.name + " has no topic " + topic);
            }
            TopicConfig changed = new TopicConfig(config);
            changed.setPerm(perm);
            node.controller.getTopicConfigManager().updateTopicConfig(changed);
            node.controller.registerBrokerAll(true, false, true);
        }
        awaitCondition("permission " + perm + " of topic " + topic, () -> {
            TopicRouteData route = nameServer.getRouteInfoManager().pickupTopicRouteData(topic);
            return route != null && running.stream().allMatch(node -> route.getQueueDatas().stream()
                    .anyMatch(q -> q.getBrokerName().equals(node.name) && q.getPerm() == perm));
        });
    }

    /** The running brokers, for a topic change that needs them and the name server ({@code what} names it). */
    private List<BrokerNode> runningBrokersFor(String what) {
        if (nameServer == null) {
            throw new IllegalStateException("cannot " + what + ": the name server is stopped");
        }
        List<BrokerNode> running = brokers.stream().filter(n -> n.controller != null).toList();
        if (running.isEmpty()) {
            throw new IllegalStateException("cannot " + what + ": no broker is running");
        }
        return running;
    }

    /** Queue names of {@code topic} as the name server routes it now: {@code brokerName -> queue count}. */
    public synchronized Map<String, Integer> topicRoute(String topic) {
        checkStarted();
        if (nameServer == null) {
            return Map.of();
        }
        TopicRouteData route = nameServer.getRouteInfoManager().pickupTopicRouteData(topic);
        if (route == null) {
            return Map.of();
        }
        return route.getQueueDatas().stream()
                .collect(java.util.stream.Collectors.toMap(QueueData::getBrokerName, QueueData::getWriteQueueNums));
    }

    /** {@code 127.0.0.1:port} of the name server (the same across restarts). */
    public String nameServerAddress() {
        return HOST + ":" + nameServerPort;
    }

    /**
     * The address broker 0 advertises to clients: its own {@code 127.0.0.1:port}, or the proxy's when built
     * {@link Builder#withBrokerProxy()}.
     */
    public String brokerAddress() {
        return brokerAddress(0);
    }

    /** The address broker {@code index} advertises to clients. */
    public String brokerAddress(int index) {
        return HOST + ":" + node(index).advertisedPort;
    }

    /** The address broker {@code index} really listens on (differs from the advertised one behind a proxy). */
    public String brokerListenAddress(int index) {
        return HOST + ":" + node(index).listenPort;
    }

    /** Name of broker {@code index} in the cluster. */
    public String brokerName(int index) {
        return node(index).name;
    }

    /** Number of brokers. */
    public int brokerCount() {
        return brokers.size();
    }

    public String clusterName() {
        return clusterName;
    }

    /**
     * The proxy in front of broker 0.
     *
     * @throws IllegalStateException if not built {@link Builder#withBrokerProxy()} or not started
     */
    public FaultProxy brokerProxy() {
        return brokerProxy(0);
    }

    /** The proxy in front of broker {@code index}. */
    public FaultProxy brokerProxy(int index) {
        FaultProxy proxy = node(index).proxy;
        if (proxy == null) {
            throw new IllegalStateException(proxied
                    ? "EmbeddedRocketMQ not started yet" : "EmbeddedRocketMQ was not built withBrokerProxy()");
        }
        return proxy;
    }

    /** Directory holding the store, configuration and RocketMQ's log file of this instance. */
    public Path workDirectory() {
        return workDir;
    }

    /** Stops every server, closes the proxies and deletes the store. Idempotent. */
    @Override
    public void close() {
        State previous = state.getAndSet(State.CLOSED);
        if (previous == State.CLOSED) {
            return;
        }
        shutdownAll();
        if (previous == State.STARTED) {
            ShutdownHooks.remove(shutdownHook);
        }
        deleteRecursively(workDir);
    }

    @Override
    public String toString() {
        return "EmbeddedRocketMQ{nameServer=" + nameServerAddress() + ", brokers="
                + brokers.stream().map(n -> n.name + "@" + HOST + ":" + n.advertisedPort).toList()
                + ", state=" + state.get() + "}";
    }

    private void closeFromHook() {
        if (state.getAndSet(State.CLOSED) != State.CLOSED) {
            shutdownAll();
        }
    }

    private synchronized void shutdownAll() {
        for (BrokerNode node : brokers) {
            try {
                stopBroker(node);
            } catch (RuntimeException e) {
                LOG.warn("broker {} did not stop cleanly", node.name, e);
            }
            if (node.proxy != null) {
                node.proxy.close();
                node.proxy = null;
            }
        }
        if (nameServer != null) {
            nameServer.shutdown();
            nameServer = null;
        }
    }

    private void startBroker(BrokerNode node) {
        if (node.controller != null) {
            return;
        }
        awaitCondition("ports of broker " + node.name + " to be free",
                () -> FreePorts.isFree(node.listenPort) && FreePorts.isFree(node.listenPort - 2)
                        && FreePorts.isFree(node.haPort));
        BrokerController controller = newBrokerController(node);
        try {
            if (!controller.initialize()) {
                throw new IllegalStateException("broker " + node.name + " failed to initialise (store "
                        + node.storeDir + ")");
            }
            controller.start();
            stopTransactionMetricsFlush(controller);
        } catch (Exception e) {
            controller.shutdown();
            throw new IllegalStateException("broker " + node.name + " failed to start on port " + node.listenPort, e);
        }
        node.controller = controller;
        if (nameServer != null) {
            awaitRegistered(node);
        }
    }

    private void stopBroker(BrokerNode node) {
        BrokerController controller = node.controller;
        if (controller == null) {
            return;
        }
        node.controller = null;
        stopRocksDBScheduler(controller);
        // Synchronous: returns after the message store is shut down and its lock file released. Netty frees the
        // ports a moment later (its event loops shut down gracefully), so wait for them too.
        controller.shutdown();
        awaitCondition("ports of broker " + node.name + " to be released",
                () -> FreePorts.isFree(node.listenPort) && FreePorts.isFree(node.listenPort - 2)
                        && FreePorts.isFree(node.haPort));
    }

    /**
     * Works around a busy wait of RocketMQ 5.5.0: the broker's {@code TransactionMetricsFlushService} only sleeps
     * after a flush of the transaction metrics, so until its first flush ({@code transactionMetricFlushInterval},
     * 10 s) it spins on {@code System.currentTimeMillis()}: most of a core for the first 10 s after every broker
     * start, which on a 2-core machine slows everything a test runs beside it (measured: 8.5 s of CPU in the first
     * 20 s of a bench broker). Test brokers do not need those metrics on disk, so the service is stopped once the
     * broker runs (transactional messages themselves do not use it). Best effort, as {@link #stopRocksDBScheduler}.
     */
    static void stopTransactionMetricsFlush(BrokerController controller) {
        try {
            Field field = BrokerController.class.getDeclaredField("transactionMetricsFlushService");
            field.setAccessible(true);
            if (field.get(controller) instanceof ServiceThread service) {
                service.shutdown();
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("could not stop the broker's TransactionMetricsFlushService; it busy-waits until its first flush", e);
        }
    }

    /**
     * Works around a thread leak of RocketMQ 5.5.0: every broker store opens a {@code MessageRocksDBStorage}
     * whose private {@code Executors.newScheduledThreadPool(1)} (a non-daemon {@code pool-N-thread-1}) is never
     * shut down, so each broker start would leave one non-daemon thread behind, enough to keep a JVM alive.
     * Best effort: if a later RocketMQ renames the field, we log and move on.
     */
    private static void stopRocksDBScheduler(BrokerController controller) {
        if (!(controller.getMessageStore() instanceof DefaultMessageStore store)
                || store.getMessageRocksDBStorage() == null) {
            return;
        }
        try {
            Field field = MessageRocksDBStorage.class.getDeclaredField("scheduler");
            field.setAccessible(true);
            if (field.get(store.getMessageRocksDBStorage()) instanceof ExecutorService scheduler) {
                scheduler.shutdownNow();
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("could not stop the RocksDB scheduler of the broker store; a non-daemon thread may remain", e);
        }
    }

    /**
     * The broker settings of every test broker, in this JVM or in its own ({@link BrokerMain}): one place, so an
     * embedded and a forked broker behave alike.
     */
    static BrokerConfig testBrokerConfig(String cluster, String name, int listenPort, String nameServer,
                                         boolean autoCreate, Path home) {
        BrokerConfig broker = new BrokerConfig();
        broker.setBrokerClusterName(cluster);
        broker.setBrokerName(name);
        broker.setBrokerId(MixAll.MASTER_ID);
        broker.setBrokerIP1(HOST);
        broker.setBrokerIP2(HOST);
        broker.setListenPort(listenPort);
        broker.setNamesrvAddr(nameServer);
        broker.setFetchNamesrvAddrByAddressServer(false);
        broker.setAutoCreateTopicEnable(autoCreate);
        broker.setAutoCreateSubscriptionGroup(true);
        broker.setRocketmqHome(home.toString());
        // Small pools: a test broker serves a handful of clients on a shared 2-core machine.
        // RocketMQ's flow control assumes a dedicated machine: a send that waits 200 ms in the broker's queue
        // (or a page-cache write slower than 1 s) is refused as "broker busy". A test broker shares two cores
        // with the test JVM, the clients and often a whole build; under that load the defaults turned ordinary
        // sends into TIMEOUT_CLEAN_QUEUE refusals. Tests that want "broker busy" cause it on purpose.
        broker.setWaitTimeMillsInSendQueue(BUSY_TOLERANCE_MILLIS);
        broker.setSendMessageThreadPoolNums(2);
        broker.setPullMessageThreadPoolNums(4);
        broker.setLitePullMessageThreadPoolNums(2);
        broker.setAckMessageThreadPoolNums(2);
        broker.setQueryMessageThreadPoolNums(2);
        broker.setAdminBrokerThreadPoolNums(2);
        broker.setClientManageThreadPoolNums(2);
        broker.setConsumerManageThreadPoolNums(2);
        broker.setHeartbeatThreadPoolNums(2);
        broker.setProcessReplyMessageThreadPoolNums(2);
        return broker;
    }

    /** The store settings of every test broker (small files; see {@link #testBrokerConfig}). */
    /**
     * {@code haPort}: the store's HA listener (never used: masters only) — a port reserved for this broker, the
     * same on every start. With 0 the OS picked an ephemeral port at each start, which could be another, dead
     * broker's fixed port: that broker could then never start again (found by the chaos campaign; BrokerPortsIT).
     */
    static MessageStoreConfig testStoreConfig(Path store, int commitLogFileSize, int haPort) {
        MessageStoreConfig storeConfig = new MessageStoreConfig();
        storeConfig.setStorePathRootDir(store.toString());
        storeConfig.setStorePathCommitLog(store.resolve("commitlog").toString());
        storeConfig.setStorePathDLedgerCommitLog(store.resolve("dledger-commitlog").toString());
        storeConfig.setStorePathEpochFile(store.resolve("epochFileCheckpoint").toString());
        storeConfig.setStorePathBrokerIdentity(store.resolve("brokerIdentity").toString());
        storeConfig.setMappedFileSizeCommitLog(commitLogFileSize);
        storeConfig.setOsPageCacheBusyTimeOutMills(BUSY_TOLERANCE_MILLIS);
        storeConfig.setMappedFileSizeConsumeQueue(CONSUME_QUEUE_FILE_SIZE);
        storeConfig.setMaxIndexNum(10_000);
        storeConfig.setMaxHashSlotNum(40_000);
        // The timer wheel preallocates a large log; delay levels (used by consumer retries) still work without it.
        storeConfig.setTimerWheelEnable(false);
        storeConfig.setHaListenPort(haPort);
        return storeConfig;
    }

    private BrokerController newBrokerController(BrokerNode node) {
        BrokerConfig broker = testBrokerConfig(clusterName, node.name, node.listenPort, nameServerAddress(),
                autoCreateTopics, workDir);
        MessageStoreConfig storeConfig = testStoreConfig(node.storeDir, commitLogFileSize, node.haPort);

        NettyServerConfig server = new NettyServerConfig();
        server.setBindAddress(HOST);
        server.setListenPort(node.listenPort);
        NettyClientConfig client = new NettyClientConfig();

        if (node.advertisedPort == node.listenPort) {
            return new BrokerController(broker, server, client, storeConfig);
        }
        return new AdvertisingBrokerController(broker, server, client, storeConfig, HOST + ":" + node.advertisedPort);
    }

    private void awaitRegistered(BrokerNode node) {
        String expected = HOST + ":" + node.advertisedPort;
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        while (true) {
            // Force a registration now: the broker's own heartbeat runs only every 30 seconds.
            node.controller.registerBrokerAll(true, false, true);
            BrokerData data = nameServer.getRouteInfoManager().getAllClusterInfo().getBrokerAddrTable().get(node.name);
            if (data != null && expected.equals(data.getBrokerAddrs().get(MixAll.MASTER_ID))) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("broker " + node.name + " did not register " + expected
                        + " with the name server within " + startupTimeout);
            }
            sleep(POLL);
        }
    }

    private void awaitCondition(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + startupTimeout + " waiting for " + what);
            }
            sleep(POLL);
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private void checkStarted() {
        State s = state.get();
        if (s != State.STARTED) {
            throw new IllegalStateException("EmbeddedRocketMQ is " + s.name().toLowerCase() + ", not started");
        }
    }

    private BrokerNode node(int index) {
        if (index < 0 || index >= brokers.size()) {
            throw new IndexOutOfBoundsException("broker index " + index + " out of 0.." + (brokers.size() - 1));
        }
        return brokers.get(index);
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("could not delete {} completely", dir, e);
        }
    }

    /** One broker: fixed ports and store for the life of the fixture; a new controller per start. */
    private static final class BrokerNode {
        final int index;
        final String name;
        final int listenPort;
        final int advertisedPort;
        final int haPort;
        final Path storeDir;
        volatile BrokerController controller;
        volatile FaultProxy proxy;

        BrokerNode(int index, String name, int listenPort, int advertisedPort, int haPort, Path storeDir) {
            this.index = index;
            this.name = name;
            this.listenPort = listenPort;
            this.advertisedPort = advertisedPort;
            this.haPort = haPort;
            this.storeDir = storeDir;
        }
    }

    /**
     * A broker that tells the name server (hence every client) an address other than the one it listens on.
     * RocketMQ computes the registered address in {@link BrokerController#getBrokerAddr()} from
     * {@code brokerIP1} and the {@code NettyServerConfig} listen port, the same port it binds, and every
     * register/unregister call goes through that method; so overriding it is the one place to make clients
     * connect through a proxy while the broker binds its own port.
     */
    private static final class AdvertisingBrokerController extends BrokerController {
        private final String advertisedAddress;

        AdvertisingBrokerController(BrokerConfig broker, NettyServerConfig server, NettyClientConfig client,
                                    MessageStoreConfig store, String advertisedAddress) {
            super(broker, server, client, store);
            this.advertisedAddress = advertisedAddress;
        }

        @Override
        public String getBrokerAddr() {
            return advertisedAddress;
        }
    }

    /** Builds an {@link EmbeddedRocketMQ}; every setter validates its value. */
    public static final class Builder {
        private String clusterName = DEFAULT_CLUSTER_NAME;
        private int brokers = DEFAULT_BROKERS;
        private boolean autoCreateTopics = true;
        private int commitLogFileSize = DEFAULT_COMMIT_LOG_FILE_SIZE;
        private Duration startupTimeout = DEFAULT_STARTUP_TIMEOUT;
        private boolean proxied;

        private Builder() {
        }

        public Builder clusterName(String clusterName) {
            if (clusterName == null || !clusterName.matches("[A-Za-z0-9_-]{1,64}")) {
                throw new IllegalArgumentException("clusterName must be 1-64 characters of [A-Za-z0-9_-], but was "
                        + clusterName);
            }
            this.clusterName = clusterName;
            return this;
        }

        /** Number of master brokers in the cluster (1-4). */
        public Builder brokers(int brokers) {
            if (brokers < 1 || brokers > 4) {
                throw new IllegalArgumentException("brokers must be between 1 and 4, but was " + brokers);
            }
            this.brokers = brokers;
            return this;
        }

        /**
         * Whether brokers create unknown topics on first send (RocketMQ's {@code autoCreateTopicEnable}); on by
         * default for convenience. Off, a send to a topic not made with {@link #createTopic} finds no route.
         */
        public Builder autoCreateTopics(boolean autoCreateTopics) {
            this.autoCreateTopics = autoCreateTopics;
            return this;
        }

        /** Size of one commit log file, 8-1024 MiB. */
        public Builder commitLogFileSize(int bytes) {
            if (bytes < 8 * 1024 * 1024 || bytes > 1024 * 1024 * 1024) {
                throw new IllegalArgumentException("commitLogFileSize must be 8 MiB-1 GiB, but was " + bytes);
            }
            this.commitLogFileSize = bytes;
            return this;
        }

        /** How long start/stop/createTopic wait for the servers before failing. */
        public Builder startupTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("startupTimeout must be positive, but was " + timeout);
            }
            this.startupTimeout = timeout;
            return this;
        }

        /**
         * Puts a {@link FaultProxy} in front of every broker and has the broker advertise the proxy's port, so
         * every client reaches the broker only through the proxy (see {@link EmbeddedRocketMQ#brokerProxy()}).
         * The brokers' own connections to the name server do not go through it.
         */
        public Builder withBrokerProxy() {
            this.proxied = true;
            return this;
        }

        public EmbeddedRocketMQ build() {
            return new EmbeddedRocketMQ(this);
        }
    }
}
