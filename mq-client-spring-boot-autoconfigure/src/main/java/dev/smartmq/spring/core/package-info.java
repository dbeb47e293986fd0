/**
 * SmartMQ's Spring programming model: {@link dev.smartmq.spring.core.SmartMQTemplate} to send,
 * {@link dev.smartmq.spring.core.SmartMQListener} on bean methods to consume, and the
 * {@link dev.smartmq.spring.core.SmartMQMessageConverter} between payloads and bodies.
 */
package dev.smartmq.spring.core;
