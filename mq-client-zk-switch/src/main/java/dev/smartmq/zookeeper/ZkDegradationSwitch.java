package dev.smartmq.zookeeper;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.ConsumerRegistration;
import dev.smartmq.spi.DegradationSwitch;
import dev.smartmq.spi.InstanceReport;
import dev.smartmq.spi.SwitchAccessDeniedException;
import dev.smartmq.spi.SwitchListener;
import dev.smartmq.spi.SwitchTransition;
import dev.smartmq.spi.SwitchUnavailableException;
import dev.smartmq.spi.TransitionResult;
import dev.smartmq.zookeeper.internal.MalformedSwitchDocumentException;
import dev.smartmq.api.internal.NamedThreadFactory;
import dev.smartmq.zookeeper.internal.SwitchDocumentCodec;
import dev.smartmq.zookeeper.internal.ZkCalls;
import dev.smartmq.zookeeper.internal.ZkConsumerRegistration;
import dev.smartmq.zookeeper.internal.ZkInstanceRegistry;
import dev.smartmq.zookeeper.internal.ZkLayout;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.api.transaction.OperationType;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.curator.retry.BoundedExponentialBackoffRetry;
import org.apache.curator.utils.PathUtils;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The degradation switch, consumer-group registry and leader election of one SmartMQ namespace, on
 * ZooKeeper with Apache Curator.
 *
 * <pre>{@code
 * ZkDegradationSwitch zkSwitch = ZkDegradationSwitch.builder()
 *         .connectString("zk1:2181,zk2:2181,zk3:2181")
 *         .namespace("orders")
 *         .authorization("digest", "orders-service:secret")
 *         .writers(List.of(ZkDegradationSwitch.digestIdentity("orders-service", "secret")))
 *         .build();
 * zkSwitch.start();
 * ...
 * zkSwitch.close();
 * }</pre>
 *
 * <p>Guarantees:
 * <ul>
 *   <li>{@link #transition} is a compare-and-set on the znode version: of several writers that start from
 *       the same epoch exactly one is applied; the others get {@code applied=false} and the winner's
 *       document. It never waits longer than {@link Builder#operationTimeout} and throws
 *       {@link SwitchUnavailableException} when ZooKeeper cannot be reached, {@link SwitchAccessDeniedException}
 *       when the ACL refuses this identity (nothing changed in either case, except the rare "sent but not
 *       confirmed" case the exception message names; the watch then shows the outcome).</li>
 *   <li>Reads ({@link #current()}, {@link #groups}, {@link #isLeader()}) never block. While the connection
 *       is {@code SUSPENDED} or {@code LOST} the last known document holds and {@link #isReachable()} is
 *       false; on {@code RECONNECTED} the document is re-read before reachability is reported again.</li>
 *   <li>A document this client cannot read, or one whose epoch goes backwards, is logged at ERROR and
 *       ignored: the last good document holds. Epochs only grow.</li>
 *   <li>{@link #isLeader()} is false whenever ZooKeeper is unreachable, whatever the client's
 *       {@code ConnectionStateErrorPolicy}.</li>
 * </ul>
 *
 * <p>Resources: built with {@link Builder#connectString}, the switch creates its Curator client and
 * closes it in {@link #close()}. Built with {@link Builder#client}, the client is shared and is never
 * closed here (authorization is then the shared client's business). The switch creates two daemon thread
 * pools ({@code smartmq-zk-switch-<namespace>-<n>}) and shuts them down on close; listener executors belong
 * to whoever passed them in. Secrets (the authorization) are never logged; {@link #toString()} masks them.
 */
public final class ZkDegradationSwitch implements DegradationSwitch {

    /** Default of {@link Builder#namespace}. */
    public static final String DEFAULT_NAMESPACE = "default";
    /** Default of {@link Builder#rootPath}. */
    public static final String DEFAULT_ROOT_PATH = "/smartmq";
    /** Default of {@link Builder#sessionTimeout}. */
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(30);
    /** Default of {@link Builder#connectionTimeout}. */
    public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(10);
    /** Default of {@link Builder#operationTimeout}. */
    public static final Duration DEFAULT_OPERATION_TIMEOUT = Duration.ofSeconds(5);
    /** Default of {@link Builder#historySize}. */
    public static final int DEFAULT_HISTORY_SIZE = 100;

    private static final Logger log = LoggerFactory.getLogger(ZkDegradationSwitch.class);
    private static final Pattern DIGEST_ID = Pattern.compile("[^:\\s]+:[A-Za-z0-9+/]{27}=");
    private static final int MAX_NODE_NAME = 255;
    /** Topic and group names, as {@code Message} and {@code Subscription} accept them. */
    private static final Pattern NAME_RULE = Pattern.compile("[A-Za-z0-9_-]{1,255}");

    private enum Lifecycle { LATENT, STARTED, CLOSED }

    private record Registered(SwitchListener listener, Executor executor) {
    }

    private final Builder config;
    private final ZkLayout layout;
    private final List<ACL> writerAcl;
    private final List<ACL> structureAcl;
    private final boolean ownsClient;
    /** This instance's entry in the instance registry (issue 22); touched on the serial executor only. */
    private final ZkInstanceRegistry instances;
    private final SwitchDocumentCodec codec = new SwitchDocumentCodec();
    private final AtomicReference<Lifecycle> lifecycle = new AtomicReference<>(Lifecycle.LATENT);
    private final List<Registered> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, ZkConsumerRegistration> registrations = new ConcurrentHashMap<>();
    /** Paths whose ACL this client checked (and tightened if open); see {@link #tightenIfOpen}. */
    private final Set<String> tightened = ConcurrentHashMap.newKeySet();
    /** Registry paths with a name that breaks the naming rule, each reported once. */
    private final Set<String> reportedBadNames = ConcurrentHashMap.newKeySet();
    private final Object stateLock = new Object();
    private final ConnectionStateListener connectionListener = (c, s) -> onConnectionStateChanged(s);

    private volatile CuratorFramework client;
    /** Serial executor: connection states, cache events, re-reads, leadership, registration activation. */
    private volatile ExecutorService events;
    /** Best-effort work that must not hold up the serial executor: history pruning, unregistering. */
    private volatile ExecutorService background;
    /** Curator's runSafe() executor of the client this switch created (null with a shared client). */
    private volatile ExecutorService curatorRunSafe;
    private volatile CuratorCache switchCache;
    private volatile CuratorCache groupsCache;
    private volatile LeaderLatch latch;

    private volatile SwitchStatus current = SwitchStatus.initial();
    private volatile boolean reachable;
    private volatile boolean leader;
    // guarded by stateLock: zxid of the newest znode version seen; older events (a cache catching up after
    // our own write, say) are dropped silently, and each bad version is reported once
    private long latestMzxid = -1;
    private boolean loggedMissingDocument;

    private ZkDegradationSwitch(Builder b) {
        this.config = b.copy();
        this.layout = new ZkLayout(b.rootPath, b.namespace);
        this.ownsClient = b.client == null;
        this.client = b.client;
        if (b.writers.isEmpty()) {
            this.writerAcl = ZooDefs.Ids.OPEN_ACL_UNSAFE;
            this.structureAcl = ZooDefs.Ids.OPEN_ACL_UNSAFE;
        } else {
            List<ACL> w = new ArrayList<>();
            List<ACL> s = new ArrayList<>();
            // Every node of the namespace: anyone reads, only writers create, change or delete (children too:
            // ZooKeeper checks CREATE and DELETE on the parent, so a foreign client can neither add a group, nor
            // delete a live consumer, nor put a node in the leader latch).
            w.add(new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE));
            // The root levels and the namespace node: others may add nodes (other namespaces; a non-writer instance
            // bootstrapping the namespace's nodes with the writers' ACL), nobody else may delete.
            s.add(new ACL(ZooDefs.Perms.READ | ZooDefs.Perms.CREATE, ZooDefs.Ids.ANYONE_ID_UNSAFE));
            for (String id : b.writers) {
                w.add(new ACL(ZooDefs.Perms.ALL, new Id("digest", id)));
                s.add(new ACL(ZooDefs.Perms.ALL, new Id("digest", id)));
            }
            this.writerAcl = List.copyOf(w);
            this.structureAcl = List.copyOf(s);
        }
        this.instances = new ZkInstanceRegistry(layout, writerAcl, structureAcl);
    }

    /** A builder with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The ZooKeeper digest identity ({@code user:base64(sha1(user:password))}) of a user, for
     * {@link Builder#writers}. The password itself is not kept.
     */
    public static String digestIdentity(String user, String password) {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        try {
            return DigestAuthenticationProvider.generateDigest(user + ":" + password);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is not available", e);
        }
    }

    // ------------------------------------------------------------------------------------------ lifecycle

    @Override
    public void start() {
        if (!lifecycle.compareAndSet(Lifecycle.LATENT, Lifecycle.STARTED)) {
            throw new IllegalStateException("start() may be called once, but the switch is " + lifecycle.get());
        }
        String role = "zk-switch-" + config.namespace;
        events = Executors.newSingleThreadExecutor(new NamedThreadFactory(role + "-events"));
        background = Executors.newFixedThreadPool(2, new NamedThreadFactory(role + "-background"));
        if (ownsClient) {
            CuratorFrameworkFactory.Builder cb = CuratorFrameworkFactory.builder()
                    .connectString(config.connectString)
                    .sessionTimeoutMs((int) config.sessionTimeout.toMillis())
                    .connectionTimeoutMs((int) config.connectionTimeout.toMillis())
                    .retryPolicy(new BoundedExponentialBackoffRetry(100, 2_000, 10))
                    .threadFactory(new NamedThreadFactory(role + "-curator"))
                    // Curator's close() never shuts down the executor it makes for runSafe(); ours is shut below.
                    .runSafeService(curatorRunSafe = Executors.newSingleThreadExecutor(
                            new NamedThreadFactory(role + "-curator-runsafe")));
            if (config.authScheme != null) {
                cb.authorization(config.authScheme, config.authBytes.clone());
            }
            client = cb.build();
            client.start();
        } else if (client.getState() == CuratorFrameworkState.LATENT) {
            client.start();
        }
        CuratorFramework c = client;
        c.getConnectionStateListenable().addListener(connectionListener, events);

        switchCache = CuratorCache.build(c, layout.switchPath(), CuratorCache.Options.SINGLE_NODE_CACHE);
        switchCache.listenable().addListener(CuratorCacheListener.builder()
                .forCreatesAndChanges((before, after) -> observe(after.getData(), after.getStat(), "watch"))
                .forDeletes(gone -> observeMissing("watch"))
                .build(), events);
        switchCache.start();

        groupsCache = CuratorCache.build(c, layout.groupsPath());
        groupsCache.start();

        if (config.writers.isEmpty()) {
            log.info("SmartMQ switch [{}]: no writers configured, the switch znode is writable by any client",
                    config.namespace);
        }
        try {
            // A shared client may already be connected: then no CONNECTED event comes, so sync explicitly.
            if (c.blockUntilConnected((int) config.connectionTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                CompletableFuture.runAsync(this::synchronize, events)
                        .get(config.operationTimeout.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            log.warn("SmartMQ switch [{}] started without ZooKeeper ({}): using the initial state until it is "
                    + "reachable", config.namespace, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SwitchUnavailableException("interrupted while starting the switch", e);
        }
        if (!reachable) {
            log.warn("SmartMQ switch [{}]: ZooKeeper {} not reachable yet; state {} holds until it is",
                    config.namespace, connectTarget(), current.state());
        }
    }

    @Override
    public void close() {
        Lifecycle was = lifecycle.getAndSet(Lifecycle.CLOSED);
        if (was != Lifecycle.STARTED) {
            return;
        }
        for (ZkConsumerRegistration r : List.copyOf(registrations.values())) {
            r.close();
        }
        LeaderLatch l;
        synchronized (stateLock) {
            // joinElectionOnce checks the lifecycle under this lock: either it saw CLOSED, or its latch is here
            l = latch;
        }
        if (l != null) {
            try {
                l.close();
            } catch (IOException e) {
                log.warn("SmartMQ switch [{}]: leaving the election failed: {}", config.namespace, e.toString());
            }
        }
        if (leader) {
            leader = false;
            notifyListeners(li -> li.onLeadershipChanged(false));
        }
        runOnEvents(() -> instances.remove(client));
        closeCache(switchCache);
        closeCache(groupsCache);
        client.getConnectionStateListenable().removeListener(connectionListener);
        events.shutdown();
        background.shutdown();
        try {
            if (!background.awaitTermination(config.operationTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                background.shutdownNow();
            }
            if (!events.awaitTermination(config.operationTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                events.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            events.shutdownNow();
            background.shutdownNow();
        }
        if (ownsClient) {
            client.close();
            ExecutorService runSafe = curatorRunSafe;
            if (runSafe != null) {
                runSafe.shutdown();
                try {
                    if (!runSafe.awaitTermination(config.operationTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                        runSafe.shutdownNow();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    runSafe.shutdownNow();
                }
            }
        }
        reachable = false;
        log.info("SmartMQ switch [{}] closed", config.namespace);
    }

    private static void closeCache(CuratorCache cache) {
        if (cache != null) {
            cache.close();
        }
    }

    // ------------------------------------------------------------------------------------------- reads

    @Override
    public SwitchStatus current() {
        return current;
    }

    @Override
    public boolean isReachable() {
        return reachable;
    }

    @Override
    public boolean isLeader() {
        return leader;
    }

    /** The namespace this switch serves. */
    @Override
    public String namespace() {
        return config.namespace;
    }

    /** The identity this instance uses in the election and in its registrations. */
    public String instanceId() {
        return config.instanceId;
    }

    @Override
    public void addListener(SwitchListener listener, Executor executor) {
        listeners.add(new Registered(Objects.requireNonNull(listener, "listener"),
                Objects.requireNonNull(executor, "executor")));
    }

    @Override
    public void removeListener(SwitchListener listener) {
        listeners.removeIf(r -> r.listener == listener);
    }

    // -------------------------------------------------------------------------------------- transition

    /**
     * Compare-and-set on the switch znode. The rule:
     * <ol>
     *   <li>Read the znode (data and version).</li>
     *   <li>The <em>base</em> is the document read, or, if it is unreadable, missing after a document was
     *       seen, or has an epoch below this client's last good one, this client's last good document.</li>
     *   <li>Apply only if {@code expectedEpoch == base.epoch}. The new epoch is one above the highest epoch
     *       known: the base's, a readable {@code epoch} field of an unreadable document, and the newest
     *       history entry's. So an operator can always replace a malformed document by passing the epoch of
     *       {@link #current()}.</li>
     *   <li>Write in one ZooKeeper transaction: {@code setData} with the version read (or {@code create}
     *       if the znode is absent) plus the history entry. {@code BADVERSION}/{@code NODEEXISTS}: another
     *       writer won; the result carries its document.</li>
     * </ol>
     */
    @Override
    public TransitionResult transition(SwitchTransition transition) {
        Objects.requireNonNull(transition, "transition");
        CuratorFramework c = requireStarted();
        long deadline = ZkCalls.deadline(config.operationTimeout);
        awaitConnected(c, deadline);
        try {
            return attemptTransition(c, transition, deadline);
        } catch (RetryAfterBootstrap first) {
            bootstrap(c, deadline);
            try {
                return attemptTransition(c, transition, deadline);
            } catch (RetryAfterBootstrap again) {
                throw new SwitchUnavailableException("the nodes of namespace " + config.namespace
                        + " keep disappearing under " + layout.namespacePath() + "; nothing changed", null);
            }
        }
    }

    /** Thrown when a parent node was missing (a namespace no one has bootstrapped yet). */
    private static final class RetryAfterBootstrap extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RetryAfterBootstrap() {
            super(null, null, false, false);
        }
    }

    private TransitionResult attemptTransition(CuratorFramework c, SwitchTransition t, long deadline) {
        CuratorEvent read = ZkCalls.call(deadline, "read of " + layout.switchPath(),
                cb -> c.getData().inBackground(cb).forPath(layout.switchPath()));
        KeeperException.Code rc = ZkCalls.code(read);
        boolean exists;
        if (rc == KeeperException.Code.OK) {
            exists = true;
        } else if (rc == KeeperException.Code.NONODE) {
            exists = false;
        } else if (rc == KeeperException.Code.NOAUTH) {
            throw new SwitchAccessDeniedException("this identity may not read " + layout.switchPath(),
                    KeeperException.create(rc));
        } else {
            throw ZkCalls.unavailable("read of " + layout.switchPath(), rc);
        }
        byte[] data = exists ? read.getData() : null;
        SwitchStatus lastGood = current;
        SwitchStatus base;
        long floor;
        if (exists && data != null && data.length > 0) {
            SwitchStatus doc = tryDecode(data);
            if (doc != null && doc.epoch() >= lastGood.epoch()) {
                observe(data, read.getStat(), "transition");
                base = doc;
                floor = doc.epoch();
            } else {
                // Unreadable or went backwards: the operator's way out is to CAS against the last good epoch.
                observe(data, read.getStat(), "transition");
                base = lastGood;
                OptionalLong salvaged = codec.salvageEpoch(data);
                floor = Math.max(lastGood.epoch(), Math.max(salvaged.orElse(0), newestHistoryEpoch(c, deadline)));
            }
        } else {
            // No document (never written, blanked or deleted): history remembers the highest epoch applied.
            base = lastGood;
            floor = Math.max(lastGood.epoch(), newestHistoryEpoch(c, deadline));
        }
        if (t.expectedEpoch() != base.epoch()) {
            return new TransitionResult(false, base);
        }
        SwitchStatus next = new SwitchStatus(t.target(), t.mode(), t.reason(), t.actor(),
                Instant.now().truncatedTo(ChronoUnit.MILLIS), t.expiresAt(), floor + 1);
        byte[] bytes = codec.encode(next);
        int version = exists ? read.getStat().getVersion() : -1;
        CuratorEvent write = ZkCalls.call(deadline, "compare-and-set of " + layout.switchPath(), cb -> {
            CuratorOp swap = exists
                    ? c.transactionOp().setData().withVersion(version).forPath(layout.switchPath(), bytes)
                    : c.transactionOp().create().withMode(CreateMode.PERSISTENT).withACL(writerAcl)
                        .forPath(layout.switchPath(), bytes);
            CuratorOp record = c.transactionOp().create().withMode(CreateMode.PERSISTENT_SEQUENTIAL)
                    .withACL(writerAcl).forPath(layout.historyPath() + "/" + ZkLayout.HISTORY_PREFIX, bytes);
            c.transaction().inBackground(cb).forOperations(swap, record);
        });
        KeeperException.Code wrc = ZkCalls.code(write);
        switch (wrc) {
            case OK:
                applied(base, next, mzxidOf(write));
                return new TransitionResult(true, next);
            case BADVERSION:
            case NODEEXISTS: {
                SwitchStatus winner = reread(c, deadline);
                if (winner.equals(next)) {
                    // Curator retried our write after a connection loss and the first attempt had landed.
                    applied(base, next, -1);
                    return new TransitionResult(true, next);
                }
                log.info("SmartMQ switch [{}]: transition to {} from epoch {} by {} lost the race; switch is {} "
                        + "(epoch {})", config.namespace, t.target(), t.expectedEpoch(), t.actor(),
                        winner.state(), winner.epoch());
                return new TransitionResult(false, winner);
            }
            case NOAUTH:
                throw new SwitchAccessDeniedException("this identity may not change the switch of namespace "
                        + config.namespace + " (ZooKeeper ACL on " + layout.switchPath() + "); nothing changed",
                        KeeperException.create(wrc));
            case NONODE:
                // The switch was deleted between our read and our write, or the history node is missing.
                throw new RetryAfterBootstrap();
            default:
                throw new SwitchUnavailableException("compare-and-set of " + layout.switchPath() + " failed with "
                        + wrc + "; if the request reached ZooKeeper before the failure it may have been applied, "
                        + "and the watch will show it", KeeperException.create(wrc));
        }
    }

    private static long mzxidOf(CuratorEvent transaction) {
        if (transaction.getOpResults() != null) {
            for (CuratorTransactionResult r : transaction.getOpResults()) {
                if (r.getType() == OperationType.SET_DATA && r.getResultStat() != null) {
                    return r.getResultStat().getMzxid();
                }
            }
        }
        return -1;
    }

    private void applied(SwitchStatus from, SwitchStatus to, long mzxid) {
        log.warn("SmartMQ switch [{}] {} -> {} (epoch {} -> {}, mode {}{}) by {}: {}", config.namespace,
                from.state(), to.state(), from.epoch(), to.epoch(), to.mode(),
                to.expiresAt() == null ? "" : ", expires " + to.expiresAt(), to.changedBy(), to.reason());
        synchronized (stateLock) {
            latestMzxid = Math.max(latestMzxid, mzxid);
            if (to.epoch() > current.epoch()) {
                accept(to, "transition");
            }
        }
        try {
            background.execute(this::pruneHistory);
        } catch (RejectedExecutionException closing) {
            // closing: the next writer prunes
        }
    }

    private SwitchStatus reread(CuratorFramework c, long deadline) {
        CuratorEvent e = ZkCalls.call(deadline, "re-read of " + layout.switchPath(),
                cb -> c.getData().inBackground(cb).forPath(layout.switchPath()));
        KeeperException.Code rc = ZkCalls.code(e);
        if (rc == KeeperException.Code.OK) {
            observe(e.getData(), e.getStat(), "re-read");
            SwitchStatus doc = tryDecode(e.getData());
            return doc != null ? doc : current;
        }
        if (rc == KeeperException.Code.NONODE) {
            return current;
        }
        throw ZkCalls.unavailable("re-read of " + layout.switchPath(), rc);
    }

    private SwitchStatus tryDecode(byte[] data) {
        if (data == null || data.length == 0) {
            return null;
        }
        try {
            return codec.decode(data);
        } catch (MalformedSwitchDocumentException e) {
            return null;
        }
    }

    // ----------------------------------------------------------------------------------------- history

    /**
     * The last {@code limit} applied transitions, newest first (each is the document the transition wrote).
     * At most {@link Builder#historySize} are kept. Entries this client cannot read are skipped with a log.
     *
     * @throws SwitchUnavailableException if ZooKeeper cannot be reached within the operation timeout
     */
    public List<SwitchStatus> history(int limit) {
        ConfigurationException.check(limit >= 1, "limit", limit, "must be at least 1");
        CuratorFramework c = requireStarted();
        long deadline = ZkCalls.deadline(config.operationTimeout);
        awaitConnected(c, deadline);
        List<String> names = historyNames(c, deadline);
        names.sort(Comparator.reverseOrder());
        List<String> wanted = names.subList(0, Math.min(limit, names.size()));
        List<CompletableFuture<CuratorEvent>> reads = new ArrayList<>();
        for (String name : wanted) {
            reads.add(ZkCalls.submit(cb -> c.getData().inBackground(cb).forPath(layout.historyPath() + "/" + name)));
        }
        List<SwitchStatus> out = new ArrayList<>();
        for (int i = 0; i < reads.size(); i++) {
            CuratorEvent e = ZkCalls.await(reads.get(i), deadline, "history read");
            KeeperException.Code rc = ZkCalls.code(e);
            if (rc == KeeperException.Code.NONODE) {
                continue; // pruned meanwhile
            }
            if (rc != KeeperException.Code.OK) {
                throw ZkCalls.unavailable("history read", rc);
            }
            try {
                out.add(codec.decode(e.getData()));
            } catch (MalformedSwitchDocumentException bad) {
                log.error("SmartMQ switch [{}]: skipping unreadable history entry {}: {}", config.namespace,
                        wanted.get(i), bad.getMessage());
            }
        }
        return out;
    }

    private List<String> historyNames(CuratorFramework c, long deadline) {
        CuratorEvent e = ZkCalls.call(deadline, "list of " + layout.historyPath(),
                cb -> c.getChildren().inBackground(cb).forPath(layout.historyPath()));
        KeeperException.Code rc = ZkCalls.code(e);
        if (rc == KeeperException.Code.NONODE) {
            return new ArrayList<>();
        }
        if (rc != KeeperException.Code.OK) {
            throw ZkCalls.unavailable("list of " + layout.historyPath(), rc);
        }
        List<String> names = new ArrayList<>();
        for (String n : e.getChildren()) {
            if (n.startsWith(ZkLayout.HISTORY_PREFIX)) {
                names.add(n);
            }
        }
        return names;
    }

    private long newestHistoryEpoch(CuratorFramework c, long deadline) {
        List<String> names = historyNames(c, deadline);
        if (names.isEmpty()) {
            return 0;
        }
        String newest = names.stream().max(Comparator.naturalOrder()).orElseThrow();
        CuratorEvent e = ZkCalls.call(deadline, "history read",
                cb -> c.getData().inBackground(cb).forPath(layout.historyPath() + "/" + newest));
        if (ZkCalls.code(e) != KeeperException.Code.OK) {
            return 0;
        }
        return codec.salvageEpoch(e.getData()).orElse(0);
    }

    private void pruneHistory() {
        CuratorFramework c = client;
        long deadline = ZkCalls.deadline(config.operationTimeout);
        try {
            List<String> names = historyNames(c, deadline);
            if (names.size() <= config.historySize) {
                return;
            }
            names.sort(Comparator.naturalOrder());
            List<CompletableFuture<CuratorEvent>> deletes = new ArrayList<>();
            for (String old : names.subList(0, names.size() - config.historySize)) {
                deletes.add(ZkCalls.submit(cb -> c.delete().inBackground(cb).forPath(layout.historyPath() + "/" + old)));
            }
            for (CompletableFuture<CuratorEvent> d : deletes) {
                KeeperException.Code rc = ZkCalls.code(ZkCalls.await(d, deadline, "history prune"));
                if (rc != KeeperException.Code.OK && rc != KeeperException.Code.NONODE) {
                    log.debug("SmartMQ switch [{}]: history prune: {}", config.namespace, rc);
                }
            }
        } catch (SwitchUnavailableException e) {
            log.debug("SmartMQ switch [{}]: history prune skipped: {}", config.namespace, e.getMessage());
        }
    }

    // ---------------------------------------------------------------------------------------- registry

    @Override
    public ConsumerRegistration registerConsumer(String topic, String group, String consumerId) {
        checkNodeName("topic", topic);
        checkNodeName("group", group);
        checkNodeName("consumerId", consumerId);
        requireStarted();
        String path = layout.consumerPath(topic, group, consumerId);
        ZkConsumerRegistration reg = new ZkConsumerRegistration(topic, group, consumerId, path, this::unregister);
        if (registrations.putIfAbsent(path, reg) != null) {
            throw new IllegalStateException("consumer " + consumerId + " is already registered for topic " + topic
                    + " and group " + group);
        }
        events.execute(() -> activate(reg));
        return reg;
    }

    /** On the serial executor: makes the group node PERSISTENT, then starts the ephemeral instance node. */
    private void activate(ZkConsumerRegistration reg) {
        if (reg.isClosed() || reg.isActive() || !reachableNow()) {
            return; // retried on the next (re)connection
        }
        CuratorFramework c = client;
        long deadline = ZkCalls.deadline(config.operationTimeout);
        try {
            ensureNode(c, layout.groupsPath(), writerAcl, null, deadline);
            ensureNode(c, layout.topicPath(reg.topic()), writerAcl, null, deadline);
            ensureNode(c, layout.groupPath(reg.topic(), reg.group()), writerAcl, null, deadline);
            byte[] data = config.instanceId.getBytes(StandardCharsets.UTF_8);
            // Created here first so that an ACL refusal is reported (the PersistentNode would retry it silently).
            CuratorEvent e = ZkCalls.call(deadline, "create of " + reg.path(), cb -> c.create()
                    .withMode(CreateMode.EPHEMERAL).inBackground(cb).forPath(reg.path(), data));
            KeeperException.Code rc = ZkCalls.code(e);
            if (rc == KeeperException.Code.NOAUTH) {
                throw new SwitchAccessDeniedException("create of " + reg.path() + " refused", KeeperException.create(rc));
            }
            if (rc != KeeperException.Code.OK && rc != KeeperException.Code.NODEEXISTS) {
                throw ZkCalls.unavailable("create of " + reg.path(), rc);
            }
            if (reg.activate(c, data)) {
                log.info("SmartMQ switch [{}]: registered consumer {} of group {} for topic {}", config.namespace,
                        reg.consumerId(), reg.group(), reg.topic());
            }
        } catch (SwitchAccessDeniedException e) {
            log.error("SmartMQ switch [{}]: this identity may not register {} (ZooKeeper ACL: only the configured "
                    + "writers may); the registration stays pending: {}", config.namespace, reg.path(), e.getMessage());
        } catch (SwitchUnavailableException e) {
            log.warn("SmartMQ switch [{}]: registration of {} is pending until ZooKeeper is reachable: {}",
                    config.namespace, reg.path(), e.getMessage());
        }
    }

    private void unregister(ZkConsumerRegistration reg, PersistentNode node) {
        registrations.remove(reg.path(), reg);
        if (node == null) {
            return;
        }
        // PersistentNode.close() deletes in the foreground with the client's retry policy: bound the wait.
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            background.execute(() -> {
                try {
                    node.close();
                    done.complete(null);
                } catch (IOException | RuntimeException e) {
                    done.completeExceptionally(e);
                }
            });
            done.get(config.operationTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException | TimeoutException | java.util.concurrent.ExecutionException e) {
            log.warn("SmartMQ switch [{}]: could not delete {} now ({}); it disappears with the session",
                    config.namespace, reg.path(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public Set<String> groups(String topic) {
        Objects.requireNonNull(topic, "topic");
        return registeredGroups().getOrDefault(topic, Set.of());
    }

    @Override
    public Map<String, Set<String>> registeredGroups() {
        CuratorCache cache = groupsCache;
        if (cache == null) {
            return Map.of();
        }
        String prefix = layout.groupsPath() + "/";
        Map<String, Set<String>> out = new TreeMap<>();
        cache.stream().map(ChildData::getPath).filter(p -> p.startsWith(prefix)).forEach(p -> {
            String[] parts = p.substring(prefix.length()).split("/");
            if (parts.length > 2) {
                return; // a consumer instance
            }
            if (!NAME_RULE.matcher(parts[0]).matches()
                    || (parts.length == 2 && !NAME_RULE.matcher(parts[1]).matches())) {
                String bad = parts.length == 2 && NAME_RULE.matcher(parts[0]).matches() ? p : prefix + parts[0];
                if (reportedBadNames.add(bad)) {
                    log.error("SmartMQ switch [{}]: IGNORING registry node {}: topic and group names must be "
                            + "[A-Za-z0-9_-]+ (written by hand or by a foreign client? delete it)",
                            config.namespace, bad);
                }
                return;
            }
            if (parts.length == 1) {
                out.computeIfAbsent(parts[0], k -> new TreeSet<>());
            } else {
                out.computeIfAbsent(parts[0], k -> new TreeSet<>()).add(parts[1]);
            }
        });
        Map<String, Set<String>> frozen = new TreeMap<>();
        out.forEach((k, v) -> frozen.put(k, Set.copyOf(v)));
        return Map.copyOf(frozen);
    }

    /**
     * Creates {@code shards} (writer ACL) holding {@code shards} if it does not exist, and returns what it holds.
     * Empty while ZooKeeper is unreachable, when the node cannot be created by this identity and does not exist,
     * or when its content is not a shard count (logged at ERROR).
     */
    @Override
    public OptionalInt recordShardCount(int shards) {
        CuratorFramework c = requireStarted();
        if (!reachable) {
            return OptionalInt.empty();
        }
        String path = layout.shardsPath();
        long deadline = ZkCalls.deadline(config.operationTimeout);
        try {
            byte[] mine = Integer.toString(shards).getBytes(StandardCharsets.US_ASCII);
            CuratorEvent created = ZkCalls.call(deadline, "create of " + path, cb -> c.create()
                    .withMode(CreateMode.PERSISTENT).withACL(writerAcl).inBackground(cb).forPath(path, mine));
            KeeperException.Code rc = ZkCalls.code(created);
            if (rc == KeeperException.Code.OK) {
                log.info("SmartMQ switch [{}]: namespace shard count {} stored at {}", config.namespace, shards, path);
                return OptionalInt.of(shards);
            }
            if (rc != KeeperException.Code.NODEEXISTS && rc != KeeperException.Code.NOAUTH) {
                return OptionalInt.empty();
            }
            CuratorEvent read = ZkCalls.call(deadline, "read of " + path,
                    cb -> c.getData().inBackground(cb).forPath(path));
            if (ZkCalls.code(read) != KeeperException.Code.OK) {
                return OptionalInt.empty();
            }
            String text = new String(read.getData() == null ? new byte[0] : read.getData(), StandardCharsets.US_ASCII);
            try {
                int stored = Integer.parseInt(text.trim());
                if (stored >= 1) {
                    return OptionalInt.of(stored);
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            log.error("SmartMQ switch [{}]: IGNORING {}: '{}' is not a shard count; fix or delete it", config.namespace,
                    path, preview(read.getData() == null ? new byte[0] : read.getData()));
            return OptionalInt.empty();
        } catch (SwitchUnavailableException e) {
            return OptionalInt.empty();
        }
    }

    /**
     * Read from ZooKeeper (not from the cache), so that a group registered a moment ago is included; names that
     * break the naming rule are skipped (one ERROR line each). Empty while ZooKeeper is unreachable or does not
     * answer within the operation timeout.
     */
    @Override
    public Optional<Set<String>> readGroups(String topic) {
        checkNodeName("topic", topic);
        CuratorFramework c = requireStarted();
        if (!reachable || !NAME_RULE.matcher(topic).matches()) {
            return reachable ? Optional.of(Set.of()) : Optional.empty();
        }
        try {
            CuratorEvent e = ZkCalls.call(ZkCalls.deadline(config.operationTimeout), "list of groups",
                    cb -> c.getChildren().inBackground(cb).forPath(layout.topicPath(topic)));
            KeeperException.Code rc = ZkCalls.code(e);
            if (rc == KeeperException.Code.NONODE) {
                return Optional.of(Set.of());
            }
            if (rc != KeeperException.Code.OK || !reachable) {
                return Optional.empty();
            }
            Set<String> groups = new TreeSet<>();
            for (String g : e.getChildren()) {
                if (NAME_RULE.matcher(g).matches()) {
                    groups.add(g);
                } else if (reportedBadNames.add(layout.groupPath(topic, g))) {
                    log.error("SmartMQ switch [{}]: IGNORING registry node {}: topic and group names must be "
                            + "[A-Za-z0-9_-]+ (written by hand or by a foreign client? delete it)",
                            config.namespace, layout.groupPath(topic, g));
                }
            }
            return Optional.of(Set.copyOf(groups));
        } catch (SwitchUnavailableException e) {
            return Optional.empty();
        }
    }

    /**
     * Read from ZooKeeper (not from a cache), so that an instance registered a moment ago is never taken
     * for dead. Empty while ZooKeeper is unreachable or does not answer within the operation timeout.
     */
    @Override
    public Optional<Set<String>> liveConsumers(String topic, String group) {
        checkNodeName("topic", topic);
        checkNodeName("group", group);
        CuratorFramework c = requireStarted();
        if (!reachable) {
            return Optional.empty();
        }
        try {
            CuratorEvent e = ZkCalls.call(ZkCalls.deadline(config.operationTimeout), "list of consumers",
                    cb -> c.getChildren().inBackground(cb).forPath(layout.groupPath(topic, group)));
            KeeperException.Code rc = ZkCalls.code(e);
            if (rc == KeeperException.Code.NONODE) {
                return Optional.of(Set.of());
            }
            if (rc != KeeperException.Code.OK || !reachable) {
                return Optional.empty();
            }
            return Optional.of(Set.copyOf(e.getChildren()));
        } catch (SwitchUnavailableException e) {
            return Optional.empty();
        }
    }

    // ---------------------------------------------------------------------------------- connection states

    /** On the serial executor. */
    private void onConnectionStateChanged(ConnectionState state) {
        if (lifecycle.get() != Lifecycle.STARTED) {
            return;
        }
        switch (state) {
            case CONNECTED:
            case RECONNECTED:
                synchronize();
                break;
            case SUSPENDED:
            case LOST:
            case READ_ONLY:
            default:
                setReachable(false, state);
                break;
        }
    }

    /**
     * On the serial executor: makes sure the namespace's nodes exist, re-reads the switch (listeners hear of a
     * change made while we were away before they hear that ZooKeeper is reachable again), completes pending
     * registrations, then reports reachability.
     */
    /**
     * Joins the leader election, once, after the first successful bootstrap. Not earlier: the latch creates
     * missing parents with the client's default (open) ACL, and if it won the race against bootstrap the
     * namespace node would be world-writable - anyone could then delete and re-create the switch.
     */
    private void joinElectionOnce(CuratorFramework c) {
        synchronized (stateLock) {
            if (latch != null || lifecycle.get() != Lifecycle.STARTED || !config.joinElection) {
                return;
            }
            LeaderLatch l = new LeaderLatch(c, layout.leaderPath(), config.instanceId, LeaderLatch.CloseMode.SILENT);
            l.addListener(new LeaderLatchListener() {
                @Override
                public void isLeader() {
                    updateLeadership();
                }

                @Override
                public void notLeader() {
                    updateLeadership();
                }
            }, events);
            try {
                l.start();
            } catch (Exception e) {
                throw new SwitchUnavailableException("could not join the leader election at " + layout.leaderPath(), e);
            }
            latch = l;
        }
    }

    private void synchronize() {
        CuratorFramework c = client;
        if (lifecycle.get() != Lifecycle.STARTED || !c.getZookeeperClient().isConnected()) {
            return;
        }
        long deadline = ZkCalls.deadline(config.operationTimeout);
        try {
            bootstrap(c, deadline);
            joinElectionOnce(c);
            CuratorEvent e = ZkCalls.call(deadline, "read of " + layout.switchPath(),
                    cb -> c.getData().inBackground(cb).forPath(layout.switchPath()));
            KeeperException.Code rc = ZkCalls.code(e);
            if (rc == KeeperException.Code.OK) {
                observe(e.getData(), e.getStat(), "re-read");
            } else if (rc == KeeperException.Code.NONODE) {
                observeMissing("re-read");
            } else {
                throw ZkCalls.unavailable("read of " + layout.switchPath(), rc);
            }
        } catch (SwitchUnavailableException | SwitchAccessDeniedException e) {
            log.warn("SmartMQ switch [{}]: re-read after (re)connection failed, still unreachable: {}",
                    config.namespace, e.getMessage());
            return;
        }
        if (c.getZookeeperClient().isConnected()) {
            setReachable(true, ConnectionState.RECONNECTED);
            for (ZkConsumerRegistration r : registrations.values()) {
                activate(r);
            }
            instances.sync(c, true);
        }
    }

    private boolean reachableNow() {
        return reachable && client.getZookeeperClient().isConnected();
    }

    private void setReachable(boolean now, ConnectionState why) {
        boolean before = reachable;
        reachable = now;
        if (before != now) {
            if (now) {
                log.info("SmartMQ switch [{}]: ZooKeeper reachable again, switch is {} (epoch {})",
                        config.namespace, current.state(), current.epoch());
            } else {
                log.warn("SmartMQ switch [{}]: ZooKeeper unreachable ({}); keeping the last known state {} (epoch {})",
                        config.namespace, why, current.state(), current.epoch());
            }
            notifyListeners(l -> l.onReachabilityChanged(now));
        }
        updateLeadership();
    }

    /** Effective leadership: the latch says so and ZooKeeper is reachable (a cut-off leader must not act). */
    private void updateLeadership() {
        LeaderLatch l = latch;
        boolean now = lifecycle.get() == Lifecycle.STARTED && reachable && l != null && l.hasLeadership();
        synchronized (stateLock) {
            if (now == leader) {
                return;
            }
            leader = now;
            log.info("SmartMQ switch [{}]: instance {} {} the leader", config.namespace, config.instanceId,
                    now ? "is now" : "is no longer");
            notifyListeners(li -> li.onLeadershipChanged(now));
        }
        runOnEvents(() -> instances.leadership(client, now, reachableNow()));
    }

    // ------------------------------------------------------------------------------- instance registry

    @Override
    public void reportInstance(InstanceReport report) {
        Objects.requireNonNull(report, "report");
        runOnEvents(() -> instances.update(client, report, reachableNow()));
    }

    /** Runs {@code task} on the serial executor, bounded by the operation timeout when called from elsewhere. */
    private void runOnEvents(Runnable task) {
        ExecutorService e = events;
        if (e == null || e.isShutdown()) {
            return;
        }
        try {
            e.execute(task);
        } catch (RejectedExecutionException ex) {
            log.debug("SmartMQ switch [{}]: closing, instance registry not updated", config.namespace);
        }
    }

    // ------------------------------------------------------------------------------- document handling

    private void observe(byte[] data, Stat stat, String source) {
        long mzxid = stat == null ? -1 : stat.getMzxid();
        synchronized (stateLock) {
            if (mzxid != -1) {
                if (mzxid <= latestMzxid) {
                    return;
                }
                latestMzxid = mzxid;
            }
            if (data == null || data.length == 0) {
                accept(SwitchStatus.initial(), source);
                return;
            }
            SwitchStatus doc;
            try {
                doc = codec.decode(data);
            } catch (MalformedSwitchDocumentException e) {
                log.error("SmartMQ switch [{}]: IGNORING unreadable switch document at {} (seen by {}): {}. "
                        + "Keeping the last good state {} (epoch {}). Raw document: {}", config.namespace,
                        layout.switchPath(), source, e.getMessage(), current.state(), current.epoch(),
                        preview(data));
                return;
            }
            accept(doc, source);
        }
    }

    private void observeMissing(String source) {
        synchronized (stateLock) {
            if (current.epoch() > 0 && !loggedMissingDocument) {
                loggedMissingDocument = true;
                log.error("SmartMQ switch [{}]: the switch znode {} is gone (seen by {}); keeping the last good "
                        + "state {} (epoch {})", config.namespace, layout.switchPath(), source, current.state(),
                        current.epoch());
            }
        }
    }

    /** Guarded by stateLock. Epochs only grow: an older or conflicting document is reported and ignored. */
    private void accept(SwitchStatus doc, String source) {
        SwitchStatus prev = current;
        if (doc.equals(prev)) {
            return;
        }
        if (doc.epoch() > prev.epoch()) {
            current = doc;
            loggedMissingDocument = false;
            log.debug("SmartMQ switch [{}]: {} sees {} (epoch {})", config.namespace, source, doc.state(), doc.epoch());
            notifyListeners(l -> l.onStatusChanged(prev, doc));
            return;
        }
        if (doc.epoch() == 0 && doc.equals(SwitchStatus.initial())) {
            log.error("SmartMQ switch [{}]: IGNORING an empty switch znode seen by {}: this client holds epoch {} "
                    + "({}); the document was blanked by hand", config.namespace, source, prev.epoch(), prev.state());
        } else {
            log.error("SmartMQ switch [{}]: IGNORING switch document with epoch {} ({}) seen by {}: this client "
                    + "already holds epoch {} ({}); epochs never go backwards", config.namespace, doc.epoch(),
                    doc.state(), source, prev.epoch(), prev.state());
        }
    }

    private static String preview(byte[] data) {
        String s = new String(data, 0, Math.min(data.length, 200), StandardCharsets.UTF_8);
        return s.replaceAll("[\\p{Cntrl}]", "?") + (data.length > 200 ? "...(" + data.length + " bytes)" : "");
    }

    private void notifyListeners(java.util.function.Consumer<SwitchListener> call) {
        for (Registered r : listeners) {
            try {
                r.executor.execute(() -> {
                    try {
                        call.accept(r.listener);
                    } catch (RuntimeException e) {
                        log.error("SmartMQ switch [{}]: listener {} failed", config.namespace, r.listener, e);
                    }
                });
            } catch (RejectedExecutionException e) {
                log.warn("SmartMQ switch [{}]: listener executor of {} rejected a callback", config.namespace,
                        r.listener);
            }
        }
    }

    // ---------------------------------------------------------------------------------------- bootstrap

    /** Creates the namespace's nodes if missing (idempotent; the first creator's ACLs stay). */
    private void bootstrap(CuratorFramework c, long deadline) {
        String root = layout.root();
        if (!"/".equals(root)) {
            String[] parts = root.substring(1).split("/");
            StringBuilder p = new StringBuilder();
            for (String part : parts) {
                p.append('/').append(part);
                ensureNode(c, p.toString(), structureAcl, null, deadline);
            }
        }
        // World CREATE on the namespace node lets an instance that is not a writer (a read-only tool) bootstrap
        // the nodes below with the writers' ACL; DELETE stays with the writers.
        ensureNode(c, layout.namespacePath(), structureAcl, null, deadline);
        // The empty switch node is created up front so that only writers can ever put a document in it.
        ensureNode(c, layout.switchPath(), writerAcl, new byte[0], deadline);
        ensureNode(c, layout.historyPath(), writerAcl, null, deadline);
        ensureNode(c, layout.groupsPath(), writerAcl, null, deadline);
        ensureNode(c, layout.leaderPath(), writerAcl, null, deadline);
    }

    private void ensureNode(CuratorFramework c, String path, List<ACL> acl, byte[] data, long deadline) {
        byte[] bytes = data == null ? new byte[0] : data;
        CuratorEvent e = ZkCalls.call(deadline, "create of " + path, cb -> c.create().withMode(CreateMode.PERSISTENT)
                .withACL(acl).inBackground(cb).forPath(path, bytes));
        KeeperException.Code rc = ZkCalls.code(e);
        if (rc == KeeperException.Code.NODEEXISTS) {
            if (acl == writerAcl) {
                tightenIfOpen(c, path, acl, deadline);
            }
            return;
        }
        if (rc == KeeperException.Code.OK) {
            return;
        }
        if (rc == KeeperException.Code.NOAUTH) {
            throw new SwitchAccessDeniedException("this identity may not create " + path, KeeperException.create(rc));
        }
        throw ZkCalls.unavailable("create of " + path, rc);
    }

    /**
     * A node created before writers were configured (or by an older version, which left the registry and
     * the latch open) gets the writer ACL, once per path and client. Best effort: a node this identity may not
     * administer is reported and left as it is.
     */
    private void tightenIfOpen(CuratorFramework c, String path, List<ACL> acl, long deadline) {
        if (config.writers.isEmpty() || !tightened.add(path)) {
            return;
        }
        CuratorEvent read = ZkCalls.call(deadline, "ACL read of " + path,
                cb -> c.getACL().inBackground(cb).forPath(path));
        if (ZkCalls.code(read) != KeeperException.Code.OK || read.getACLList() == null) {
            tightened.remove(path);
            return;
        }
        boolean open = read.getACLList().stream().anyMatch(a -> ZooDefs.Ids.ANYONE_ID_UNSAFE.equals(a.getId())
                && (a.getPerms() & ~acl.stream().filter(x -> ZooDefs.Ids.ANYONE_ID_UNSAFE.equals(x.getId()))
                        .mapToInt(ACL::getPerms).reduce(0, (x, y) -> x | y)) != 0);
        if (!open) {
            return;
        }
        CuratorEvent set = ZkCalls.call(deadline, "ACL change of " + path,
                cb -> c.setACL().withACL(acl).inBackground(cb).forPath(path));
        KeeperException.Code rc = ZkCalls.code(set);
        if (rc == KeeperException.Code.OK) {
            log.warn("SmartMQ switch [{}]: {} was writable by any client; it now carries the writer ACL",
                    config.namespace, path);
        } else {
            log.error("SmartMQ switch [{}]: {} is writable by any client and this identity cannot fix it ({}); "
                    + "set its ACL to the writers by hand", config.namespace, path, rc);
        }
    }

    // ------------------------------------------------------------------------------------------ helpers

    private CuratorFramework requireStarted() {
        Lifecycle s = lifecycle.get();
        if (s != Lifecycle.STARTED) {
            throw new IllegalStateException("the switch must be started (and not closed), but it is " + s);
        }
        return client;
    }

    private void awaitConnected(CuratorFramework c, long deadline) {
        try {
            if (!c.blockUntilConnected((int) Math.max(1, ZkCalls.remainingMillis(deadline)), TimeUnit.MILLISECONDS)) {
                throw new SwitchUnavailableException("ZooKeeper " + connectTarget() + " is not reachable (waited "
                        + config.operationTimeout.toMillis() + " ms); nothing changed", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SwitchUnavailableException("interrupted while waiting for ZooKeeper; nothing changed", e);
        }
    }

    private String connectTarget() {
        return config.connectString != null ? config.connectString : "(shared client)";
    }

    private static void checkNodeName(String field, String value) {
        ConfigurationException.check(value != null && !value.isEmpty() && value.length() <= MAX_NODE_NAME
                && value.indexOf('/') < 0 && !".".equals(value) && !"..".equals(value)
                && value.chars().noneMatch(Character::isISOControl), field, value,
                "must be 1-" + MAX_NODE_NAME + " characters without '/' or control characters and not '.' or '..'");
    }

    @Override
    public String toString() {
        return "ZkDegradationSwitch{" + config + ", state=" + lifecycle.get() + ", current=" + current.state()
                + "@" + current.epoch() + ", reachable=" + reachable + ", leader=" + leader + "}";
    }

    // ------------------------------------------------------------------------------------------ builder

    /**
     * Options of a {@link ZkDegradationSwitch}. Each setter validates its value and names the field and the
     * bad value (secrets are masked); {@link #build()} validates combinations.
     */
    public static final class Builder {
        private String connectString;
        private CuratorFramework client;
        private String namespace = DEFAULT_NAMESPACE;
        private String rootPath = DEFAULT_ROOT_PATH;
        private Duration sessionTimeout = DEFAULT_SESSION_TIMEOUT;
        private Duration connectionTimeout = DEFAULT_CONNECTION_TIMEOUT;
        private Duration operationTimeout = DEFAULT_OPERATION_TIMEOUT;
        private boolean sessionOrConnectionTimeoutSet;
        private String authScheme;
        private byte[] authBytes;
        private List<String> writers = List.of();
        private int historySize = DEFAULT_HISTORY_SIZE;
        private String instanceId = defaultInstanceId();
        private boolean joinElection = true;

        private Builder() {
        }

        private Builder copy() {
            Builder b = new Builder();
            b.connectString = connectString;
            b.client = client;
            b.namespace = namespace;
            b.rootPath = rootPath;
            b.sessionTimeout = sessionTimeout;
            b.connectionTimeout = connectionTimeout;
            b.operationTimeout = operationTimeout;
            b.sessionOrConnectionTimeoutSet = sessionOrConnectionTimeoutSet;
            b.authScheme = authScheme;
            b.authBytes = authBytes == null ? null : authBytes.clone();
            b.writers = writers;
            b.historySize = historySize;
            b.instanceId = instanceId;
            b.joinElection = joinElection;
            return b;
        }

        /** ZooKeeper servers ({@code host:port,...}); the switch creates, owns and closes its client. */
        public Builder connectString(String v) {
            ConfigurationException.check(v != null && !v.isBlank(), "connectString", v, "must not be blank");
            this.connectString = v;
            return this;
        }

        /**
         * A started or not yet started Curator client to share. It is never closed by the switch (the switch
         * starts it if it is not started). Authorization, timeouts and retry policy are the client's.
         */
        public Builder client(CuratorFramework v) {
            ConfigurationException.check(v != null, "client", v, "must not be null");
            this.client = v;
            return this;
        }

        /** Namespace: services that share a switch share a namespace. Default {@link #DEFAULT_NAMESPACE}. */
        public Builder namespace(String v) {
            ConfigurationException.check(SmartMQConfig.isValidNamespace(v), "namespace", v,
                    SmartMQConfig.NAMESPACE_RULE);
            this.namespace = v;
            return this;
        }

        /** ZooKeeper path under which namespaces live. Default {@link #DEFAULT_ROOT_PATH}. */
        public Builder rootPath(String v) {
            boolean ok = v != null && v.startsWith("/") && (v.length() == 1 || !v.endsWith("/"));
            if (ok) {
                try {
                    PathUtils.validatePath(v);
                } catch (IllegalArgumentException e) {
                    ok = false;
                }
            }
            ConfigurationException.check(ok, "rootPath", v, "must be an absolute ZooKeeper path without a trailing '/'");
            this.rootPath = v;
            return this;
        }

        /** Session timeout of the client the switch creates. Default {@link #DEFAULT_SESSION_TIMEOUT}. */
        public Builder sessionTimeout(Duration v) {
            ConfigurationException.check(v != null && v.toMillis() >= 1 && v.toMillis() <= Integer.MAX_VALUE,
                    "sessionTimeout", v, "must be positive");
            this.sessionTimeout = v;
            this.sessionOrConnectionTimeoutSet = true;
            return this;
        }

        /**
         * Connection timeout of the client the switch creates; also how long {@link ZkDegradationSwitch#start()} waits for the
         * first read. Default {@link #DEFAULT_CONNECTION_TIMEOUT}.
         */
        public Builder connectionTimeout(Duration v) {
            ConfigurationException.check(v != null && v.toMillis() >= 1 && v.toMillis() <= Integer.MAX_VALUE,
                    "connectionTimeout", v, "must be positive");
            this.connectionTimeout = v;
            this.sessionOrConnectionTimeoutSet = true;
            return this;
        }

        /**
         * Longest time {@link ZkDegradationSwitch#transition}, {@link ZkDegradationSwitch#history} and {@link ZkDegradationSwitch#liveConsumers} wait for ZooKeeper
         * before giving up. Default {@link #DEFAULT_OPERATION_TIMEOUT}.
         */
        public Builder operationTimeout(Duration v) {
            ConfigurationException.check(v != null && v.toMillis() >= 1 && v.toMillis() <= Integer.MAX_VALUE,
                    "operationTimeout", v, "must be positive");
            this.operationTimeout = v;
            return this;
        }

        /**
         * Credentials the created client authenticates with, e.g. {@code ("digest", "user:password")}. Never
         * logged. Not allowed with a shared {@link #client(CuratorFramework)}: authenticate that client instead.
         */
        public Builder authorization(String scheme, String auth) {
            ConfigurationException.check(scheme != null && !scheme.isBlank(), "authorization scheme", scheme,
                    "must not be blank");
            ConfigurationException.check(auth != null && !auth.isEmpty(), "authorization", mask(auth),
                    "must not be empty");
            if ("digest".equals(scheme)) {
                ConfigurationException.check(auth.indexOf(':') > 0, "authorization", mask(auth),
                        "must be user:password for the digest scheme");
            }
            this.authScheme = scheme;
            this.authBytes = auth.getBytes(StandardCharsets.UTF_8);
            return this;
        }

        /**
         * Digest identities ({@code user:base64(sha1(user:password))}, see {@link ZkDegradationSwitch#digestIdentity}) that may
         * write the switch and its history. Empty (the default) leaves the switch writable by anyone. Every
         * instance of a namespace must be given the same list: whoever creates the nodes first sets the ACL.
         */
        public Builder writers(List<String> v) {
            ConfigurationException.check(v != null, "writers", v, "must not be null");
            for (String id : v) {
                ConfigurationException.check(id != null && DIGEST_ID.matcher(id).matches(), "writers entry",
                        mask(id), "must be a digest identity user:BASE64(SHA1(user:password)) "
                                + "(ZkDegradationSwitch.digestIdentity(user, password))");
            }
            this.writers = List.copyOf(v);
            return this;
        }

        /**
         * Whether this instance joins the namespace's leader election (default {@code true}). Set it to
         * {@code false} for operator tools and monitors: a leader runs the prober and the drain decision, so
         * a client that holds leadership without running a SmartMQ engine would leave a degraded namespace
         * unrecovered and an expired drill never handed back. Such a client is never the leader.
         */
        public Builder joinElection(boolean v) {
            this.joinElection = v;
            return this;
        }

        /** Applied transitions kept under {@code history}. Default {@link #DEFAULT_HISTORY_SIZE}. */
        public Builder historySize(int v) {
            ConfigurationException.check(v >= 1 && v <= 10_000, "historySize", v, "must be between 1 and 10000");
            this.historySize = v;
            return this;
        }

        /** This instance's name in the election and its registrations. Default {@code host/pid/random}. */
        public Builder instanceId(String v) {
            ConfigurationException.check(v != null && !v.isBlank() && v.length() <= 200, "instanceId", v,
                    "must be 1-200 characters");
            this.instanceId = v;
            return this;
        }

        /** Validates combinations and builds a switch (not started). */
        public ZkDegradationSwitch build() {
            ConfigurationException.check(connectString != null ^ client != null, "connectString/client",
                    connectString == null ? "neither" : "both", "exactly one must be set");
            if (client != null) {
                ConfigurationException.check(authScheme == null, "authorization", authScheme + ":****",
                        "cannot be added to a shared client; authenticate the client you pass in");
                ConfigurationException.check(!sessionOrConnectionTimeoutSet, "sessionTimeout/connectionTimeout",
                        sessionTimeout + "/" + connectionTimeout, "apply to a client the switch creates; "
                                + "configure the shared client instead");
            }
            return new ZkDegradationSwitch(this);
        }

        @Override
        public String toString() {
            List<String> writerNames = new ArrayList<>();
            for (String w : writers) {
                writerNames.add(w.substring(0, w.indexOf(':')) + ":****");
            }
            return "namespace=" + namespace + ", rootPath=" + rootPath
                    + ", connectString=" + (connectString != null ? connectString : "(shared client)")
                    + ", authorization=" + (authScheme == null ? "none"
                        : authScheme + ":" + mask(new String(authBytes, StandardCharsets.UTF_8)))
                    + ", writers=" + writerNames + ", instanceId=" + instanceId;
        }

        private static String mask(String secret) {
            if (secret == null) {
                return null;
            }
            int colon = secret.indexOf(':');
            return colon > 0 ? secret.substring(0, colon) + ":****" : "****";
        }

        private static String defaultInstanceId() {
            String host;
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                host = "unknown-host";
            }
            return host + "/" + ProcessHandle.current().pid() + "/" + UUID.randomUUID().toString().substring(0, 8);
        }
    }
}
