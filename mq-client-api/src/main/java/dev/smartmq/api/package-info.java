/**
 * The public API of SmartMQ: what a business service uses instead of a raw RocketMQ producer or
 * consumer.
 *
 * <p>{@link dev.smartmq.api.Message} is what you send, {@link dev.smartmq.api.SmartProducer} sends it
 * (to RocketMQ, or to the Redis fallback store while the MQ is degraded), and
 * {@link dev.smartmq.api.SmartConsumer} delivers it to a {@link dev.smartmq.api.MessageHandler} whichever
 * path it took. Instances are created by {@code dev.smartmq.core.SmartMQ} in {@code mq-client-core}.
 *
 * <p>This package depends on nothing but the JDK and must stay that way: no RocketMQ, Jedis or Curator
 * type ever appears here.
 */
package dev.smartmq.api;
