package dev.smartmq.testkit.zookeeper;

import dev.smartmq.testkit.FreePorts;
import java.io.File;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

/** Shared pieces of the ZooKeeper fixtures. */
final class Fixtures {

    /** One tick: short enough for tests with second-scale sessions, long enough for a loaded 2-core box. */
    static final int TICK_TIME_MS = 1000;
    static final String LOOPBACK = "127.0.0.1";

    private Fixtures() {
    }

    /**
     * {@code n} ports, distinct from each other and from {@code taken}, free a moment ago. Asking the OS for
     * port 0 repeatedly can return the same port twice, which ZooKeeper rejects (client port = election port).
     */
    static int[] distinctFreePorts(int n, Set<Integer> taken) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int p;
            int attempts = 0;
            do {
                if (++attempts > 100) {
                    throw new IllegalStateException("no distinct free loopback port after 100 attempts");
                }
                p = FreePorts.find();
            } while (!taken.add(p));
            out[i] = p;
        }
        return out;
    }

    static InstanceSpec loopbackSpec(File dataDir, int serverId) {
        return loopbackSpec(dataDir, serverId, new HashSet<>());
    }

    static InstanceSpec loopbackSpec(File dataDir, int serverId, Set<Integer> takenPorts) {
        Map<String, Object> props = new HashMap<>();
        // Bind the client port on loopback only; quorum/election ports follow the "server.N" host (loopback).
        props.put("clientPortAddress", LOOPBACK);
        // Sessions as short as 1 s are allowed (tests use short sessions to provoke expiry quickly).
        props.put("minSessionTimeout", "1000");
        props.put("maxSessionTimeout", "60000");
        props.put("admin.enableServer", "false");
        int[] ports = distinctFreePorts(3, takenPorts);
        return new InstanceSpec(dataDir, ports[0], ports[1], ports[2], true, serverId, TICK_TIME_MS, -1, props,
                LOOPBACK);
    }

    /**
     * Expires the session of {@code client} on the server side: a second handle joins the same session and
     * closes it, so the server deletes the session's ephemeral nodes and drops every connection of the
     * session; the client then sees {@code Expired} and Curator reports {@code LOST} and builds a new
     * session. Unlike {@code ZooKeeper.getTestable().injectSessionExpiration()} (client side only), the
     * ephemerals really disappear, as they do when a real session times out.
     */
    static void expireSession(CuratorFramework client, String connectString, Duration timeout) {
        try {
            ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
            long sessionId = zk.getSessionId();
            byte[] password = zk.getSessionPasswd();
            CountDownLatch connected = new CountDownLatch(1);
            Watcher watcher = event -> {
                if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                    connected.countDown();
                }
            };
            ZooKeeper twin = new ZooKeeper(connectString, (int) timeout.toMillis(), watcher, sessionId, password);
            try {
                if (!connected.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("could not join session 0x" + Long.toHexString(sessionId)
                            + " within " + timeout);
                }
            } finally {
                twin.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while expiring a session", e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("could not expire the session", e);
        }
    }
}
