/**
 * SmartMQ's primary transport on Apache RocketMQ ({@link dev.smartmq.rocketmq.RocketMQTransport}) and the
 * drop-in producer facade ({@link dev.smartmq.rocketmq.SmartRocketMQProducer}). Depends on
 * {@code mq-client-api}, {@code rocketmq-client} and {@code slf4j-api} only; internals are in
 * {@code dev.smartmq.rocketmq.internal} and are not API.
 */
package dev.smartmq.rocketmq;
