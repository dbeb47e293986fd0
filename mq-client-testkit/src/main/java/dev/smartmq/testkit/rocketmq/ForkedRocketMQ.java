package dev.smartmq.testkit.rocketmq;

import dev.smartmq.testkit.FreePorts;
import dev.smartmq.testkit.WorkDirs;
import dev.smartmq.testkit.process.JvmProcess;
import dev.smartmq.testkit.proxy.FaultProxy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.impl.MQClientAPIImpl;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.MQVersion;
import org.apache.rocketmq.common.MixAll;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.constant.PermName;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.body.ClusterInfo;
import org.apache.rocketmq.remoting.protocol.route.BrokerData;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real RocketMQ 5 name server and master brokers, <b>each in its own JVM</b> ({@link NameServerMain},
 * {@link BrokerMain} run by {@link JvmProcess}), so that a test can {@code kill -9}, {@code SIGSTOP} and restart
 * them for real. Ports and store directories are fixed at construction and kept across every restart; with
 * {@link Builder#withBrokerProxy()} each broker advertises a {@link FaultProxy}'s port (which lives in this JVM),
 * so every client reaches it only through the proxy.
 *
 * <p>Over 400 lines because it is a test fixture whose public surface is the job: lifecycle and faults (kill -9,
 * SIGSTOP/SIGCONT, restart, proxy) of every forked name server and broker, topic admin, and the system properties
 * the children need; the processes themselves are {@link JvmProcess}.
 *
 * <pre>{@code
 * try (ForkedRocketMQ mq = ForkedRocketMQ.builder().brokers(2).withBrokerProxy().build()) {
 *     mq.start();
 *     mq.createTopic("orders", 4);
 *     mq.killBroker(0);            // kill -9
 *     mq.startBroker(0);           // same port, same store; returns once the name server lists it again
 *     mq.pauseBroker(1); mq.resumeBroker(1);   // SIGSTOP / SIGCONT
 *     mq.brokerProxy(1).blackHole();
 * }
 * }</pre>
 *
 * <p>Each child JVM gets the system properties RocketMQ reads at class initialisation that the in-JVM
 * {@link EmbeddedRocketMQ} sets for its own JVM (the remoting protocol version, RocketMQ's log files under the
 * work directory, {@code user.home} moved there so RocksDB does not log into the real home). Client processes that
 * talk to these servers should get {@link #clientSystemProperties(Path)}. Children never outlive this JVM (see
 * {@link dev.smartmq.testkit.process.ParentLink}).
 *
 * <p>Thread-safe: lifecycle and fault calls are serialised on the instance. Admin calls (topic creation,
 * registration checks) go directly to the servers, never through the proxies.
 */
public final class ForkedRocketMQ implements AutoCloseable {

    /** Default of {@link Builder#heap(String)}. */
    public static final String DEFAULT_HEAP = "256m";
    /** Default of {@link Builder#startupTimeout(Duration)}. */
    public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(90);

    private static final Logger LOG = LoggerFactory.getLogger(ForkedRocketMQ.class);
    private static final String HOST = "127.0.0.1";
    private static final Duration STOP_GRACE = Duration.ofSeconds(30);

    private final Path workDir;
    private final Duration startupTimeout;
    private final int nameServerPort;
    private final JvmProcess nameServer;
    private final List<Node> brokers;
    private final boolean proxied;
    private DefaultMQProducer admin;
    private boolean started;
    private boolean closed;

    private ForkedRocketMQ(Builder b) {
        this.workDir = WorkDirs.create("forked-rocketmq");
        this.startupTimeout = b.startupTimeout;
        this.proxied = b.proxied;
        this.nameServerPort = FreePorts.find();
        Map<String, String> common = serverSystemProperties(workDir);
        this.nameServer = JvmProcess.builder(NameServerMain.class.getName())
                .name("rocketmq-namesrv").heap(b.heap).jvmArgs(b.jvmArgs).systemProperties(common)
                .systemProperty(NameServerMain.PORT, Integer.toString(nameServerPort))
                .systemProperty(NameServerMain.DIR, workDir.resolve("namesrv").toString())
                .logFile(workDir.resolve("namesrv.log")).build();
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < b.brokers; i++) {
            int listenPort = FreePorts.findWithCompanions(-2);
            int advertisedPort = proxied ? FreePorts.find() : listenPort;
            int haPort = FreePorts.find(); // reserved too: an ephemeral one could take a dead broker's port
            String name = "smartmq-broker-" + i;
            JvmProcess p = JvmProcess.builder(BrokerMain.class.getName())
                    .name("rocketmq-" + name).heap(b.heap).jvmArgs(b.jvmArgs).systemProperties(common)
                    .systemProperty(BrokerMain.NAME, name)
                    .systemProperty(BrokerMain.CLUSTER, EmbeddedRocketMQ.DEFAULT_CLUSTER_NAME)
                    .systemProperty(BrokerMain.PORT, Integer.toString(listenPort))
                    .systemProperty(BrokerMain.ADVERTISED_PORT, Integer.toString(advertisedPort))
                    .systemProperty(BrokerMain.NAMESRV, nameServerAddress())
                    .systemProperty(BrokerMain.STORE, workDir.resolve(name).toString())
                    .systemProperty(BrokerMain.HA_PORT, Integer.toString(haPort))
                    .systemProperty(BrokerMain.AUTO_CREATE, Boolean.toString(b.autoCreateTopics))
                    .logFile(workDir.resolve(name + ".log")).build();
            nodes.add(new Node(name, listenPort, advertisedPort, haPort, p));
        }
        this.brokers = List.copyOf(nodes);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * System properties a SmartMQ / RocketMQ <em>client</em> JVM should get to talk to these servers like the
     * testkit's own JVMs do: the remoting protocol version (RocketMQ reads it once, from a system property; the
     * in-JVM fixtures set it for their JVM), RocketMQ's log files under {@code logDir} (never under the real
     * {@code ~/logs}), and {@code user.home} moved there.
     */
    public static Map<String, String> clientSystemProperties(Path logDir) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(RemotingCommand.REMOTING_VERSION_KEY, Integer.toString(MQVersion.CURRENT_VERSION));
        m.put("rocketmq.log.root", logDir.toString());
        m.put("rocketmq.client.logRoot", logDir.toString());
        // With rocketmq-broker on the classpath (as in any testkit user's), RocketMQ's shaded logback would pick
        // rmq.broker.logback.xml and write under ${user.home}/logs/rocketmqlogs: point it at ours, and move user.home.
        m.put("rmq.logback.configurationFile", RocketMQLogging.CONFIG_RESOURCE);
        m.put(RocketMQLogging.LOG_DIR_PROPERTY, logDir.toString());
        m.put("user.home", logDir.resolve("home").toString());
        return m;
    }

    private static Map<String, String> serverSystemProperties(Path workDir) {
        Map<String, String> m = new LinkedHashMap<>(clientSystemProperties(workDir.resolve("logs")));
        // RocketMQLogging in the child puts RocketMQ's logs (and user.home) under this directory.
        m.put(WorkDirs.PROPERTY, workDir.resolve("work").toString());
        return m;
    }

    /** Starts the name server and every broker; returns when the name server lists every broker. Once. */
    public synchronized void start() {
        if (started || closed) {
            throw new IllegalStateException("ForkedRocketMQ already " + (closed ? "closed" : "started"));
        }
        started = true;
        RocketMQLogging.ensureConfigured(); // this JVM runs the admin client
        try {
            if (proxied) {
                for (Node n : brokers) {
                    n.proxy = FaultProxy.start(n.advertisedPort, HOST, n.listenPort);
                }
            }
            startNameServer();
            for (int i = 0; i < brokers.size(); i++) {
                brokers.get(i).process.start();
            }
            for (int i = 0; i < brokers.size(); i++) {
                awaitRegistered(i);
            }
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
        LOG.info("forked RocketMQ started: name server {}, brokers {}, files under {}", nameServerAddress(),
                brokers.stream().map(n -> n.name + "@" + n.listenPort + (proxied ? "(adv " + n.advertisedPort + ")" : ""))
                        .toList(), workDir);
    }

    // ---- name server ----

    /** Starts the name server JVM (if not running) and waits until its port accepts connections. */
    public synchronized void startNameServer() {
        checkOpen();
        if (nameServer.isAlive()) {
            return;
        }
        awaitFree(nameServerPort);
        nameServer.start();
        nameServer.awaitCondition("name server port " + nameServerPort, startupTimeout, () -> portOpen(nameServerPort));
    }

    /** SIGKILLs the name server JVM. A restarted one is empty until the brokers' next registration. */
    public synchronized void killNameServer() {
        nameServer.kill();
    }

    public synchronized void pauseNameServer() {
        nameServer.pause();
    }

    public synchronized void resumeNameServer() {
        nameServer.resume();
    }

    public synchronized boolean isNameServerRunning() {
        return nameServer.isAlive();
    }

    // ---- brokers ----

    /**
     * Starts broker {@code index} (if not running) on its port and store, and waits until the name server lists
     * it with its advertised address (needs the name server running).
     */
    public synchronized void startBroker(int index) {
        checkOpen();
        Node n = node(index);
        if (n.process.isAlive()) {
            return;
        }
        awaitFree(n.listenPort);
        awaitFree(n.listenPort - 2);
        awaitFree(n.haPort);
        n.process.start();
        awaitRegistered(index);
    }

    /** SIGKILL: the broker dies at once (no unregistration; the name server keeps its route until it expires). */
    public synchronized void killBroker(int index) {
        node(index).process.kill();
    }

    /** SIGSTOP: the broker freezes with its connections open (a hung broker, without any proxy). */
    public synchronized void pauseBroker(int index) {
        node(index).process.pause();
    }

    /** SIGCONT. */
    public synchronized void resumeBroker(int index) {
        node(index).process.resume();
    }

    /** Graceful stop (the broker unregisters and flushes); SIGKILL if it takes longer than 30 s. */
    public synchronized void stopBroker(int index) {
        node(index).process.stop(STOP_GRACE);
    }

    /** {@link #stopBroker} then {@link #startBroker}. */
    public synchronized void restartBroker(int index) {
        stopBroker(index);
        startBroker(index);
    }

    public synchronized boolean isBrokerRunning(int index) {
        return node(index).process.isAlive();
    }

    public synchronized boolean isBrokerPaused(int index) {
        return node(index).process.isPaused();
    }

    /** The broker's child process, e.g. for its pid or log. */
    public JvmProcess brokerProcess(int index) {
        return node(index).process;
    }

    /** The name server's child process. */
    public JvmProcess nameServerProcess() {
        return nameServer;
    }

    public int brokerCount() {
        return brokers.size();
    }

    // ---- topics and addresses ----

    /**
     * Creates (or updates) {@code topic} with {@code queues} read/write queues on every running broker, directly
     * (not through the proxies), and returns when the name server routes it to every running broker.
     */
    public synchronized void createTopic(String topic, int queues) {
        checkOpen();
        if (queues < 1) {
            throw new IllegalArgumentException("queues must be at least 1, but was " + queues);
        }
        MQClientAPIImpl api = admin();
        List<Node> running = brokers.stream().filter(n -> n.process.isAlive()).toList();
        if (running.isEmpty()) {
            throw new IllegalStateException("cannot create topic " + topic + ": no broker is running");
        }
        TopicConfig config = new TopicConfig(topic, queues, queues, PermName.PERM_READ | PermName.PERM_WRITE);
        for (Node n : running) {
            try {
                api.createTopic(HOST + ":" + n.listenPort, "TBW102", config, 5_000);
            } catch (Exception e) {
                throw new IllegalStateException("cannot create topic " + topic + " on " + n.name, e);
            }
        }
        awaitUntil("route of topic " + topic, () -> {
            try {
                TopicRouteData route = api.getTopicRouteInfoFromNameServer(topic, 3_000);
                return running.stream().allMatch(n -> route.getQueueDatas().stream()
                        .anyMatch(q -> q.getBrokerName().equals(n.name) && q.getWriteQueueNums() == queues));
            } catch (Exception e) {
                return false;
            }
        });
    }

    public String nameServerAddress() {
        return HOST + ":" + nameServerPort;
    }

    /** What broker {@code index} advertises to clients (the proxy's address when proxied). */
    public String brokerAddress(int index) {
        return HOST + ":" + node(index).advertisedPort;
    }

    /** Every port broker {@code index} listens on (its own, the VIP channel's, the store's HA listener): fixed. */
    public java.util.Set<Integer> brokerPorts(int index) {
        Node n = node(index);
        return java.util.Set.of(n.listenPort, n.listenPort - 2, n.haPort);
    }

    /** What broker {@code index} really listens on. */
    public String brokerListenAddress(int index) {
        return HOST + ":" + node(index).listenPort;
    }

    public String brokerName(int index) {
        return node(index).name;
    }

    /** The proxy in front of broker {@code index}. */
    public FaultProxy brokerProxy(int index) {
        FaultProxy p = node(index).proxy;
        if (p == null) {
            throw new IllegalStateException("not built withBrokerProxy(), or not started");
        }
        return p;
    }

    public Path workDirectory() {
        return workDir;
    }

    /**
     * Stops every child (gracefully, then SIGKILL), the admin client and the proxies. The work directory (logs,
     * stores) is left under the testkit work directory for post-mortems. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (admin != null) {
            admin.shutdown();
            admin = null;
        }
        for (Node n : brokers) {
            n.process.stop(STOP_GRACE);
            if (n.proxy != null) {
                n.proxy.close();
            }
        }
        nameServer.stop(STOP_GRACE);
    }

    @Override
    public String toString() {
        return "ForkedRocketMQ{nameServer=" + nameServerAddress() + ", brokers="
                + brokers.stream().map(n -> n.name + "@" + HOST + ":" + n.advertisedPort).toList() + "}";
    }

    private void awaitRegistered(int index) {
        Node n = node(index);
        String expected = HOST + ":" + n.advertisedPort;
        MQClientAPIImpl api = admin();
        n.process.awaitCondition("registration of " + n.name + " as " + expected, startupTimeout, () -> {
            try {
                ClusterInfo info = api.getBrokerClusterInfo(3_000);
                BrokerData data = info.getBrokerAddrTable().get(n.name);
                return n.process.logContains(BrokerMain.READY) && data != null
                        && expected.equals(data.getBrokerAddrs().get(MixAll.MASTER_ID));
            } catch (Exception e) {
                return false;
            }
        });
    }

    private MQClientAPIImpl admin() {
        if (admin == null) {
            DefaultMQProducer p = new DefaultMQProducer("smartmq-testkit-admin");
            p.setNamesrvAddr(nameServerAddress());
            p.setInstanceName("smartmq-testkit-admin-" + UUID.randomUUID());
            p.setVipChannelEnabled(false);
            try {
                p.start();
            } catch (MQClientException e) {
                throw new IllegalStateException("cannot start the RocketMQ admin client", e);
            }
            admin = p;
        }
        return admin.getDefaultMQProducerImpl().getMqClientFactory().getMQClientAPIImpl();
    }

    private void awaitFree(int port) {
        awaitUntil("port " + port + " to be free", () -> FreePorts.isFree(port));
    }

    private void awaitUntil(String what, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + startupTimeout + " waiting for " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
    }

    private static boolean portOpen(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void checkOpen() {
        if (!started || closed) {
            throw new IllegalStateException("ForkedRocketMQ is " + (closed ? "closed" : "not started"));
        }
    }

    private Node node(int index) {
        if (index < 0 || index >= brokers.size()) {
            throw new IndexOutOfBoundsException("broker index " + index + " out of 0.." + (brokers.size() - 1));
        }
        return brokers.get(index);
    }

    /** One broker: fixed ports, store and command line; a new child JVM per start. */
    private static final class Node {
        final String name;
        final int listenPort;
        final int advertisedPort;
        final int haPort;
        final JvmProcess process;
        volatile FaultProxy proxy;

        Node(String name, int listenPort, int advertisedPort, int haPort, JvmProcess process) {
            this.name = name;
            this.listenPort = listenPort;
            this.advertisedPort = advertisedPort;
            this.haPort = haPort;
            this.process = process;
        }
    }

    /** Options of a {@link ForkedRocketMQ}; every setter validates its value. */
    public static final class Builder {
        private int brokers = 1;
        private boolean proxied;
        private boolean autoCreateTopics = true;
        private String heap = DEFAULT_HEAP;
        private final List<String> jvmArgs = new ArrayList<>(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        private Duration startupTimeout = DEFAULT_STARTUP_TIMEOUT;

        private Builder() {
        }

        /** Master brokers (1-4), each its own JVM. */
        public Builder brokers(int brokers) {
            if (brokers < 1 || brokers > 4) {
                throw new IllegalArgumentException("brokers must be between 1 and 4, but was " + brokers);
            }
            this.brokers = brokers;
            return this;
        }

        /** A {@link FaultProxy} (in this JVM) in front of every broker, advertised to clients instead of the broker. */
        public Builder withBrokerProxy() {
            this.proxied = true;
            return this;
        }

        public Builder autoCreateTopics(boolean autoCreateTopics) {
            this.autoCreateTopics = autoCreateTopics;
            return this;
        }

        /** {@code -Xmx} of every server JVM. */
        public Builder heap(String heap) {
            if (heap == null || !heap.matches("[0-9]+[kmgKMG]?")) {
                throw new IllegalArgumentException("heap must look like 256m, but was " + heap);
            }
            this.heap = heap;
            return this;
        }

        /** Replaces the extra JVM options of every server JVM (default: serial GC, C1 only: cheap on small boxes). */
        public Builder jvmArgs(List<String> args) {
            this.jvmArgs.clear();
            this.jvmArgs.addAll(args);
            return this;
        }

        public Builder startupTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("startupTimeout must be positive, but was " + timeout);
            }
            this.startupTimeout = timeout;
            return this;
        }

        public ForkedRocketMQ build() {
            return new ForkedRocketMQ(this);
        }
    }
}
