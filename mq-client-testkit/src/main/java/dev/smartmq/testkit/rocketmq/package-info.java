/**
 * An in-process Apache RocketMQ name server and broker(s) for tests and drills
 * ({@link dev.smartmq.testkit.rocketmq.EmbeddedRocketMQ}), optionally reached through a
 * {@link dev.smartmq.testkit.proxy.FaultProxy} so a test can black-hole a broker, and a JUnit 5 extension
 * ({@link dev.smartmq.testkit.rocketmq.RocketMQExtension}) that shares one instance per test class.
 */
package dev.smartmq.testkit.rocketmq;
