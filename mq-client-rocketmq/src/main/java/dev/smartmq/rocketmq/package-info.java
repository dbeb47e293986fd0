/**
 * SmartMQ's primary transport on Apache RocketMQ ({@link dev.smartmq.rocketmq.RocketMQTransport}) and the
 * drop-in facades for RocketMQ's producer and push consumer ({@link dev.smartmq.rocketmq.SmartRocketMQProducer},
 * {@link dev.smartmq.rocketmq.SmartRocketMQPushConsumer}), with {@link dev.smartmq.rocketmq.MigrationGuard} for
 * the raw consumer groups a migration must not leave behind. Depends on
 * {@code mq-client-api}, {@code rocketmq-client} and {@code slf4j-api} only; internals are in
 * {@code dev.smartmq.rocketmq.internal} and are not API.
 */
package dev.smartmq.rocketmq;
