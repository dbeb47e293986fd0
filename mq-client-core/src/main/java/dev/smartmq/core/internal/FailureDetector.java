package dev.smartmq.core.internal;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts consecutive infrastructure failures of MQ sends of one SmartMQ instance (DESIGN.md §4). A success
 * resets the count; input errors are never recorded here. Reaching the threshold is a request to degrade,
 * which {@link SwitchTracker} may still refuse (dwell time, manual mode).
 */
final class FailureDetector {
    private final int threshold;
    private final AtomicInteger consecutive = new AtomicInteger();

    FailureDetector(int threshold) {
        this.threshold = threshold;
    }

    /** @return whether the count has reached the threshold with this failure */
    boolean recordInfrastructureFailure() {
        return consecutive.incrementAndGet() >= threshold;
    }

    void recordSuccess() {
        // Avoids a write (and cache-line ping-pong between sender threads) on the common path.
        if (consecutive.get() != 0) {
            consecutive.set(0);
        }
    }

    /** A new switch state starts a fresh count. */
    void reset() {
        consecutive.set(0);
    }

    int consecutiveFailures() {
        return consecutive.get();
    }

    int threshold() {
        return threshold;
    }
}
