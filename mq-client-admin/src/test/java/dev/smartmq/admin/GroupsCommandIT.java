package dev.smartmq.admin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartmq.api.Message;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.spi.ConsumerRegistration;
import dev.smartmq.spi.Envelope;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.zookeeper.ZooKeeperExtension;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** groups list / remove against a real ZooKeeper and Redis (issue 12 item 11). */
class GroupsCommandIT {

    @RegisterExtension
    static final ZooKeeperExtension zk = ZooKeeperExtension.server();

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static final int SHARDS = 4;
    private final AdminRunner admin = new AdminRunner();

    private AdminRunner.Result run(String ns, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--zk", zk.connectString(), "--redis", redis.server().host() + ":" + redis.server().port(),
                "--namespace", ns, "--shard-count", Integer.toString(SHARDS), "--json"));
        return admin.run(all.toArray(String[]::new));
    }

    private AdminRunner.Result runText(String ns, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--zk", zk.connectString(), "--redis", redis.server().host() + ":" + redis.server().port(),
                "--namespace", ns, "--shard-count", Integer.toString(SHARDS)));
        return admin.run(all.toArray(String[]::new));
    }

    private static Envelope delayedEnvelope(String topic, String key, long deliverAt) {
        return new Envelope(UUID.randomUUID().toString(), Message.builder(topic).key(key).body("later")
                .deliverAt(deliverAt).build(), System.currentTimeMillis(), 0);
    }

    private static Envelope envelope(String topic, String body) {
        return new Envelope(UUID.randomUUID().toString(), Message.builder(topic).body(body).build(),
                System.currentTimeMillis(), 0);
    }

    @Test
    void listShowsLiveConsumersAndBacklogAndRemoveTakesOnlyAnAbandonedGroup() {
        String ns = "groupsadmin";
        String topic = "orders";
        Duration wait = Duration.ofSeconds(20);
        try (RedisFallbackStore store = RedisFallbackStore.builder()
                .standalone(redis.server().host(), redis.server().port()).namespace(ns).shards(SHARDS).build();
             ZkDegradationSwitch sdk = ZkDegradationSwitch.builder().connectString(zk.connectString())
                     .namespace(ns).joinElection(false).build()) {
            store.start();
            sdk.start();
            sdk.registerConsumer(topic, "billing", "c1");
            ConsumerRegistration ghost = sdk.registerConsumer(topic, "ghost", "g1");
            await().atMost(wait).until(() -> sdk.liveConsumers(topic, "ghost").equals(Optional.of(Set.of("g1")))
                    && sdk.liveConsumers(topic, "billing").equals(Optional.of(Set.of("c1"))));
            ghost.close(); // the service went away: its group record stays
            await().atMost(wait).until(() -> sdk.liveConsumers(topic, "ghost").equals(Optional.of(Set.of())));
            for (int i = 0; i < 3; i++) {
                store.append(envelope(topic, "m" + i), List.of("billing", "ghost"));
            }

            AdminRunner.Result list = run(ns, "groups", "list");
            assertEquals(0, list.exitCode(), list.toString());
            JsonNode groups = list.json().get("groups");
            assertEquals(2, groups.size(), groups.toString());
            assertEquals("billing", groups.get(0).get("group").asText());
            assertEquals(1, groups.get(0).get("liveConsumers").asInt());
            assertEquals(3, groups.get(0).get("pending").asLong());
            assertEquals("ghost", groups.get(1).get("group").asText());
            assertEquals(0, groups.get(1).get("liveConsumers").asInt());
            assertEquals(3, groups.get(1).get("pending").asLong());

            AdminRunner.Result refused = run(ns, "groups", "remove", "--topic", topic, "--group", "billing", "--purge");
            assertEquals(ExitCodes.PRECONDITION_FAILED, refused.exitCode(), refused.toString());
            assertTrue(sdk.groups(topic).contains("billing"));
            assertEquals(3, store.backlog(topic, "billing"), "nothing purged for a live group");

            AdminRunner.Result removed = run(ns, "groups", "remove", "--topic", topic, "--group", "ghost", "--purge");
            assertEquals(0, removed.exitCode(), removed.toString());
            assertTrue(removed.json().get("removed").asBoolean());
            assertEquals(3, removed.json().get("purgedMessages").asLong());
            await().atMost(wait).until(() -> sdk.groups(topic).equals(Set.of("billing")));
            assertEquals(0, store.backlog(topic, "ghost"));
            assertEquals(3, store.backlog(topic, "billing"));

            AdminRunner.Result again = run(ns, "groups", "remove", "--topic", topic, "--group", "ghost");
            assertEquals(ExitCodes.PRECONDITION_FAILED, again.exitCode(), again.toString());
            assertFalse(again.json().get("removed").asBoolean());
        }
    }

    /**
     * Setting of the delayed-message tests: group "sleepy" of topic "later" registered in ZooKeeper with no live
     * consumer, two messages held for it 30 min ahead (none queued), one held for the unclaimed. Returns the store
     * (started) and the switch client (started); the caller closes both.
     */
    private record Sleepy(RedisFallbackStore store, ZkDegradationSwitch sdk) implements AutoCloseable {
        @Override
        public void close() {
            sdk.close();
            store.close();
        }
    }

    private Sleepy sleepyGroup(String ns) {
        String topic = "later";
        Duration wait = Duration.ofSeconds(20);
        long due = System.currentTimeMillis() + Duration.ofMinutes(30).toMillis();
        RedisFallbackStore store = RedisFallbackStore.builder()
                .standalone(redis.server().host(), redis.server().port()).namespace(ns).shards(SHARDS).build();
        ZkDegradationSwitch sdk = ZkDegradationSwitch.builder().connectString(zk.connectString())
                .namespace(ns).joinElection(false).build();
        store.start();
        sdk.start();
        ConsumerRegistration sleepy = sdk.registerConsumer(topic, "sleepy", "s1");
        await().atMost(wait).until(() -> sdk.liveConsumers(topic, "sleepy").equals(Optional.of(Set.of("s1"))));
        sleepy.close();
        await().atMost(wait).until(() -> sdk.liveConsumers(topic, "sleepy").equals(Optional.of(Set.of())));
        store.append(delayedEnvelope(topic, "k1", due), List.of("sleepy"));
        store.append(delayedEnvelope(topic, "k2", due), List.of("sleepy"));
        store.append(delayedEnvelope(topic, "k3", due), List.of()); // no group: held for the unclaimed
        assertEquals(0, store.backlog(topic, "sleepy"));
        assertEquals(2, store.delayedBacklog(topic, "sleepy"));
        return new Sleepy(store, sdk);
    }

    /** groups list shows a group whose only messages are delayed with its delayed count (JSON and text). */
    @Test
    void groupsListShowsTheDelayedMessagesOfAGroup() {
        String ns = "delayedlist";
        try (Sleepy ignored = sleepyGroup(ns)) {
            JsonNode list = run(ns, "groups", "list").json();
            JsonNode g = list.get("groups").get(0);
            assertEquals("sleepy", g.get("group").asText(), list.toString());
            assertEquals(0, g.get("pending").asLong(), list.toString());
            assertEquals(2, g.path("delayed").asLong(-1), "groups list --json: " + list);
            AdminRunner.Result text = runText(ns, "groups", "list");
            assertTrue(text.out().contains("DELAYED"), text.toString());
            assertTrue(text.out().lines().anyMatch(l -> l.contains("sleepy") && l.matches(".*\\b2\\b.*")),
                    text.toString());
        }
    }

    /** backlog shows the delayed count per group, per shard and for the unclaimed (JSON and text). */
    @Test
    void backlogShowsTheDelayedMessagesPerGroupPerShardAndUnclaimed() {
        String ns = "delayedbacklog";
        try (Sleepy ignored = sleepyGroup(ns)) {
            JsonNode backlog = run(ns, "backlog", "--topic", "later", "--shards").json();
            JsonNode b = backlog.get("groups").get(0);
            assertEquals(0, b.get("pending").asLong(), backlog.toString());
            assertEquals(2, b.path("delayed").asLong(-1), "backlog --json: " + backlog);
            long perShard = 0;
            for (JsonNode shard : b.get("shards")) {
                perShard += shard.path("delayed").asLong(0);
            }
            assertEquals(2, perShard, "per shard: " + backlog);
            assertEquals(1, backlog.get("unclaimed").path("delayed").asLong(-1), "unclaimed: " + backlog);
            AdminRunner.Result text = runText(ns, "backlog", "--topic", "later", "--shards");
            assertTrue(text.out().contains("DELAYED"), text.toString());
            assertTrue(text.out().contains("(unclaimed)"), "held unclaimed messages are shown: " + text);
            assertFalse(text.out().contains("group sleepy: 0 non-empty"), "shards holding delayed messages: " + text);
        }
    }

    /** status shows the delayed count beside each group's backlog (JSON and text). */
    @Test
    void statusShowsTheDelayedMessagesOfAGroup() {
        String ns = "delayedstatus";
        try (Sleepy ignored = sleepyGroup(ns)) {
            JsonNode status = run(ns, "status").json();
            JsonNode g = status.get("groups").get(0);
            assertEquals(0, g.get("backlog").asLong(), status.toString());
            assertEquals(2, g.path("delayed").asLong(-1), "status --json: " + status);
            AdminRunner.Result text = runText(ns, "status");
            assertTrue(text.out().contains("DELAYED"), text.toString());
        }
    }

    /**
     * remove without --purge counts the delayed messages in its warning (and JSON); --purge afterwards deletes and
     * counts them.
     */
    @Test
    void removeWarnsThatTheDelayedMessagesStayAndPurgeCountsThem() {
        String ns = "delayedremove";
        try (Sleepy s = sleepyGroup(ns)) {
            s.store().append(envelope("later", "now"), List.of("sleepy"));
            AdminRunner.Result kept = runText(ns, "groups", "remove", "--topic", "later", "--group", "sleepy");
            assertEquals(0, kept.exitCode(), kept.toString());
            assertTrue(kept.out().contains("WARNING: 3 fallback messages of the group stay in Redis"), kept.toString());
            await().atMost(Duration.ofSeconds(20)).until(() -> !s.sdk().groups("later").contains("sleepy"));
            assertEquals(2, s.store().delayedBacklog("later", "sleepy"), "nothing deleted without --purge");

            AdminRunner.Result json = run(ns, "groups", "remove", "--topic", "later", "--group", "sleepy");
            assertEquals(1, json.json().get("pendingLeftInRedis").asLong(), json.toString());
            assertEquals(2, json.json().path("delayedLeftInRedis").asLong(-1), json.toString());

            AdminRunner.Result purged = run(ns, "groups", "remove", "--topic", "later", "--group", "sleepy", "--purge");
            assertEquals(0, purged.exitCode(), purged.toString());
            assertEquals(3, purged.json().get("purgedMessages").asLong(), purged.toString());
            assertEquals(0, s.store().delayedBacklog("later", "sleepy"));
            assertEquals(0, s.store().backlog("later", "sleepy"));
        }
    }
}
