package dev.smartmq.testkit.zookeeper;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.test.InstanceSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ZooKeeperEnsembleIT {

    @RegisterExtension
    static final ZooKeeperExtension zk = ZooKeeperExtension.ensemble();

    @Test
    void killingTheConnectedNodeKeepsTheClientWorking() throws Exception {
        ZooKeeperEnsemble ensemble = zk.zooKeeperEnsemble();
        assertEquals(3, ensemble.servers().size());
        CuratorFramework client = zk.newClient();
        List<ConnectionState> states = new CopyOnWriteArrayList<>();
        client.getConnectionStateListenable().addListener((c, s) -> states.add(s));
        client.blockUntilConnected();
        client.create().forPath("/before", new byte[] {1});

        InstanceSpec killed = ensemble.killServerOf(client);

        await().atMost(Duration.ofSeconds(30)).until(() -> states.contains(ConnectionState.RECONNECTED));
        // Writes need a quorum: two nodes out of three must be serving again.
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            client.create().orSetData().forPath("/after", new byte[] {2});
            return true;
        });
        assertNotEquals(killed, ensemble.serverOf(client));
        assertArrayEquals(new byte[] {1}, client.getData().forPath("/before"));

        ensemble.restartServer(killed);
        CuratorFramework onRestarted = org.apache.curator.framework.CuratorFrameworkFactory.newClient(
                ensemble.connectString(killed), new org.apache.curator.retry.RetryOneTime(200));
        try (onRestarted) {
            onRestarted.start();
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> onRestarted.getData().forPath("/after")[0] == 2);
        }
    }
}
