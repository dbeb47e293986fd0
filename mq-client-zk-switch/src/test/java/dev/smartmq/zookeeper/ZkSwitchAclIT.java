package dev.smartmq.zookeeper;

import static dev.smartmq.zookeeper.SwitchFixtures.to;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.SwitchAccessDeniedException;
import dev.smartmq.spi.TransitionResult;
import dev.smartmq.testkit.zookeeper.ZooKeeperExtension;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.nio.charset.StandardCharsets;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Digest ACLs: only configured writers change the switch; everyone reads it and may register. */
class ZkSwitchAclIT {

    @RegisterExtension
    static final ZooKeeperExtension zk = ZooKeeperExtension.server();

    private final SwitchFixtures fx = new SwitchFixtures();
    private final Duration wait = Duration.ofSeconds(20);

    @AfterEach
    void cleanUp() throws Exception {
        fx.close();
    }

    @Test
    void onlyWritersChangeTheSwitchAndNoSecretIsLogged(TestInfo info) throws Exception {
        String ns = info.getTestMethod().orElseThrow().getName();
        ListAppender<ILoggingEvent> logs = SwitchFixtures.captureLogs();
        String opsId = ZkDegradationSwitch.digestIdentity("ops", "ops-secret");
        List<String> writers = List.of(opsId);
        // The unauthorised service starts first and so creates the nodes: they are protected all the same.
        ZkDegradationSwitch svc = fx.start(zk.connectString(), ns,
                b -> b.authorization("digest", "svc:svc-secret").writers(writers));
        ZkDegradationSwitch anon = fx.start(zk.connectString(), ns, b -> b.writers(writers));
        ZkDegradationSwitch ops = fx.start(zk.connectString(), ns,
                b -> b.authorization("digest", "ops:ops-secret").writers(writers));
        CuratorFramework raw = zk.newClient();
        String switchPath = "/smartmq/" + ns + "/switch";
        Stat before = raw.checkExists().forPath(switchPath);

        assertThrows(SwitchAccessDeniedException.class, () -> svc.transition(to(svc.current(), SwitchState.DEGRADED, "svc")));
        assertThrows(SwitchAccessDeniedException.class, () -> anon.transition(to(anon.current(), SwitchState.DEGRADED, "anon")));
        Stat after = raw.checkExists().forPath(switchPath);
        assertEquals(before.getVersion(), after.getVersion(), "nothing changed");
        assertEquals(0, raw.getChildren().forPath("/smartmq/" + ns + "/history").size());
        assertEquals(SwitchStatus.initial(), svc.current());

        TransitionResult r = ops.transition(to(ops.current(), SwitchState.DEGRADED, "ops"));
        assertTrue(r.applied());
        await().atMost(wait).until(() -> svc.current().equals(r.current()) && anon.current().equals(r.current()));
        assertThrows(SwitchAccessDeniedException.class, () -> svc.transition(to(svc.current(), SwitchState.NORMAL, "svc")));
        assertEquals(r.current(), ops.history(10).get(0));
        assertEquals(r.current(), svc.history(10).get(0), "history is world-readable");

        List<ACL> expected = List.of(new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE),
                new ACL(ZooDefs.Perms.ALL, new Id("digest", opsId)));
        // ZooKeeper shows digest hashes only to a client with ADMIN rights on the node: read as the writer.
        CuratorFramework asOps = fx.client(CuratorFrameworkFactory.builder().connectString(zk.connectString())
                .authorization("digest", "ops:ops-secret".getBytes(StandardCharsets.UTF_8))
                .retryPolicy(new RetryOneTime(100)));
        assertEquals(expected, asOps.getACL().forPath(switchPath));
        assertEquals(expected, asOps.getACL().forPath("/smartmq/" + ns + "/history"));
        assertEquals(ZooDefs.Perms.READ | ZooDefs.Perms.CREATE, asOps.getACL().forPath("/smartmq/" + ns).get(0).getPerms());
        assertEquals(expected, asOps.getACL().forPath("/smartmq/" + ns + "/groups"));
        assertEquals(expected, asOps.getACL().forPath("/smartmq/" + ns + "/leader"));
        assertThrows(KeeperException.NoAuthException.class, () -> raw.delete().forPath(switchPath),
                "nobody but a writer may delete the switch (and re-create it)");
        assertThrows(KeeperException.NoAuthException.class, () -> raw.setData().forPath(switchPath, new byte[] {1}));

        // The registry carries the writer ACL too: only writers register (a non-writer's registration stays
        // pending, with an error log), every instance reads it.
        ops.registerConsumer("orders", "billing", "ops-1");
        svc.registerConsumer("orders", "billing", "svc-1");
        anon.registerConsumer("orders", "billing", "anon-1");
        await().atMost(wait).until(() -> svc.liveConsumers("orders", "billing").equals(Optional.of(Set.of("ops-1"))));
        await().atMost(wait).until(() -> SwitchFixtures.errorsContaining(logs, "may not register") >= 2);
        assertEquals(Optional.of(Set.of("ops-1")), anon.liveConsumers("orders", "billing"));

        for (ZkDegradationSwitch sw : List.of(svc, anon, ops)) {
            assertFalse(sw.toString().contains("secret"), sw.toString());
        }
        assertFalse(logs.list.isEmpty());
        for (ILoggingEvent e : logs.list) {
            assertFalse(e.getFormattedMessage().contains("ops-secret") || e.getFormattedMessage().contains("svc-secret"),
                    e.getFormattedMessage());
        }
    }

    @Test
    void aForeignClientCannotTouchTheRegistryOrTheLatchAndABadNameIsSkipped(TestInfo info) throws Exception {
        String ns = "foreignClientAndBadNames";
        ListAppender<ILoggingEvent> logs = SwitchFixtures.captureLogs();
        List<String> writers = List.of(ZkDegradationSwitch.digestIdentity("svc", "svc-secret"));
        ZkDegradationSwitch svc = fx.start(zk.connectString(), ns,
                b -> b.authorization("digest", "svc:svc-secret").writers(writers));
        svc.registerConsumer("orders", "billing", "svc-1");
        await().atMost(wait).until(() -> svc.isLeader()
                && svc.liveConsumers("orders", "billing").equals(Optional.of(Set.of("svc-1"))));
        String groups = "/smartmq/" + ns + "/groups";
        String leader = "/smartmq/" + ns + "/leader";

        CuratorFramework foreign = zk.newClient();
        assertThrows(KeeperException.NoAuthException.class,
                () -> foreign.create().forPath(groups + "/orders/intruder"), "no foreign group");
        assertThrows(KeeperException.NoAuthException.class,
                () -> foreign.create().forPath(groups + "/payments"), "no foreign topic");
        assertThrows(KeeperException.NoAuthException.class,
                () -> foreign.delete().forPath(groups + "/orders/billing/svc-1"), "no deleting a live consumer");
        assertThrows(KeeperException.NoAuthException.class,
                () -> foreign.create().withMode(org.apache.zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL)
                        .forPath(leader + "/_c_foreign-latch-"), "no running for leader");
        for (String child : foreign.getChildren().forPath(leader)) {
            assertThrows(KeeperException.NoAuthException.class, () -> foreign.delete().forPath(leader + "/" + child),
                    "no deleting the leader's latch node");
        }
        assertTrue(svc.isLeader());
        assertEquals(Set.of("billing"), svc.groups("orders"));

        // A bad name planted by someone who holds the writer identity (or written before ACLs were set):
        // skipped with one loud line, the good group still counts.
        CuratorFramework writer = fx.client(CuratorFrameworkFactory.builder().connectString(zk.connectString())
                .authorization("digest", "svc:svc-secret".getBytes(StandardCharsets.UTF_8))
                .retryPolicy(new RetryOneTime(100)));
        writer.create().forPath(groups + "/orders/bad.group");
        writer.create().forPath(groups + "/bad topic");
        writer.create().forPath(groups + "/bad topic/billing");
        svc.registerConsumer("orders", "audit", "svc-2");
        await().atMost(wait).until(() -> svc.groups("orders").contains("audit"));
        for (int i = 0; i < 5; i++) {
            assertEquals(Set.of("billing", "audit"), svc.groups("orders"));
            assertEquals(Optional.of(Set.of("billing", "audit")), svc.readGroups("orders"));
            assertEquals(Set.of("orders"), svc.registeredGroups().keySet());
        }
        assertEquals(1, SwitchFixtures.errorsContaining(logs, "bad.group"), "one loud line per bad name");
        assertEquals(1, SwitchFixtures.errorsContaining(logs, "bad topic"), "one loud line per bad name");
    }

    @Test
    void theNamespaceShardCountIsStoredAtFirstUseWithTheWriterAcl() throws Exception {
        String ns = "shardCount";
        List<String> writers = List.of(ZkDegradationSwitch.digestIdentity("svc", "svc-secret"));
        ZkDegradationSwitch first = fx.start(zk.connectString(), ns,
                b -> b.authorization("digest", "svc:svc-secret").writers(writers));
        ZkDegradationSwitch reader = fx.start(zk.connectString(), ns, b -> b.writers(writers));
        assertEquals(java.util.OptionalInt.of(64), first.recordShardCount(64));
        assertEquals(java.util.OptionalInt.of(64), first.recordShardCount(128), "fixed: the stored one is returned");
        assertEquals(java.util.OptionalInt.of(64), reader.recordShardCount(16), "a non-writer reads it");
        CuratorFramework foreign = zk.newClient();
        assertThrows(KeeperException.NoAuthException.class,
                () -> foreign.setData().forPath("/smartmq/" + ns + "/shards", "16".getBytes(StandardCharsets.US_ASCII)));
    }
}
