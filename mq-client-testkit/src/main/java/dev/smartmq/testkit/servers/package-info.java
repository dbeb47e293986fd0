/**
 * {@link dev.smartmq.testkit.servers.TestServers}: Redis, ZooKeeper and RocketMQ for a test class behind one
 * interface, either the embedded fixtures (default: child process and in-JVM servers, no Docker) or
 * Testcontainers ({@code -Dsmartmq.testkit.servers=containers}, or the builder's {@code containers()}), so the
 * same test class runs either way. Faults (kill, pause, black hole) stay with the embedded fixtures.
 */
package dev.smartmq.testkit.servers;
