/**
 * Real servers for tests, drills and demos, started by the test JVM (no Docker), and the tools to break
 * them on purpose.
 *
 * <ul>
 *   <li>{@code dev.smartmq.testkit.rocketmq} — an in-process RocketMQ name server and broker;</li>
 *   <li>{@code dev.smartmq.testkit.zookeeper} — ZooKeeper server and 3-node ensemble (Curator testing);</li>
 *   <li>{@code dev.smartmq.testkit.redis} — {@code redis-server} child processes, standalone and cluster (the
 *       binary from the PATH, or the Redis 7 one shipped in a Maven artifact: {@code RedisBinary});</li>
 *   <li>{@code dev.smartmq.testkit.servers} — the three servers behind one interface, embedded or as
 *       Testcontainers ({@code TestServers});</li>
 *   <li>{@code dev.smartmq.testkit.proxy} — a TCP fault proxy (black-hole, latency, cut connections);</li>
 *   <li>{@code dev.smartmq.testkit.checker} — counts every send and delivery of a drill.</li>
 * </ul>
 *
 * Every server listens on loopback only, on a free port, with its files under
 * {@link dev.smartmq.testkit.WorkDirs}; every fixture is {@link java.lang.AutoCloseable} and is also
 * stopped by a shutdown hook, so nothing outlives the JVM.
 */
package dev.smartmq.testkit;
