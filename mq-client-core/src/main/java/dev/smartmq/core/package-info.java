/**
 * The SmartMQ engine's entry point, {@link dev.smartmq.core.SmartMQ}. The engine drives the SPI ports of
 * {@code mq-client-api} only; this module never imports RocketMQ, Jedis, Curator or ZooKeeper classes.
 * Everything under {@code dev.smartmq.core.internal} is implementation, not API.
 */
package dev.smartmq.core;
