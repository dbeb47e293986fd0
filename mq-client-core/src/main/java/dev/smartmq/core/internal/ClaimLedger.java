package dev.smartmq.core.internal;

import dev.smartmq.api.Route;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.FallbackStore;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fallback messages this consumer has claimed and not yet acked, released or dead-lettered, and the store
 * writes of those outcomes that failed and wait to be written again.
 *
 * <p><b>Invariant: whoever removes an entry owns its outcome.</b> {@link #track} adds the claimed messages;
 * {@link #ack}, {@link #release} and {@link #deadLetter} each first remove the entry, and only the caller whose
 * removal succeeded writes the outcome to the store. A caller that finds the entry gone writes nothing. So every
 * claim gets exactly one outcome, even when a worker, {@code unsubscribe} and {@code close} race for it; an
 * outcome whose store write fails is kept and written again by {@link #retryPendingStoreOps} (never dropped).
 *
 * <p>Threads: safe for any number of threads (concurrent sets and queue; the rule above needs no lock).
 */
final class ClaimLedger {
    private static final Logger log = LoggerFactory.getLogger(ClaimLedger.class);

    private final FallbackStore store;
    private final EngineMetrics metrics;
    private final int maxDeliveryAttempts;
    private final Set<ClaimedMessage> inFlight = ConcurrentHashMap.newKeySet();
    /** Claimed messages that failed and wait for an in-memory retry: released with the attempt counted. */
    private final Set<ClaimedMessage> awaitingRetry = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<Runnable> pendingStoreOps = new ConcurrentLinkedQueue<>();

    ClaimLedger(FallbackStore store, EngineMetrics metrics, int maxDeliveryAttempts) {
        this.store = store;
        this.metrics = metrics;
        this.maxDeliveryAttempts = maxDeliveryAttempts;
    }

    /** Records freshly claimed messages (the claimer calls this before handing any of them to a handler). */
    void track(Collection<ClaimedMessage> claimed) {
        inFlight.addAll(claimed);
    }

    boolean isTracked(ClaimedMessage m) {
        return inFlight.contains(m);
    }

    int size() {
        return inFlight.size();
    }

    /** Acks those of {@code messages} this caller removed, in one store write. */
    void ack(List<ClaimedMessage> messages) {
        List<ClaimedMessage> mine = new ArrayList<>(messages.size());
        for (ClaimedMessage m : messages) {
            if (inFlight.remove(m)) {
                mine.add(m);
            }
        }
        if (mine.isEmpty()) {
            return;
        }
        runOrKeep(() -> {
            store.ackAll(mine);
            metrics.drained.mark(mine.size());
        }, "ack");
    }

    /** Returns {@code messages} to their shard head uncounted, the last first, so the shard keeps its order. */
    void releaseUnhandled(List<ClaimedMessage> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            release(messages.get(i), false);
        }
    }

    /** Returns {@code m} to its shard head if this caller removed it. */
    void release(ClaimedMessage m, boolean countAttempt) {
        if (inFlight.remove(m)) {
            awaitingRetry.remove(m);
            runOrKeep(() -> store.release(m, countAttempt), "release");
        }
    }

    /** Dead-letters {@code m} after its last allowed delivery {@code attempt} if this caller removed it. */
    void deadLetter(ClaimedMessage m, int attempt, String reason) {
        if (inFlight.remove(m)) {
            String why = "delivery attempt " + attempt + " of " + maxDeliveryAttempts + " failed: " + reason;
            runOrKeep(() -> {
                store.deadLetter(m, why);
                metrics.deadLettered.mark();
                metrics.traffic.deadLettered(m.topic(), m.group(), Route.FALLBACK);
                metrics.drained.mark();
            }, "dead-letter");
            log.warn("SmartMQ: message {} of ({}, {}) dead-lettered after {} delivery attempts", m.envelope().id(),
                    m.topic(), m.group(), attempt);
        }
    }

    /** {@code m} failed and waits for an in-memory retry: if released meanwhile, its attempt counts. */
    void awaitRetry(ClaimedMessage m) {
        awaitingRetry.add(m);
    }

    /** The retry of {@code m} is due: {@code true} if it is still ours to deliver. */
    boolean startRetry(ClaimedMessage m) {
        awaitingRetry.remove(m);
        return inFlight.contains(m);
    }

    /** Releases matching claims: those awaiting a retry counted, the rest uncounted. Returns how many. */
    int releaseAll(Predicate<ClaimedMessage> which) {
        int n = 0;
        for (ClaimedMessage m : new ArrayList<>(inFlight)) {
            if (which.test(m)) {
                boolean failedBefore = awaitingRetry.contains(m);
                release(m, failedBefore);
                n++;
            }
        }
        return n;
    }

    /** Writes again the outcomes whose store write failed, in order, until one fails again. */
    void retryPendingStoreOps() {
        for (int n = pendingStoreOps.size(); n > 0; n--) {
            Runnable op = pendingStoreOps.poll();
            if (op == null) {
                return;
            }
            try {
                op.run();
            } catch (RuntimeException e) {
                pendingStoreOps.add(op);
                return;
            }
        }
    }

    /** How many outcomes wait to be written. */
    int pendingStoreOps() {
        return pendingStoreOps.size();
    }

    private void runOrKeep(Runnable op, String what) {
        try {
            op.run();
        } catch (RuntimeException e) {
            log.warn("SmartMQ: fallback store {} failed ({}); retrying in the background", what, e.getMessage());
            pendingStoreOps.add(op);
        }
    }
}
