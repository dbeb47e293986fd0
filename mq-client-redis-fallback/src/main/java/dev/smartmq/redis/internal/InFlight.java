package dev.smartmq.redis.internal;

/**
 * The {@link dev.smartmq.spi.ClaimedMessage#handle()} of a claimed message: where it is in flight and
 * the exact bytes that were claimed (released or dead-lettered byte for byte).
 */
public record InFlight(KeyLayout.ShardKeys keys, byte[] field, byte[] raw) {
}
