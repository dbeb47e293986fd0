package dev.smartmq.zookeeper;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.testkit.zookeeper.ZooKeeperExtension;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The registry's direct reads ({@code readGroups}, {@code liveConsumers}) promise to include a group or instance
 * registered a moment ago. ZooKeeper reads are not linearizable: the server a client is connected to may not have
 * applied a registration another client's server already confirmed. So each such read is a {@code sync} of its path
 * followed by the read; the real client is wrapped to record the order of its calls (which server lags, and when, is
 * not in a test's hands).
 */
class ZkFreshReadsIT {

    @RegisterExtension
    static final ZooKeeperExtension zk = ZooKeeperExtension.server();

    private final SwitchFixtures fx = new SwitchFixtures();
    private final Duration wait = Duration.ofSeconds(30);

    @AfterEach
    void cleanUp() {
        fx.close();
    }

    @Test
    void readGroupsAndLiveConsumersSyncTheirPathFirst() {
        List<String> calls = new CopyOnWriteArrayList<>();
        CuratorFramework recorded = fx.client(CuratorFrameworkFactory.builder()
                .connectString(zk.connectString()).sessionTimeoutMs(10_000).connectionTimeoutMs(3000)
                .retryPolicy(new ExponentialBackoffRetry(100, 5, 1000))
                .zookeeperFactory((connect, timeout, watcher, readOnly) ->
                        new SwitchFixtures.RecordingZooKeeper(connect, timeout, watcher, readOnly, calls)));
        String ns = "fresh-reads";
        ZkDegradationSwitch reader = fx.startShared(recorded, ns);
        ZkDegradationSwitch other = fx.start(zk.connectString(), ns);
        await().atMost(wait).until(reader::isReachable);
        other.registerConsumer("orders", "billing", "c1");
        await().atMost(wait).until(() -> other.liveConsumers("orders", "billing").equals(Optional.of(Set.of("c1"))));

        String topicPath = ZkSettings.DEFAULT_ROOT_PATH + "/" + ns + "/groups/orders";
        int before = calls.size();
        assertEquals(Optional.of(Set.of("billing")), reader.readGroups("orders"));
        assertSyncedRead(calls.subList(before, calls.size()), topicPath);

        before = calls.size();
        assertEquals(Optional.of(Set.of("c1")), reader.liveConsumers("orders", "billing"));
        assertSyncedRead(calls.subList(before, calls.size()), topicPath + "/billing");
    }

    private static void assertSyncedRead(List<String> calls, String path) {
        List<String> mine = List.copyOf(calls);
        int read = mine.indexOf("children " + path);
        assertTrue(read >= 0, "a read of the children of " + path + ": " + mine);
        assertTrue(mine.subList(0, read).contains("sync " + path),
                "the read of " + path + " is preceded by a sync of it: " + mine);
    }
}
