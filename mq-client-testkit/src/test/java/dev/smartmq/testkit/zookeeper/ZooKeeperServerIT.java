package dev.smartmq.testkit.zookeeper;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ZooKeeperServerIT {

    @RegisterExtension
    static final ZooKeeperExtension zk = ZooKeeperExtension.server();

    @Test
    void stopAndRestartAreSeenByClientAndDataSurvives() throws Exception {
        ZooKeeperServer server = zk.zooKeeperServer();
        assertTrue(server.connectString().startsWith("127.0.0.1:"), server.connectString());
        CuratorFramework client = zk.newClient();
        List<ConnectionState> states = new CopyOnWriteArrayList<>();
        client.getConnectionStateListenable().addListener((c, s) -> states.add(s));
        assertTrue(client.blockUntilConnected(10, java.util.concurrent.TimeUnit.SECONDS));
        client.create().forPath("/kept", "v1".getBytes(StandardCharsets.UTF_8));

        server.stop();
        await().atMost(Duration.ofSeconds(20)).until(() -> states.contains(ConnectionState.SUSPENDED));
        assertTrue(!server.isRunning());

        server.restart();
        await().atMost(Duration.ofSeconds(30)).until(() -> states.contains(ConnectionState.RECONNECTED));
        assertArrayEquals("v1".getBytes(StandardCharsets.UTF_8), client.getData().forPath("/kept"));
        assertTrue(states.indexOf(ConnectionState.SUSPENDED) < states.indexOf(ConnectionState.RECONNECTED), states::toString);
    }

    @Test
    void expireSessionDeletesEphemeralsAndClientGetsNewSession() throws Exception {
        CuratorFramework client = zk.newClient();
        CuratorFramework observer = zk.newClient();
        List<ConnectionState> states = new CopyOnWriteArrayList<>();
        client.getConnectionStateListenable().addListener((c, s) -> states.add(s));
        client.blockUntilConnected();
        long before = client.getZookeeperClient().getZooKeeper().getSessionId();
        client.create().withMode(CreateMode.EPHEMERAL).forPath("/eph");

        zk.expireSession(client);

        await().atMost(Duration.ofSeconds(20)).until(() -> states.contains(ConnectionState.LOST));
        await().atMost(Duration.ofSeconds(20)).until(() -> states.contains(ConnectionState.RECONNECTED));
        assertNull(observer.checkExists().forPath("/eph"), "ephemeral of the expired session must be gone");
        assertNotEquals(before, client.getZookeeperClient().getZooKeeper().getSessionId());
        client.create().forPath("/after-expiry");
        assertTrue(observer.checkExists().forPath("/after-expiry") != null);
    }

    @Test
    void listensOnLoopbackOnlyAndClosesCleanly() throws Exception {
        ZooKeeperServer own = ZooKeeperServer.start();
        try {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", own.port()), 2000);
            }
            CuratorFramework c = CuratorFrameworkFactory.newClient(own.connectString(), 5000, 3000,
                    new ExponentialBackoffRetry(100, 3));
            try (c) {
                c.start();
                c.create().forPath("/x", new byte[] {1});
                assertEquals(1, c.getData().forPath("/x")[0]);
            }
            java.io.File dataDir = own.spec().getDataDirectory();
            own.close();
            assertTrue(!dataDir.exists(), "data dir removed on close: " + dataDir);
        } finally {
            own.close();
        }
    }
}
