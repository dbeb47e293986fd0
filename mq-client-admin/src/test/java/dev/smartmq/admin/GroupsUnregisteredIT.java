package dev.smartmq.admin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartmq.testkit.rocketmq.RocketMQExtension;
import dev.smartmq.testkit.zookeeper.ZooKeeperExtension;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 21: {@code groups list --namesrv} shows the consumer groups the broker knows for a registered topic that are
 * not in SmartMQ's registry (a raw {@code DefaultMQPushConsumer}), with their count, next to the registered ones.
 * Real embedded broker and ZooKeeper.
 */
class GroupsUnregisteredIT {

    @RegisterExtension
    static final RocketMQExtension mq = RocketMQExtension.create();

    @RegisterExtension
    static final ZooKeeperExtension zk = ZooKeeperExtension.server();

    private final AdminRunner admin = new AdminRunner();

    private AdminRunner.Result run(String ns, boolean json, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--zk", zk.connectString(), "--namespace", ns, "--namesrv", mq.nameServerAddress()));
        if (json) {
            all.add("--json");
        }
        return admin.run(all.toArray(String[]::new));
    }

    @Test
    void aRawBrokerSideGroupIsListedAsUnregisteredAndCounted() throws Exception {
        String ns = "groupsraw";
        String topic = "raw-orders";
        mq.rocketMQ().createTopic(topic, 2);
        DefaultMQPushConsumer raw = new DefaultMQPushConsumer("legacy-billing");
        try (ZkDegradationSwitch sdk = ZkDegradationSwitch.builder().connectString(zk.connectString())
                .namespace(ns).joinElection(false).build()) {
            sdk.start();
            sdk.registerConsumer(topic, "billing", "c1");
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> sdk.liveConsumers(topic, "billing").equals(Optional.of(Set.of("c1"))));
            raw.setNamesrvAddr(mq.nameServerAddress());
            raw.setInstanceName("legacy-" + System.nanoTime());
            raw.subscribe(topic, "*");
            raw.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) ->
                    ConsumeConcurrentlyStatus.CONSUME_SUCCESS);
            raw.start();

            AtomicReference<AdminRunner.Result> last = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                AdminRunner.Result r = run(ns, true, "groups", "list");
                last.set(r);
                return r.exitCode() == 0 && r.json().get("unregisteredBrokerGroups").asInt() == 1;
            });
            JsonNode groups = last.get().json().get("groups");
            assertEquals(2, groups.size(), groups.toString());
            assertEquals("billing", groups.get(0).get("group").asText());
            assertTrue(groups.get(0).get("registered").asBoolean());
            assertEquals("legacy-billing", groups.get(1).get("group").asText());
            assertEquals(topic, groups.get(1).get("topic").asText());
            assertTrue(!groups.get(1).get("registered").asBoolean());

            AdminRunner.Result text = run(ns, false, "groups", "list");
            assertEquals(0, text.exitCode(), text.toString());
            assertTrue(text.out().contains("NO (broker only)") && text.out().contains("WARNING: 1 consumer group"),
                    text.out());
        } finally {
            raw.shutdown();
        }
    }
}
