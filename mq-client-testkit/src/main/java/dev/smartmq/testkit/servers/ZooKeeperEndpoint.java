package dev.smartmq.testkit.servers;

/**
 * Where a ZooKeeper server of {@link TestServers} listens — Curator's testing server in the JVM or a ZooKeeper
 * container alike. Immutable; thread-safe.
 */
public interface ZooKeeperEndpoint {

    /** {@code host:port} for a ZooKeeper or Curator client. */
    String connectString();
}
