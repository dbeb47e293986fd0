package dev.smartmq.zookeeper.internal;

import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.SwitchListener;
import java.util.concurrent.Executor;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last good switch document and who hears of a new one. Every version seen (by the {@link CuratorCache} watch
 * of the switch znode, a re-read or this client's own transition) comes through {@link #observe}; older versions
 * (by zxid) are dropped silently, an unreadable document or an epoch going backwards is logged at ERROR and
 * ignored, so epochs only grow. Status and reachability changes go to the {@link SwitchListener}s.
 *
 * <p>Thread rules: {@link #current()} never blocks and may be called from any thread. The observe methods may be
 * called from any thread; they serialise on an internal lock, and listeners run on their own executors.
 */
public final class SwitchWatcher {
    private static final Logger log = LoggerFactory.getLogger(SwitchWatcher.class);

    private final ZkSession session;
    private final SwitchDocumentCodec codec;
    private final ListenerFanOut<SwitchListener> listeners;
    private final Object lock = new Object();
    private volatile SwitchStatus current = SwitchStatus.initial();
    private volatile CuratorCache cache;
    // guarded by lock: zxid of the newest znode version seen; older events (a cache catching up after our own
    // write, say) are dropped silently
    private long latestMzxid = -1;
    private boolean loggedMissingDocument;

    public SwitchWatcher(ZkSession session, SwitchDocumentCodec codec) {
        this.session = session;
        this.codec = codec;
        this.listeners = new ListenerFanOut<>(session.namespace());
    }

    /** Starts watching the switch znode; cache events run on the session's serial executor. */
    public void start(CuratorFramework c) {
        CuratorCache sc = CuratorCache.build(c, session.layout().switchPath(), CuratorCache.Options.SINGLE_NODE_CACHE);
        sc.listenable().addListener(CuratorCacheListener.builder()
                .forCreatesAndChanges((before, after) -> observe(after.getData(), after.getStat(), "watch"))
                .forDeletes(gone -> observeMissing("watch"))
                .build(), session.events());
        sc.start();
        cache = sc;
    }

    public void close() {
        CuratorCache sc = cache;
        if (sc != null) {
            sc.close();
        }
    }

    /** The last good document. */
    public SwitchStatus current() {
        return current;
    }

    public void addListener(SwitchListener listener, Executor executor) {
        listeners.add(listener, executor);
    }

    public void removeListener(SwitchListener listener) {
        listeners.remove(listener);
    }

    /** Tells the listeners that ZooKeeper became reachable or unreachable. */
    public void reachabilityChanged(boolean reachable) {
        listeners.fire(l -> l.onReachabilityChanged(reachable));
    }

    /** A version of the switch znode was seen ({@code stat} null: version unknown). */
    public void observe(byte[] data, Stat stat, String source) {
        long mzxid = stat == null ? -1 : stat.getMzxid();
        synchronized (lock) {
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
                        + "Keeping the last good state {} (epoch {}). Raw document: {}", session.namespace(),
                        session.layout().switchPath(), source, e.getMessage(), current.state(), current.epoch(),
                        SwitchDocumentCodec.preview(data));
                return;
            }
            accept(doc, source);
        }
    }

    /** The switch znode is gone: the last good document holds. */
    public void observeMissing(String source) {
        synchronized (lock) {
            if (current.epoch() > 0 && !loggedMissingDocument) {
                loggedMissingDocument = true;
                log.error("SmartMQ switch [{}]: the switch znode {} is gone (seen by {}); keeping the last good "
                        + "state {} (epoch {})", session.namespace(), session.layout().switchPath(), source,
                        current.state(), current.epoch());
            }
        }
    }

    /** This client's own transition was applied (at {@code mzxid}, -1 if unknown). */
    public void applied(SwitchStatus to, long mzxid) {
        synchronized (lock) {
            latestMzxid = Math.max(latestMzxid, mzxid);
            if (to.epoch() > current.epoch()) {
                accept(to, "transition");
            }
        }
    }

    /** Guarded by lock. Epochs only grow: an older or conflicting document is reported and ignored. */
    private void accept(SwitchStatus doc, String source) {
        SwitchStatus prev = current;
        if (doc.equals(prev)) {
            return;
        }
        if (doc.epoch() > prev.epoch()) {
            current = doc;
            loggedMissingDocument = false;
            log.debug("SmartMQ switch [{}]: {} sees {} (epoch {})", session.namespace(), source, doc.state(),
                    doc.epoch());
            listeners.fire(l -> l.onStatusChanged(prev, doc));
            return;
        }
        if (doc.epoch() == 0 && doc.equals(SwitchStatus.initial())) {
            log.error("SmartMQ switch [{}]: IGNORING an empty switch znode seen by {}: this client holds epoch {} "
                    + "({}); the document was blanked by hand", session.namespace(), source, prev.epoch(),
                    prev.state());
        } else {
            log.error("SmartMQ switch [{}]: IGNORING switch document with epoch {} ({}) seen by {}: this client "
                    + "already holds epoch {} ({}); epochs never go backwards", session.namespace(), doc.epoch(),
                    doc.state(), source, prev.epoch(), prev.state());
        }
    }
}
