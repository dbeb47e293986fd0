package dev.smartmq.spi;

import dev.smartmq.api.SmartMQConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * The one redelivery rule of a subscription, on both paths: how many deliveries a message gets and how long
 * the wait before each redelivery is. The engine hands it to the transport through
 * {@link TransportListener#redelivery()}, so the MQ path retries with the same settings as the fallback path.
 *
 * <p>Back-off of redelivery {@code n} (after failed attempt {@code n}): {@code backoffInitial·2^(n-1)}, at most
 * {@code backoffMax}. Immutable; safe to share between threads.
 *
 * @param maxDeliveryAttempts deliveries of one message before it is dead-lettered, at least 1
 * @param backoffInitial      wait before the first redelivery, positive
 * @param backoffMax          longest wait, at least {@code backoffInitial}
 */
public record RedeliveryPolicy(int maxDeliveryAttempts, Duration backoffInitial, Duration backoffMax) {

    /** SmartMQ's defaults ({@link SmartMQConfig#DEFAULT_MAX_DELIVERY_ATTEMPTS} and the default back-off). */
    public static final RedeliveryPolicy DEFAULT = new RedeliveryPolicy(SmartMQConfig.DEFAULT_MAX_DELIVERY_ATTEMPTS,
            SmartMQConfig.DEFAULT_RETRY_BACKOFF_INITIAL, SmartMQConfig.DEFAULT_RETRY_BACKOFF_MAX);

    public RedeliveryPolicy {
        Objects.requireNonNull(backoffInitial, "backoffInitial");
        Objects.requireNonNull(backoffMax, "backoffMax");
        if (maxDeliveryAttempts < 1) {
            throw new IllegalArgumentException("maxDeliveryAttempts must be at least 1, but was " + maxDeliveryAttempts);
        }
        if (backoffInitial.isNegative() || backoffInitial.isZero() || backoffMax.compareTo(backoffInitial) < 0) {
            throw new IllegalArgumentException("back-off must be positive and backoffMax >= backoffInitial, but was "
                    + backoffInitial + " / " + backoffMax);
        }
    }

    /** The policy of {@code config}'s {@code maxDeliveryAttempts}, {@code retryBackoffInitial} and {@code retryBackoffMax}. */
    public static RedeliveryPolicy of(SmartMQConfig config) {
        return new RedeliveryPolicy(config.maxDeliveryAttempts(), config.retryBackoffInitial(), config.retryBackoffMax());
    }

    /** The wait after failed delivery {@code attempt} (1-based) before the next one. */
    public Duration backoff(int attempt) {
        long max = backoffMax.toNanos();
        long d = backoffInitial.toNanos();
        for (int i = 1; i < attempt && d < max; i++) {
            d *= 2;
        }
        return Duration.ofNanos(Math.min(d, max));
    }

    /** Whether a failure of delivery {@code attempt} (1-based) is the last one allowed. */
    public boolean isLastAttempt(int attempt) {
        return attempt >= maxDeliveryAttempts;
    }
}
