package dev.smartmq.rocketmq.internal;

import java.time.Duration;

/**
 * RocketMQ's default delay levels ({@code messageDelayLevel} = 1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m
 * 30m 1h 2h) and the level nearest to a wanted back-off: a CONCURRENT redelivery can only wait one of those.
 * Stateless.
 */
public final class DelayLevels {

    private static final long[] SECONDS = {1, 5, 10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200,
            1800, 3600, 7200};

    private DelayLevels() {
    }

    /** The 1-based level whose delay is nearest to {@code backoff} on a log scale (1 s for anything shorter). */
    public static int nearest(Duration backoff) {
        double wanted = Math.max(1.0, backoff.toMillis() / 1000.0);
        int best = 0;
        double bestDistance = Double.MAX_VALUE;
        for (int i = 0; i < SECONDS.length; i++) {
            double distance = Math.abs(Math.log(SECONDS[i] / wanted));
            if (distance < bestDistance) {
                bestDistance = distance;
                best = i;
            }
        }
        return best + 1;
    }

    /** How many levels there are (18). */
    public static int count() {
        return SECONDS.length;
    }

    /** The delay of level {@code level} (1-based). */
    public static Duration delayOf(int level) {
        return Duration.ofSeconds(SECONDS[level - 1]);
    }
}
