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
}
