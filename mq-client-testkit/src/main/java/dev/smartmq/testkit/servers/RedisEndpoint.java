package dev.smartmq.testkit.servers;

import redis.clients.jedis.HostAndPort;

/**
 * Where a Redis server of {@link TestServers} listens — the embedded {@code redis-server} child process or a
 * {@code redis:7} container alike. Immutable; thread-safe.
 */
public interface RedisEndpoint {

    /** Host clients connect to. */
    String host();

    /** Port clients connect to (the mapped port, for a container). */
    int port();

    /** {@link #host()} and {@link #port()} for Jedis. */
    default HostAndPort hostAndPort() {
        return new HostAndPort(host(), port());
    }
}
