package dev.smartmq.core.internal;

import dev.smartmq.spi.IdempotencyGuard;
import java.time.Duration;

/**
 * The idempotency settings a consumer hands to its {@link HandlerInvoker}: the guard ({@code null} for none), how
 * long a handled id is remembered, and how long one delivery holds an id's lease. Its one job: carry these three
 * together, so the consumer's constructor does not take them one by one.
 *
 * <p>Thread rules: an immutable value, safe to share between threads.
 */
record HandlerIdempotency(IdempotencyGuard guard, Duration ttl, Duration lease) {
}
