package dev.smartmq.zookeeper.internal;

import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.SwitchUnavailableException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The switch's history: one PERSISTENT_SEQUENTIAL node per applied transition under {@code history/} (written by
 * {@link SwitchWriter} in the same transaction as the switch), read newest first, pruned to the configured size,
 * and asked for the highest epoch ever applied when the switch document itself cannot tell.
 *
 * <p>Thread rules: thread-safe and stateless; every call blocks up to the deadline it is given (or one operation
 * timeout for {@link #prune}).
 */
public final class SwitchHistory {
    private static final Logger log = LoggerFactory.getLogger(SwitchHistory.class);

    private final ZkSession session;
    private final ZkLayout layout;
    private final SwitchDocumentCodec codec;

    public SwitchHistory(ZkSession session, SwitchDocumentCodec codec) {
        this.session = session;
        this.layout = session.layout();
        this.codec = codec;
    }

    /**
     * The last {@code limit} entries, newest first. Entries this client cannot read are skipped with a log.
     *
     * @throws SwitchUnavailableException if ZooKeeper does not answer before {@code deadline}
     */
    public List<SwitchStatus> read(CuratorFramework c, int limit, long deadline) {
        List<String> names = names(c, deadline);
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
                log.error("SmartMQ switch [{}]: skipping unreadable history entry {}: {}", session.namespace(),
                        wanted.get(i), bad.getMessage());
            }
        }
        return out;
    }

    /** The epoch of the newest entry (0 if there is none or it cannot be read). */
    public long newestEpoch(CuratorFramework c, long deadline) {
        List<String> names = names(c, deadline);
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

    /** Deletes the oldest entries beyond the configured size. Best effort: a failure is logged at DEBUG. */
    public void prune() {
        CuratorFramework c = session.client();
        int keep = session.settings().historySize();
        long deadline = session.deadline();
        try {
            List<String> names = names(c, deadline);
            if (names.size() <= keep) {
                return;
            }
            names.sort(Comparator.naturalOrder());
            List<CompletableFuture<CuratorEvent>> deletes = new ArrayList<>();
            for (String old : names.subList(0, names.size() - keep)) {
                deletes.add(ZkCalls.submit(cb -> c.delete().inBackground(cb).forPath(layout.historyPath() + "/" + old)));
            }
            for (CompletableFuture<CuratorEvent> d : deletes) {
                KeeperException.Code rc = ZkCalls.code(ZkCalls.await(d, deadline, "history prune"));
                if (rc != KeeperException.Code.OK && rc != KeeperException.Code.NONODE) {
                    log.debug("SmartMQ switch [{}]: history prune: {}", session.namespace(), rc);
                }
            }
        } catch (SwitchUnavailableException e) {
            log.debug("SmartMQ switch [{}]: history prune skipped: {}", session.namespace(), e.getMessage());
        }
    }

    private List<String> names(CuratorFramework c, long deadline) {
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
}
