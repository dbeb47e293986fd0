package dev.smartmq.zookeeper.internal;

import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.SwitchAccessDeniedException;
import dev.smartmq.spi.SwitchTransition;
import dev.smartmq.spi.SwitchUnavailableException;
import dev.smartmq.spi.TransitionResult;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.api.transaction.OperationType;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compare-and-set writes of the switch document, each with its history entry. The rule:
 * <ol>
 *   <li>Read the znode (data and version).</li>
 *   <li>The <em>base</em> is the document read, or, if it is unreadable, missing after a document was
 *       seen, or has an epoch below this client's last good one, this client's last good document.</li>
 *   <li>Apply only if {@code expectedEpoch == base.epoch}. The new epoch is one above the highest epoch
 *       known: the base's, a readable {@code epoch} field of an unreadable document, and the newest
 *       history entry's. So an operator can always replace a malformed document by passing the epoch of
 *       the last good document.</li>
 *   <li>Write in one ZooKeeper transaction: {@code setData} with the version read (or {@code create}
 *       if the znode is absent) plus the history entry. {@code BADVERSION}/{@code NODEEXISTS}: another
 *       writer won; the result carries its document.</li>
 * </ol>
 * Steps 2 and 3 are {@link #plan}, a pure function.
 *
 * <p>Thread rules: thread-safe; {@link #transition} blocks the caller up to one operation timeout.
 */
public final class SwitchWriter {
    private static final Logger log = LoggerFactory.getLogger(SwitchWriter.class);

    /**
     * The decision of one compare-and-set attempt.
     *
     * @param base the document the transition is checked against
     * @param next the document to write, or null when the expected epoch is not the base's (refused)
     */
    public record Plan(SwitchStatus base, SwitchStatus next) {
        public boolean refused() {
            return next == null;
        }
    }

    private final ZkSession session;
    private final ZkLayout layout;
    private final SwitchDocumentCodec codec;
    private final SwitchWatcher watcher;
    private final SwitchHistory history;
    private final NamespaceBootstrap bootstrap;

    public SwitchWriter(ZkSession session, SwitchDocumentCodec codec, SwitchWatcher watcher, SwitchHistory history,
                        NamespaceBootstrap bootstrap) {
        this.session = session;
        this.layout = session.layout();
        this.codec = codec;
        this.watcher = watcher;
        this.history = history;
        this.bootstrap = bootstrap;
    }

    /**
     * Steps 2 and 3 of the rule. {@code data} is the znode's content, null when it does not exist;
     * {@code newestHistoryEpoch} is asked only when the document cannot tell the highest epoch.
     */
    public static Plan plan(SwitchTransition t, SwitchStatus lastGood, byte[] data, SwitchDocumentCodec codec,
                            LongSupplier newestHistoryEpoch, Instant now) {
        SwitchStatus base;
        long floor;
        if (data != null && data.length > 0) {
            SwitchStatus doc = tryDecode(codec, data);
            if (doc != null && doc.epoch() >= lastGood.epoch()) {
                base = doc;
                floor = doc.epoch();
            } else {
                // Unreadable or went backwards: the operator's way out is to CAS against the last good epoch.
                base = lastGood;
                OptionalLong salvaged = codec.salvageEpoch(data);
                floor = Math.max(lastGood.epoch(), Math.max(salvaged.orElse(0), newestHistoryEpoch.getAsLong()));
            }
        } else {
            // No document (never written, blanked or deleted): history remembers the highest epoch applied.
            base = lastGood;
            floor = Math.max(lastGood.epoch(), newestHistoryEpoch.getAsLong());
        }
        if (t.expectedEpoch() != base.epoch()) {
            return new Plan(base, null);
        }
        return new Plan(base, new SwitchStatus(t.target(), t.mode(), t.reason(), t.actor(),
                now.truncatedTo(ChronoUnit.MILLIS), t.expiresAt(), floor + 1));
    }

    /** The compare-and-set; see the class comment. */
    public TransitionResult transition(SwitchTransition transition) {
        Objects.requireNonNull(transition, "transition");
        CuratorFramework c = session.requireStarted();
        long deadline = session.deadline();
        session.awaitConnected(c, deadline);
        try {
            return attempt(c, transition, deadline);
        } catch (RetryAfterBootstrap first) {
            bootstrap.bootstrap(c, deadline);
            try {
                return attempt(c, transition, deadline);
            } catch (RetryAfterBootstrap again) {
                throw new SwitchUnavailableException("the nodes of namespace " + session.namespace()
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

    private TransitionResult attempt(CuratorFramework c, SwitchTransition t, long deadline) {
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
        SwitchStatus lastGood = watcher.current();
        if (data != null && data.length > 0) {
            watcher.observe(data, read.getStat(), "transition");
        }
        Plan plan = plan(t, lastGood, data, codec, () -> history.newestEpoch(c, deadline), Instant.now());
        if (plan.refused()) {
            return new TransitionResult(false, plan.base());
        }
        SwitchStatus base = plan.base();
        SwitchStatus next = plan.next();
        byte[] bytes = codec.encode(next);
        int version = exists ? read.getStat().getVersion() : -1;
        CuratorEvent write = ZkCalls.call(deadline, "compare-and-set of " + layout.switchPath(), cb -> {
            CuratorOp swap = exists
                    ? c.transactionOp().setData().withVersion(version).forPath(layout.switchPath(), bytes)
                    : c.transactionOp().create().withMode(CreateMode.PERSISTENT).withACL(bootstrap.writerAcl())
                        .forPath(layout.switchPath(), bytes);
            CuratorOp record = c.transactionOp().create().withMode(CreateMode.PERSISTENT_SEQUENTIAL)
                    .withACL(bootstrap.writerAcl()).forPath(layout.historyPath() + "/" + ZkLayout.HISTORY_PREFIX, bytes);
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
                        + "(epoch {})", session.namespace(), t.target(), t.expectedEpoch(), t.actor(),
                        winner.state(), winner.epoch());
                return new TransitionResult(false, winner);
            }
            case NOAUTH:
                throw new SwitchAccessDeniedException("this identity may not change the switch of namespace "
                        + session.namespace() + " (ZooKeeper ACL on " + layout.switchPath() + "); nothing changed",
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
        log.warn("SmartMQ switch [{}] {} -> {} (epoch {} -> {}, mode {}{}) by {}: {}", session.namespace(),
                from.state(), to.state(), from.epoch(), to.epoch(), to.mode(),
                to.expiresAt() == null ? "" : ", expires " + to.expiresAt(), to.changedBy(), to.reason());
        watcher.applied(to, mzxid);
        try {
            session.runInBackground(history::prune);
        } catch (RejectedExecutionException closing) {
            // closing: the next writer prunes
        }
    }

    private SwitchStatus reread(CuratorFramework c, long deadline) {
        CuratorEvent e = ZkCalls.call(deadline, "re-read of " + layout.switchPath(),
                cb -> c.getData().inBackground(cb).forPath(layout.switchPath()));
        KeeperException.Code rc = ZkCalls.code(e);
        if (rc == KeeperException.Code.OK) {
            watcher.observe(e.getData(), e.getStat(), "re-read");
            SwitchStatus doc = tryDecode(codec, e.getData());
            return doc != null ? doc : watcher.current();
        }
        if (rc == KeeperException.Code.NONODE) {
            return watcher.current();
        }
        throw ZkCalls.unavailable("re-read of " + layout.switchPath(), rc);
    }

    private static SwitchStatus tryDecode(SwitchDocumentCodec codec, byte[] data) {
        if (data == null || data.length == 0) {
            return null;
        }
        try {
            return codec.decode(data);
        } catch (MalformedSwitchDocumentException e) {
            return null;
        }
    }
}
