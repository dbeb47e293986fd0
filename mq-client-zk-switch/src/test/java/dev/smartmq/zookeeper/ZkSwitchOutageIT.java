package dev.smartmq.zookeeper;

import static dev.smartmq.zookeeper.SwitchFixtures.to;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.ConsumerRegistration;
import dev.smartmq.spi.SwitchUnavailableException;
import dev.smartmq.spi.TransitionResult;
import dev.smartmq.testkit.zookeeper.ZooKeeperExtension;
import dev.smartmq.testkit.zookeeper.ZooKeeperServer;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.SessionConnectionStateErrorPolicy;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ZooKeeper stopped, restarted, sessions expired: one server per class, every test leaves it running. */
class ZkSwitchOutageIT {

    @RegisterExtension
    static final ZooKeeperExtension zk = ZooKeeperExtension.server();

    private final SwitchFixtures fx = new SwitchFixtures();
    private final Duration wait = Duration.ofSeconds(30);

    @AfterEach
    void cleanUp() throws Exception {
        ZooKeeperServer server = zk.zooKeeperServer();
        if (!server.isRunning()) {
            server.restart();
        }
        fx.close();
    }

    private static String ns(TestInfo info) {
        String name = info.getTestMethod().orElseThrow().getName();
        return name.length() <= 64 ? name : name.substring(0, 64);
    }

    @Test
    void stoppedZooKeeperKeepsLastKnownStateThenConvergesAfterRestart(TestInfo info) {
        ZooKeeperServer server = zk.zooKeeperServer();
        ZkDegradationSwitch a = fx.start(zk.connectString(), ns(info));
        await().atMost(wait).until(a::isLeader);
        ZkDegradationSwitch b = fx.start(zk.connectString(), ns(info));
        SwitchFixtures.Recorder rec = new SwitchFixtures.Recorder();
        a.addListener(rec, Runnable::run);
        assertTrue(a.transition(to(a.current(), SwitchState.DEGRADED, "a")).applied());
        await().atMost(wait).until(() -> b.current().epoch() == 1);
        SwitchStatus known = a.current();

        server.stop();

        await().atMost(wait).until(() -> !a.isReachable() && !b.isReachable());
        assertEquals(known, a.current(), "last known state kept");
        assertEquals(known, b.current());
        assertFalse(a.isLeader(), "a cut-off leader stops acting as leader");
        assertTrue(rec.events.contains("reachable:false"), rec.events::toString);
        assertTrue(rec.events.contains("leader:false"), rec.events::toString);
        assertEquals(Optional.empty(), a.liveConsumers("orders", "billing"), "nobody can tell who is dead");
        long t0 = System.nanoTime();
        assertThrows(SwitchUnavailableException.class,
                () -> a.transition(to(known, SwitchState.RECOVERING, "a")));
        long waitedMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("OUTAGE: transition() with ZooKeeper down gave up after %d ms (operationTimeout 3000 ms)%n",
                waitedMs);
        assertTrue(waitedMs < 10_000, "bounded wait, was " + waitedMs + " ms");
        ConsumerRegistration pending = a.registerConsumer("orders", "billing", "c-while-down");
        assertEquals(known, a.current(), "a failed transition changes nothing");

        server.restart();

        await().atMost(wait).until(() -> a.isReachable() && b.isReachable());
        assertEquals(known, a.current());
        await().atMost(wait).until(() -> b.liveConsumers("orders", "billing")
                .equals(Optional.of(Set.of("c-while-down"))));
        TransitionResult r = b.transition(to(b.current(), SwitchState.RECOVERING, "b"));
        assertTrue(r.applied());
        await().atMost(wait).until(() -> a.current().equals(r.current()));
        await().atMost(wait).until(() -> a.isLeader() ^ b.isLeader());
        int down = rec.events.indexOf("reachable:false");
        int up = rec.events.lastIndexOf("reachable:true");
        assertTrue(down >= 0 && up > down, rec.events::toString);
        pending.close();
        assertEquals(Optional.of(Set.of()), b.liveConsumers("orders", "billing"));
    }

    @Test
    void sessionExpiryBringsRegistrationsBackResumesTheWatchAndMovesLeadership(TestInfo info) throws Exception {
        CuratorFramework shared = fx.client(zk.connectString(), 6000);
        ZkDegradationSwitch a = fx.startShared(shared, ns(info));
        await().atMost(wait).until(a::isLeader);
        ZkDegradationSwitch b = fx.start(zk.connectString(), ns(info));
        SwitchFixtures.Recorder rec = new SwitchFixtures.Recorder();
        a.addListener(rec, Runnable::run);
        a.registerConsumer("orders", "billing", "c1");
        await().atMost(wait).until(() -> b.liveConsumers("orders", "billing").equals(Optional.of(Set.of("c1"))));
        CuratorFramework raw = zk.newClient();
        String node = "/smartmq/" + ns(info) + "/groups/orders/billing/c1";
        long oldSession = shared.getZookeeperClient().getZooKeeper().getSessionId();
        assertEquals(oldSession, raw.checkExists().forPath(node).getEphemeralOwner());

        zk.expireSession(shared);

        await().atMost(wait).until(b::isLeader);
        assertFalse(a.isLeader());
        await().atMost(wait).ignoreExceptions().until(() -> {
            Stat s = raw.checkExists().forPath(node);
            return s != null && s.getEphemeralOwner() != oldSession && a.isReachable();
        });
        assertNotEquals(oldSession, shared.getZookeeperClient().getZooKeeper().getSessionId());
        assertEquals(Optional.of(Set.of("c1")), b.liveConsumers("orders", "billing"), "registration came back");
        assertTrue(rec.events.contains("reachable:false") && rec.events.contains("leader:false"), rec.events::toString);

        TransitionResult later = b.transition(to(b.current(), SwitchState.DEGRADED, "b"));
        assertTrue(later.applied());
        await().atMost(wait).until(() -> a.current().equals(later.current()));
    }

    @Test
    void leaderStopsLeadingWhileSuspendedEvenWithASessionErrorPolicy(TestInfo info) {
        // With SessionConnectionStateErrorPolicy Curator's LeaderLatch keeps leadership while SUSPENDED;
        // the switch must still not report leadership while it cannot reach ZooKeeper.
        CuratorFramework shared = fx.client(CuratorFrameworkFactory.builder().connectString(zk.connectString())
                .sessionTimeoutMs(30_000).connectionTimeoutMs(3000)
                .connectionStateErrorPolicy(new SessionConnectionStateErrorPolicy())
                .retryPolicy(new ExponentialBackoffRetry(100, 5, 1000)));
        ZkDegradationSwitch a = fx.startShared(shared, ns(info));
        await().atMost(wait).until(a::isLeader);
        ZooKeeperServer server = zk.zooKeeperServer();

        server.stop();
        long t0 = System.nanoTime();
        await().atMost(Duration.ofSeconds(15)).until(() -> !a.isLeader());
        System.out.printf("LEADER: leadership dropped %d ms after ZooKeeper stopped (session timeout 30 s)%n",
                (System.nanoTime() - t0) / 1_000_000);
        assertFalse(a.isReachable());

        server.restart();
        await().atMost(wait).until(a::isLeader);
    }
}
