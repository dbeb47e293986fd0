package dev.smartmq.chaos;

import dev.smartmq.api.SmartMQConfig;
import java.time.Duration;

/**
 * Test-friendly timings of every SmartMQ instance of the chaos suite, and the run length.
 *
 * <p>Short runs by default (the whole module in a few minutes on 2 cores). Two system properties make runs
 * longer, both off by default:
 * <ul>
 *   <li>{@code -Dsmartmq.soak=true}: every "keep the load running" phase lasts {@value #SOAK_FACTOR} times longer
 *       and the load generators may send {@value #SOAK_FACTOR} times more messages;</li>
 *   <li>{@code -Dsmartmq.chaos.durationSeconds=N}: the main faulted phase of each row lasts N seconds (the
 *       flapping row flaps for N seconds).</li>
 * </ul>
 */
final class ChaosSettings {

    static final String SOAK_PROPERTY = "smartmq.soak";
    static final String DURATION_PROPERTY = "smartmq.chaos.durationSeconds";
    static final int SOAK_FACTOR = 10;

    /** N: consecutive infrastructure failures that degrade. */
    static final int FAILURE_THRESHOLD = 5;
    /** K: consecutive probe successes that start the recovery. */
    static final int PROBE_SUCCESS_THRESHOLD = 3;
    static final Duration PROBE_INTERVAL = Duration.ofMillis(500);
    static final Duration PROBE_TIMEOUT = Duration.ofMillis(500);
    static final Duration MIN_DWELL_TIME = Duration.ofSeconds(2);
    static final Duration DRAIN_CHECK_INTERVAL = Duration.ofMillis(300);
    static final Duration SEND_TIMEOUT = Duration.ofSeconds(1);
    static final Duration NORMAL_SWEEP_INTERVAL = Duration.ofSeconds(1);
    static final Duration ORPHAN_REAP_INTERVAL = Duration.ofSeconds(1);
    static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(3);
    static final int CLAIM_BATCH_SIZE = 16;
    static final int CONSUMER_THREADS = 2;
    /** Fallback shards per (topic, group): few, so that idle sweeping stays cheap on a shared 2-core box. */
    static final int SHARDS = 16;
    /** ZooKeeper session of every SmartMQ instance: short, so that a lost session is noticed within the row. */
    static final Duration ZK_SESSION_TIMEOUT = Duration.ofSeconds(5);
    static final Duration ZK_OPERATION_TIMEOUT = Duration.ofSeconds(2);
    static final Duration REDIS_TIMEOUT = Duration.ofSeconds(1);

    /** Longest wait for any switch state or drain condition of a row. */
    static final Duration STATE_TIMEOUT = Duration.ofSeconds(60);
    /** Longest wait for every acknowledged message to reach every group after the last fault ended. */
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(90);

    private ChaosSettings() {
    }

    static boolean soak() {
        return Boolean.getBoolean(SOAK_PROPERTY);
    }

    /** Multiplier of load phases and message bounds: {@value #SOAK_FACTOR} in a soak run, else 1. */
    static int factor() {
        return soak() ? SOAK_FACTOR : 1;
    }

    /** A "keep the load running" phase: {@code base}, times {@link #factor()}. */
    static Duration phase(Duration base) {
        return base.multipliedBy(factor());
    }

    /** The main faulted phase of a row: {@value #DURATION_PROPERTY} seconds if set, else {@link #phase}. */
    static Duration faultPhase(Duration base) {
        String v = System.getProperty(DURATION_PROPERTY);
        if (v != null && !v.isBlank()) {
            return Duration.ofSeconds(Long.parseLong(v.trim()));
        }
        return phase(base);
    }

    static SmartMQConfig config(String namespace) {
        return SmartMQConfig.custom()
                .namespace(namespace)
                .failureThreshold(FAILURE_THRESHOLD)
                .probeInterval(PROBE_INTERVAL)
                .probeTimeout(PROBE_TIMEOUT)
                .probeSuccessThreshold(PROBE_SUCCESS_THRESHOLD)
                .minDwellTime(MIN_DWELL_TIME)
                .sendTimeout(SEND_TIMEOUT)
                .drainCheckInterval(DRAIN_CHECK_INTERVAL)
                .normalSweepInterval(NORMAL_SWEEP_INTERVAL)
                .orphanReapInterval(ORPHAN_REAP_INTERVAL)
                .pollBackoffMin(Duration.ofMillis(10))
                .pollBackoffMax(Duration.ofMillis(200))
                .retryBackoffInitial(Duration.ofMillis(100))
                .retryBackoffMax(Duration.ofSeconds(1))
                .claimBatchSize(CLAIM_BATCH_SIZE)
                .consumerThreads(CONSUMER_THREADS)
                .shutdownTimeout(SHUTDOWN_TIMEOUT)
                .build();
    }
}
