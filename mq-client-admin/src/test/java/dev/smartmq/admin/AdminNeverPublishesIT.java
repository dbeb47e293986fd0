package dev.smartmq.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.Message;
import dev.smartmq.redis.RedisDeadLetters;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.Envelope;
import dev.smartmq.testkit.FreePorts;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.zookeeper.ZooKeeperExtension;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 22: an operator's tool never joins the election and never publishes a transition. {@code dlq replay}
 * from a machine whose RocketMQ is unreachable (every send fails for an infrastructure reason, more than the
 * failure threshold) must leave the switch document, its history and the leader election untouched.
 */
class AdminNeverPublishesIT {

    @RegisterExtension
    static final ZooKeeperExtension zk = ZooKeeperExtension.server();

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static final int SHARDS = 2;

    private final AdminRunner admin = new AdminRunner();

    private AdminRunner.Result run(String ns, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--zk", zk.connectString(), "--redis", redis.server().host() + ":" + redis.server().port(),
                "--namespace", ns, "--shard-count", Integer.toString(SHARDS), "--timeout", "2s"));
        return admin.run(all.toArray(String[]::new));
    }

    private static void deadLetters(RedisFallbackStore store, String topic, String group, int n) {
        for (int i = 0; i < n; i++) {
            store.append(new Envelope(UUID.randomUUID().toString(), Message.builder(topic).body("refund " + i).build(),
                    System.currentTimeMillis(), 0), List.of(group));
        }
        int dead = 0;
        for (int s = 0; s < SHARDS; s++) {
            for (ClaimedMessage m : store.claim(topic, group, s, "worker-1", 100)) {
                store.deadLetter(m, "handler failed 16 times");
                dead++;
            }
        }
        assertEquals(n, dead);
    }

    @Test
    void dlqReplayWithUnreachableBrokersPublishesNothingAndNeverJoinsTheElection() throws Exception {
        String ns = "noPublish1";
        String topic = "refunds";
        String group = "ledger";
        // An initialized namespace: one operator transition, so there is a document and a history to compare.
        assertEquals(0, run(ns, "switch", "degrade", "--reason", "setup", "--ttl", "1s").exitCode());
        assertEquals(0, run(ns, "switch", "restore", "--reason", "setup done").exitCode());
        CuratorFramework c = zk.newClient();
        String nsPath = "/smartmq/" + ns;
        byte[] switchBefore = c.getData().forPath(nsPath + "/switch");
        List<String> historyBefore = c.getChildren().forPath(nsPath + "/history");

        List<String> created = new CopyOnWriteArrayList<>();
        try (CuratorCache cache = CuratorCache.build(c, nsPath);
             RedisFallbackStore store = RedisFallbackStore.builder()
                     .standalone(redis.server().host(), redis.server().port()).namespace(ns).shards(SHARDS).build()) {
            cache.listenable().addListener(CuratorCacheListener.builder()
                    .forCreates(n -> created.add(n.getPath()))
                    .forChanges((before, after) -> created.add("changed " + after.getPath()))
                    .afterInitialized().build());
            cache.start();
            store.start();
            // More dead letters than the default failure threshold (10): every replay send fails on the MQ.
            deadLetters(store, topic, group, 14);
            int firstCreated = created.size();
            int port = FreePorts.find();
            AdminRunner.Result r = run(ns, "dlq", "replay", "--topic", topic, "--group", group,
                    "--namesrv", "127.0.0.1:" + port, "--limit", "14");
            // Whatever the replay did with the messages, the fleet's switch is not the operator laptop's business.
            assertTrue(Arrays.equals(switchBefore, c.getData().forPath(nsPath + "/switch")),
                    "the switch document changed: " + new String(c.getData().forPath(nsPath + "/switch")) + "\n" + r);
            assertEquals(historyBefore, c.getChildren().forPath(nsPath + "/history"), r.toString());
            List<String> touched = new ArrayList<>(created.subList(firstCreated, created.size()));
            touched.removeIf(p -> p.startsWith(nsPath + "/groups"));
            assertEquals(List.of(), touched, "the admin tool joined the election or wrote the switch\n" + r);
            // Nothing lost: every dead letter was either replayed (into the fallback store) or is still there.
            long backlog = store.backlog(topic, BacklogCommand.UNCLAIMED) + store.backlog(topic, group);
            assertEquals(14, backlog + RedisDeadLetters.of(store).list(topic, group, 100).size(), r.toString());
        }
    }

    @Test
    void dlqReplayPastTheFailureThresholdOnAFreshNamespaceDegradesOnlyItselfNeverTheFleet() throws Exception {
        // No document yet (changedAt at the epoch, so no dwell time holds the failure detector back).
        String ns = "noPublish2";
        String topic = "refunds";
        String group = "ledger";
        CuratorFramework c = zk.newClient();
        String nsPath = "/smartmq/" + ns;
        try (RedisFallbackStore store = RedisFallbackStore.builder()
                .standalone(redis.server().host(), redis.server().port()).namespace(ns).shards(SHARDS).build()) {
            store.start();
            deadLetters(store, topic, group, 12);
            AdminRunner.Result r = run(ns, "dlq", "replay", "--topic", topic, "--group", group,
                    "--namesrv", "127.0.0.1:" + FreePorts.find(), "--limit", "12");
            assertEquals(0, r.exitCode(), r.toString());
            assertTrue(r.out().contains("12 replayed"), r.toString());
            byte[] doc = c.checkExists().forPath(nsPath + "/switch") == null ? new byte[0]
                    : c.getData().forPath(nsPath + "/switch");
            assertEquals(0, doc.length, "a switch document was published: " + new String(doc) + "\n" + r);
            assertTrue(c.checkExists().forPath(nsPath + "/history") == null
                    || c.getChildren().forPath(nsPath + "/history").isEmpty(), r.toString());
            assertTrue(c.checkExists().forPath(nsPath + "/leader") == null
                    || c.getChildren().forPath(nsPath + "/leader").isEmpty(), r.toString());
        }
    }
}
