/**
 * SmartMQ's fallback store on Redis: {@link dev.smartmq.redis.RedisFallbackStore} implements
 * {@link dev.smartmq.spi.FallbackStore} (sharded FIFO queues with at-least-once claim/ack, dead letters) and
 * {@link dev.smartmq.spi.IdempotencyGuard}; {@link dev.smartmq.redis.RedisIdempotencyGuard} is the guard on
 * its own. Depends on {@code mq-client-api}, Jedis and slf4j-api only; {@code dev.smartmq.redis.internal} is
 * not public API.
 */
package dev.smartmq.redis;
