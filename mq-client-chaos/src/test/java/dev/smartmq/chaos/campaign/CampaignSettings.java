package dev.smartmq.chaos.campaign;

import dev.smartmq.api.SmartMQConfig;
import java.time.Duration;

/**
 * Timings of every SmartMQ client process of a campaign (the chaos suite's: N = 5, K = 3, probe every 500 ms,
 * {@code minDwellTime} 2 s, {@code sendTimeout} 1 s, ...) and the bounds the checkers judge by. One place, so
 * the client processes and the checkers cannot disagree.
 */
final class CampaignSettings {

    static final int FAILURE_THRESHOLD = 5;
    static final int PROBE_SUCCESS_THRESHOLD = 3;
    static final Duration PROBE_INTERVAL = Duration.ofMillis(500);
    static final Duration PROBE_TIMEOUT = Duration.ofMillis(500);
    static final Duration MIN_DWELL_TIME = Duration.ofSeconds(2);
    static final Duration SEND_TIMEOUT = Duration.ofSeconds(1);
    static final Duration REDIS_TIMEOUT = Duration.ofSeconds(1);
    static final Duration ZK_SESSION_TIMEOUT = Duration.ofSeconds(5);
    static final Duration ZK_OPERATION_TIMEOUT = Duration.ofSeconds(2);
    static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(3);
    static final int SHARDS = 16;
    static final int QUEUES = 4;
    static final int CONSUMER_THREADS = 2;
    static final int CLAIM_BATCH_SIZE = 16;
    /** Switch history entries kept (the SDK's default, 100, is too few for a 30-minute campaign). */
    static final int HISTORY_SIZE = 2_000;

    /** The transport's name server timeout (bounds each route lookup; RocketMQ does at most two per send). */
    static final Duration NAME_SERVER_TIMEOUT = Duration.ofSeconds(3);

    /**
     * The caller's budget: no send may take longer than this, sync or async, before it returns a receipt or
     * throws. The MQ attempt's documented worst case, {@code max(sendTimeout, 2 × nameServerTimeout)} (rocketmq
     * README: an unknown route costs two name server lookups; before session 3 this was {@code sendTimeout} alone,
     * and the 30-minute run flagged two sends that threw after 6.8 and 7.0 s: a route lookup that found no route
     * while every broker was dead, then Redis unavailable) + two Redis timeouts (the fallback write and one
     * reconnect) + 3 s of slack for a shared 2-core machine running a dozen JVMs (GC, scheduling): 11 s.
     */
    static final Duration CALLER_BUDGET = max(SEND_TIMEOUT, NAME_SERVER_TIMEOUT.multipliedBy(2))
            .plus(REDIS_TIMEOUT.multipliedBy(2)).plusSeconds(3);

    /** How long after the last fault healed the fleet must be NORMAL with every backlog 0 and every message in. */
    static final Duration CONVERGENCE_BOUND = Duration.ofSeconds(180);

    /** How long a client process may take to exit after the stop command (close + JVM exit). */
    static final Duration PROCESS_EXIT_BOUND = Duration.ofSeconds(30);

    private CampaignSettings() {
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
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
                .drainCheckInterval(Duration.ofMillis(300))
                .normalSweepInterval(Duration.ofSeconds(1))
                .orphanReapInterval(Duration.ofSeconds(1))
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
