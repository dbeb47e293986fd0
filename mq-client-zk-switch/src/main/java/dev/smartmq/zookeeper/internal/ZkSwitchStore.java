package dev.smartmq.zookeeper.internal;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.SwitchListener;
import dev.smartmq.spi.SwitchStore;
import dev.smartmq.spi.SwitchTransition;
import dev.smartmq.spi.TransitionResult;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Executor;
import org.apache.curator.framework.CuratorFramework;

/**
 * The {@link SwitchStore} of a ZooKeeper coordination: reads from the {@link SwitchWatcher} and
 * {@link ZkReachability}, writes through the {@link SwitchWriter}, history from {@link SwitchHistory}, the shard
 * count from {@link NamespaceBootstrap}. Holds no state of its own.
 *
 * <p>Thread rules: as {@link SwitchStore}: any thread; {@link #current()} and {@link #isReachable()} never block,
 * {@link #transition}, {@link #history} and {@link #recordShardCount} block up to one operation timeout.
 */
public final class ZkSwitchStore implements SwitchStore {

    private final ZkSession session;
    private final SwitchWatcher watcher;
    private final ZkReachability reachability;
    private final SwitchWriter writer;
    private final SwitchHistory history;
    private final NamespaceBootstrap bootstrap;

    public ZkSwitchStore(ZkSession session, SwitchWatcher watcher, ZkReachability reachability, SwitchWriter writer,
                         SwitchHistory history, NamespaceBootstrap bootstrap) {
        this.session = session;
        this.watcher = watcher;
        this.reachability = reachability;
        this.writer = writer;
        this.history = history;
        this.bootstrap = bootstrap;
    }

    @Override
    public SwitchStatus current() {
        return watcher.current();
    }

    @Override
    public boolean isReachable() {
        return reachability.isReachable();
    }

    @Override
    public TransitionResult transition(SwitchTransition transition) {
        return writer.transition(transition);
    }

    @Override
    public void addListener(SwitchListener listener, Executor executor) {
        watcher.addListener(listener, executor);
    }

    @Override
    public void removeListener(SwitchListener listener) {
        watcher.removeListener(listener);
    }

    /**
     * Creates {@code shards} (writer ACL) holding {@code shards} if it does not exist, and returns what it holds.
     * Empty while ZooKeeper is unreachable, when the node cannot be created by this identity and does not exist,
     * or when its content is not a shard count (logged at ERROR).
     */
    @Override
    public OptionalInt recordShardCount(int shards) {
        CuratorFramework c = session.requireStarted();
        if (!reachability.isReachable()) {
            return OptionalInt.empty();
        }
        return bootstrap.recordShardCount(c, shards);
    }

    /**
     * The last {@code limit} applied transitions, newest first (each is the document the transition wrote).
     * At most {@code historySize} are kept. Entries this client cannot read are skipped with a log.
     *
     * @throws dev.smartmq.spi.SwitchUnavailableException if ZooKeeper cannot be reached within the operation timeout
     */
    @Override
    public List<SwitchStatus> history(int limit) {
        ConfigurationException.check(limit >= 1, "limit", limit, "must be at least 1");
        CuratorFramework c = session.requireStarted();
        long deadline = session.deadline();
        session.awaitConnected(c, deadline);
        return history.read(c, limit, deadline);
    }
}
