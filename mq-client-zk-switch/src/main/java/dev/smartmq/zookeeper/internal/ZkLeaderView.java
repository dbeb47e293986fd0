package dev.smartmq.zookeeper.internal;

import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet's leadership as the namespace's instance registry shows it: a {@link CuratorCache} of
 * {@code {root}/{namespace}/instances/}, where every instance writes whether it holds the leadership
 * ({@link ZkInstanceRegistry}). {@link #leader()} answers which instance, if any, says it leads: this one or
 * another, so a health check can tell "no instance of the fleet leads" from "this instance does not lead".
 *
 * <p>What it can say: a leader's entry is written by the leader itself when it takes or loses the leadership and
 * is removed with its ZooKeeper session. An instance killed while leading is still shown until its session expires
 * (the session timeout); then the entry goes, and a new leader's entry appears once it is elected. While this
 * client is cut off from ZooKeeper the cache keeps what it last saw.
 *
 * <p>Thread rules: {@link #start} and {@link #close} once each, from the switch's lifecycle; {@link #leader()}
 * from any thread, never blocks (reads the cache; decoding a few small documents).
 */
public final class ZkLeaderView implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ZkLeaderView.class);

    private final String parentPath;
    private volatile CuratorCache cache;

    public ZkLeaderView(ZkLayout layout) {
        this.parentPath = ZkInstanceRegistry.instancesPath(layout);
    }

    public void start(CuratorFramework client) {
        CuratorCache c = CuratorCache.build(client, parentPath);
        c.start();
        cache = c;
    }

    /** The instance id of the instance whose registry entry says it leads; empty when none does (or not started). */
    public Optional<String> leader() {
        CuratorCache c = cache;
        if (c == null) {
            return Optional.empty();
        }
        String prefix = parentPath + "/";
        return c.stream()
                .filter(d -> d.getPath().startsWith(prefix) && d.getPath().indexOf('/', prefix.length()) < 0)
                .map(this::leaderOf)
                .flatMap(Optional::stream)
                .sorted()
                .findFirst();
    }

    private Optional<String> leaderOf(ChildData d) {
        try {
            ZkInstanceRegistry.Instance i = ZkInstanceRegistry.decode(d.getPath().substring(parentPath.length() + 1),
                    d.getData());
            return i.leader() ? Optional.of(i.report().instanceId()) : Optional.empty();
        } catch (IllegalArgumentException e) {
            log.debug("SmartMQ: instance entry {} skipped by the leader view: {}", d.getPath(), e.getMessage());
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        CuratorCache c = cache;
        cache = null;
        if (c != null) {
            c.close();
        }
    }
}
