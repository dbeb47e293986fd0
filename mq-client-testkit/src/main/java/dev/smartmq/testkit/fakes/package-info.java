/**
 * In-memory fakes of SmartMQ's ports, the ones SmartMQ's own engine tests use: {@link
 * dev.smartmq.testkit.fakes.FakeTransport} (the MQ), {@link dev.smartmq.testkit.fakes.FakeFallbackStore} (the
 * fallback store), {@link dev.smartmq.testkit.fakes.FakeSwitch} (the coordination: switch, registry, leadership),
 * {@link dev.smartmq.testkit.fakes.FakeGuard} (idempotency) and {@link dev.smartmq.testkit.fakes.MutableClock}.
 * They depend on {@code mq-client-api} only. Use them to unit-test handlers and routing in milliseconds; tests
 * that claim RocketMQ, Redis or ZooKeeper behaviour use the real servers of this testkit.
 */
package dev.smartmq.testkit.fakes;
