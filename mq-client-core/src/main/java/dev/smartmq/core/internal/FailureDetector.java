package dev.smartmq.core.internal;

import dev.smartmq.api.SmartMQConfig;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Decides, from the outcomes of one SmartMQ instance's MQ sends, when the evidence says the MQ cluster as a whole
 * cannot take messages (DESIGN.md §4). Two rules, either trips:
 * <ul>
 *   <li><b>consecutive failures</b> (the seed's rule): {@code failureThreshold} (N) failures in a row; a success
 *       resets the count;</li>
 *   <li><b>brownout</b> (optional, Resilience4j's count-based sliding window): over the latest
 *       {@code brownoutWindowSize} (W) sends, once at least {@code brownoutMinimumCalls} are in it, a failure rate
 *       of at least {@code brownoutFailureRateThreshold}% or a slow-call rate (successes slower than
 *       {@code brownoutSlowCallDuration}) of at least {@code brownoutSlowCallRateThreshold}%. A window of 0 turns
 *       it off.</li>
 * </ul>
 * Only outcomes that say something about the cluster are recorded here: successes, and infrastructure failures the
 * transport could not attribute to one broker or one topic. Input errors, failures of a broker the transport isolates
 * locally while others serve, and topics without a route never reach the detector. Tripping is a request to degrade,
 * which {@link SwitchTracker} may still refuse (dwell time, manual mode).
 *
 * <p>Thread rules: called concurrently by every sender thread (and MQ callback threads for async sends); lock-free.
 * The window is a ring of slots claimed with one atomic increment; its failure and slow counters are kept by the
 * writer that replaces a slot, so a reader sees rates that are exact once writers are quiet and within a few
 * in-flight sends while they race, which is all a threshold of tens of percent needs.
 */
final class FailureDetector {
    private static final int EMPTY = 0;
    private static final int OK = 1;
    private static final int SLOW = 2;
    private static final int FAILED = 3;

    private final int threshold;
    private final AtomicInteger consecutive = new AtomicInteger();

    private final int windowSize;
    private final int minimumCalls;
    private final int failureRatePercent;
    private final int slowRatePercent;
    private final long slowNanos;
    private final AtomicIntegerArray ring;
    private final AtomicLong calls = new AtomicLong();
    private final AtomicInteger failures = new AtomicInteger();
    private final AtomicInteger slows = new AtomicInteger();

    FailureDetector(SmartMQConfig config) {
        this.threshold = config.failureThreshold();
        this.windowSize = config.brownoutWindowSize();
        this.minimumCalls = config.brownoutMinimumCalls();
        this.failureRatePercent = config.brownoutFailureRateThreshold();
        this.slowRatePercent = config.brownoutSlowCallRateThreshold();
        this.slowNanos = config.brownoutSlowCallDuration().toNanos();
        this.ring = windowSize > 0 ? new AtomicIntegerArray(windowSize) : null;
    }

    /**
     * Records a failure that counts against the cluster.
     *
     * @return why the namespace should degrade now, or {@code null} if neither rule trips
     */
    String recordClusterFailure() {
        int n = consecutive.incrementAndGet();
        if (n >= threshold) {
            return n + " consecutive infrastructure failures of MQ sends (threshold " + threshold + ")";
        }
        return window(FAILED);
    }

    /**
     * Records a successful MQ send that took {@code latencyNanos}.
     *
     * @return why the namespace should degrade now (a brownout of slow calls), or {@code null}
     */
    String recordSuccess(long latencyNanos) {
        // Avoids a write (and cache-line ping-pong between sender threads) on the common path.
        if (consecutive.get() != 0) {
            consecutive.set(0);
        }
        return window(latencyNanos >= slowNanos ? SLOW : OK);
    }

    /** A new switch state starts a fresh count and an empty window. */
    void reset() {
        consecutive.set(0);
        if (ring != null) {
            for (int i = 0; i < windowSize; i++) {
                ring.set(i, EMPTY);
            }
            calls.set(0);
            failures.set(0);
            slows.set(0);
        }
    }

    int consecutiveFailures() {
        return consecutive.get();
    }

    int threshold() {
        return threshold;
    }

    /** Failure rate of the window in percent, or -1 while it holds fewer than the minimum calls (or is off). */
    int failureRate() {
        long n = callsInWindow();
        return n < minimumCalls || n == 0 ? -1 : (int) (100L * failures.get() / n);
    }

    /** Slow-call rate of the window in percent, or -1 while it holds fewer than the minimum calls (or is off). */
    int slowCallRate() {
        long n = callsInWindow();
        return n < minimumCalls || n == 0 ? -1 : (int) (100L * slows.get() / n);
    }

    private long callsInWindow() {
        return ring == null ? 0 : Math.min(calls.get(), windowSize);
    }

    private String window(int outcome) {
        if (ring == null) {
            return null;
        }
        long seq = calls.getAndIncrement();
        int old = ring.getAndSet((int) (seq % windowSize), outcome);
        if (old != outcome) {
            adjust(old, -1);
            adjust(outcome, 1);
        }
        long n = Math.min(seq + 1, windowSize);
        if (n < minimumCalls) {
            return null;
        }
        int f = failures.get();
        if (outcome == FAILED && 100L * f >= (long) failureRatePercent * n) {
            return "brownout: " + f + " of the last " + n + " MQ sends failed (failure-rate threshold "
                    + failureRatePercent + "%)";
        }
        int s = slows.get();
        if (outcome == SLOW && 100L * s >= (long) slowRatePercent * n) {
            return "brownout: " + s + " of the last " + n + " MQ sends took " + slowNanos / 1_000_000
                    + " ms or longer (slow-call-rate threshold " + slowRatePercent + "%)";
        }
        return null;
    }

    private void adjust(int outcome, int delta) {
        if (outcome == FAILED) {
            failures.addAndGet(delta);
        } else if (outcome == SLOW) {
            slows.addAndGet(delta);
        }
    }
}
