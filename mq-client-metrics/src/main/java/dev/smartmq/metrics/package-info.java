/**
 * Optional exposition of SmartMQ's Dropwizard metrics over JMX ({@link dev.smartmq.metrics.SmartMQJmx}) or
 * Prometheus ({@link dev.smartmq.metrics.SmartMQPrometheus}).
 *
 * <p>Nothing here is started by SmartMQ itself: the application calls one of these helpers with the
 * {@code MetricRegistry} it gave SmartMQ, and closes the handle it gets back. No global registry is used.
 * Depends on Dropwizard metrics, the Prometheus client and {@code slf4j-api} only; never on a logging
 * backend or on the engine.
 */
package dev.smartmq.metrics;
