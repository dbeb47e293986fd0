package dev.smartmq.zookeeper;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.SwitchListener;
import dev.smartmq.spi.SwitchTransition;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.AsyncCallback;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.LoggerFactory;

/** Switches and listeners for the ITs; every switch made here is closed by {@link #close()}. */
final class SwitchFixtures implements AutoCloseable {

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final AtomicInteger names = new AtomicInteger();

    /** A started switch with test-sized timeouts, on its own client. */
    ZkDegradationSwitch start(String connectString, String namespace, UnaryOperator<ZkDegradationSwitch.Builder> more) {
        ZkDegradationSwitch sw = more.apply(ZkDegradationSwitch.builder()
                .connectString(connectString)
                .namespace(namespace)
                .instanceId("it-" + names.incrementAndGet())
                .sessionTimeout(Duration.ofSeconds(6))
                .connectionTimeout(Duration.ofSeconds(3))
                .operationTimeout(Duration.ofSeconds(3))).build();
        sw.start();
        synchronized (toClose) {
            toClose.add(0, sw);
        }
        return sw;
    }

    ZkDegradationSwitch start(String connectString, String namespace) {
        return start(connectString, namespace, b -> b);
    }

    /** A started switch on a shared client the test controls (to expire its session, say). */
    ZkDegradationSwitch startShared(CuratorFramework client, String namespace) {
        ZkDegradationSwitch sw = ZkDegradationSwitch.builder().client(client).namespace(namespace)
                .instanceId("it-shared-" + names.incrementAndGet())
                .operationTimeout(Duration.ofSeconds(3)).build();
        sw.start();
        synchronized (toClose) {
            toClose.add(0, sw);
        }
        return sw;
    }

    CuratorFramework client(String connectString, int sessionTimeoutMs) {
        return client(CuratorFrameworkFactory.builder().connectString(connectString)
                .sessionTimeoutMs(sessionTimeoutMs).connectionTimeoutMs(3000)
                .retryPolicy(new ExponentialBackoffRetry(100, 5, 1000)));
    }

    CuratorFramework client(CuratorFrameworkFactory.Builder builder) {
        CuratorFramework c = builder.build();
        c.start();
        synchronized (toClose) {
            toClose.add(c);  // closed after the switches that share it
        }
        return c;
    }

    static SwitchTransition to(SwitchStatus from, SwitchState target, String actor) {
        return new SwitchTransition(from.epoch(), target, SwitchMode.AUTO, "test " + from.state() + "->" + target,
                actor, null);
    }

    static SwitchState nextState(SwitchState s) {
        return SwitchState.values()[(s.ordinal() + 1) % SwitchState.values().length];
    }

    /**
     * Captures log events of the switch (to prove a malformed document was seen and ignored): of every class of the
     * adapter, which logs from its {@code internal} parts.
     */
    static ListAppender<ILoggingEvent> captureLogs() {
        Logger logger = (Logger) LoggerFactory.getLogger(ZkDegradationSwitch.class.getPackageName());
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        return appender;
    }

    static long errorsContaining(ListAppender<ILoggingEvent> logs, String text) {
        return logs.list.stream().filter(e -> e.getLevel() == Level.ERROR)
                .filter(e -> e.getFormattedMessage().contains(text)).count();
    }

    @Override
    public void close() {
        List<AutoCloseable> all;
        synchronized (toClose) {
            all = new ArrayList<>(toClose);
            toClose.clear();
        }
        RuntimeException failure = null;
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("closing a fixture failed", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Records every callback in order, with the time each status epoch was first seen. */
    static final class Recorder implements SwitchListener {
        final List<String> events = new CopyOnWriteArrayList<>();
        final Map<Long, Long> seenAtNanos = new ConcurrentHashMap<>();
        final List<SwitchStatus> statuses = new CopyOnWriteArrayList<>();

        @Override
        public void onStatusChanged(SwitchStatus previous, SwitchStatus current) {
            seenAtNanos.putIfAbsent(current.epoch(), System.nanoTime());
            statuses.add(current);
            events.add("status:" + current.epoch());
        }

        @Override
        public void onReachabilityChanged(boolean reachable) {
            events.add("reachable:" + reachable);
        }

        @Override
        public void onLeadershipChanged(boolean leader) {
            events.add("leader:" + leader);
        }
    }

    /**
     * The real ZooKeeper client, recording (in call order) each sync, each unwatched read of a {@code /switch} node
     * ({@code "read <path>"}) and each unwatched children list ({@code "children <path>"}): for tests of which
     * reads are synced with the leader first (ZooKeeper reads are not linearizable). Thread-safe (a concurrent list).
     */
    static final class RecordingZooKeeper extends ZooKeeper {
        private final List<String> calls;

        RecordingZooKeeper(String connect, int timeout, Watcher watcher, boolean readOnly, List<String> calls)
                throws IOException {
            super(connect, timeout, watcher, readOnly);
            this.calls = calls;
        }

        @Override
        public void getData(String path, boolean watch, AsyncCallback.DataCallback cb, Object ctx) {
            if (!watch && path.endsWith("/switch")) {
                calls.add("read " + path);
            }
            super.getData(path, watch, cb, ctx);
        }

        @Override
        public void getData(String path, Watcher watcher, AsyncCallback.DataCallback cb, Object ctx) {
            if (watcher == null && path.endsWith("/switch")) {
                calls.add("read " + path);
            }
            super.getData(path, watcher, cb, ctx);
        }

        @Override
        public void getChildren(String path, boolean watch, AsyncCallback.Children2Callback cb, Object ctx) {
            if (!watch) {
                calls.add("children " + path);
            }
            super.getChildren(path, watch, cb, ctx);
        }

        @Override
        public void getChildren(String path, Watcher watcher, AsyncCallback.Children2Callback cb, Object ctx) {
            if (watcher == null) {
                calls.add("children " + path);
            }
            super.getChildren(path, watcher, cb, ctx);
        }

        @Override
        public void sync(String path, AsyncCallback.VoidCallback cb, Object ctx) {
            calls.add("sync " + path);
            super.sync(path, cb, ctx);
        }
    }
}
