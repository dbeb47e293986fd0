package dev.smartmq.zookeeper.internal;

import dev.smartmq.api.internal.NamedThreadFactory;
import dev.smartmq.spi.SwitchUnavailableException;
import dev.smartmq.zookeeper.ZkSettings;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.apache.curator.retry.BoundedExponentialBackoffRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the parts of one ZooKeeper coordination share: the settings, the node layout, the Curator client (created
 * and closed here, or shared and never closed), the lifecycle, and two thread pools: the serial
 * {@code events} executor ({@code smartmq-zk-switch-<namespace>-events-<n>}) that runs connection states, cache
 * events, re-reads, leadership and registration work one at a time, and the {@code background} pool for
 * best-effort work that must not hold it up (history pruning, unregistering).
 *
 * <p>Thread rules: {@link #open()} and {@link #close()} are called once each by the coordination's owner thread;
 * everything else may be called from any thread. The client and executors are published through volatile
 * fields.
 */
public final class ZkSession {
    private static final Logger log = LoggerFactory.getLogger(ZkSession.class);

    /** LATENT until {@link #open()}, STARTED until {@link #markClosed()}. */
    public enum Lifecycle { LATENT, STARTED, CLOSED }

    private final ZkSettings settings;
    private final ZkLayout layout;
    private final AtomicReference<Lifecycle> lifecycle = new AtomicReference<>(Lifecycle.LATENT);
    private volatile CuratorFramework client;
    private volatile ExecutorService events;
    private volatile ExecutorService background;
    /** Curator's runSafe() executor of the client created here (null with a shared client). */
    private volatile ExecutorService curatorRunSafe;

    public ZkSession(ZkSettings settings) {
        this.settings = settings;
        this.layout = new ZkLayout(settings.rootPath(), settings.namespace());
        this.client = settings.client();
    }

    public ZkSettings settings() {
        return settings;
    }

    public ZkLayout layout() {
        return layout;
    }

    public String namespace() {
        return settings.namespace();
    }

    public Lifecycle lifecycle() {
        return lifecycle.get();
    }

    public boolean isStarted() {
        return lifecycle.get() == Lifecycle.STARTED;
    }

    /** The client; null before {@link #open()} when the session creates its own. */
    public CuratorFramework client() {
        return client;
    }

    /** The serial event executor. */
    public ExecutorService events() {
        return events;
    }

    /** Starts the executors and the client (creating it unless shared). */
    public CuratorFramework open() {
        if (!lifecycle.compareAndSet(Lifecycle.LATENT, Lifecycle.STARTED)) {
            throw new IllegalStateException("start() may be called once, but the switch is " + lifecycle.get());
        }
        String role = "zk-switch-" + settings.namespace();
        events = Executors.newSingleThreadExecutor(new NamedThreadFactory(role + "-events"));
        background = Executors.newFixedThreadPool(2, new NamedThreadFactory(role + "-background"));
        if (settings.ownsClient()) {
            CuratorFrameworkFactory.Builder cb = CuratorFrameworkFactory.builder()
                    .connectString(settings.connectString())
                    .sessionTimeoutMs((int) settings.sessionTimeout().toMillis())
                    .connectionTimeoutMs((int) settings.connectionTimeout().toMillis())
                    .retryPolicy(new BoundedExponentialBackoffRetry(100, 2_000, 10))
                    .threadFactory(new NamedThreadFactory(role + "-curator"))
                    // Curator's close() never shuts down the executor it makes for runSafe(); ours is shut below.
                    .runSafeService(curatorRunSafe = Executors.newSingleThreadExecutor(
                            new NamedThreadFactory(role + "-curator-runsafe")));
            if (settings.authScheme() != null) {
                cb.authorization(settings.authScheme(), settings.authorization());
            }
            client = cb.build();
            client.start();
        } else if (client.getState() == CuratorFrameworkState.LATENT) {
            client.start();
        }
        return client;
    }

    /** Marks the session closed; returns whether it was started (only then is there anything to close). */
    public boolean markClosed() {
        return lifecycle.getAndSet(Lifecycle.CLOSED) == Lifecycle.STARTED;
    }

    /** After {@link #markClosed()}: stops the executors, then closes a created client. */
    public void close() {
        long waitMs = settings.operationTimeout().toMillis();
        events.shutdown();
        background.shutdown();
        try {
            if (!background.awaitTermination(waitMs, TimeUnit.MILLISECONDS)) {
                background.shutdownNow();
            }
            if (!events.awaitTermination(waitMs, TimeUnit.MILLISECONDS)) {
                events.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            events.shutdownNow();
            background.shutdownNow();
        }
        if (settings.ownsClient()) {
            client.close();
            ExecutorService runSafe = curatorRunSafe;
            if (runSafe != null) {
                runSafe.shutdown();
                try {
                    if (!runSafe.awaitTermination(waitMs, TimeUnit.MILLISECONDS)) {
                        runSafe.shutdownNow();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    runSafe.shutdownNow();
                }
            }
        }
    }

    /** The client, if started and not closed. */
    public CuratorFramework requireStarted() {
        Lifecycle s = lifecycle.get();
        if (s != Lifecycle.STARTED) {
            throw new IllegalStateException("the switch must be started (and not closed), but it is " + s);
        }
        return client;
    }

    /** A deadline of one operation timeout from now ({@link ZkCalls#deadline}). */
    public long deadline() {
        return ZkCalls.deadline(settings.operationTimeout());
    }

    /** Waits for the connection until {@code deadline}; throws {@link SwitchUnavailableException} if it does not come. */
    public void awaitConnected(CuratorFramework c, long deadline) {
        try {
            if (!c.blockUntilConnected((int) Math.max(1, ZkCalls.remainingMillis(deadline)), TimeUnit.MILLISECONDS)) {
                throw new SwitchUnavailableException("ZooKeeper " + settings.connectTarget()
                        + " is not reachable (waited " + settings.operationTimeout().toMillis()
                        + " ms); nothing changed", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SwitchUnavailableException("interrupted while waiting for ZooKeeper; nothing changed", e);
        }
    }

    /** Runs {@code task} on the serial executor; dropped (with a debug line) when closing. */
    public void runOnEvents(Runnable task) {
        ExecutorService e = events;
        if (e == null || e.isShutdown()) {
            return;
        }
        try {
            e.execute(task);
        } catch (RejectedExecutionException ex) {
            log.debug("SmartMQ switch [{}]: closing, task dropped", settings.namespace());
        }
    }

    /** Runs {@code task} on the background pool; throws {@link RejectedExecutionException} when closing. */
    public void runInBackground(Runnable task) {
        background.execute(task);
    }
}
