package dev.smartmq.admin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Message;
import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.Subscription;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.rocketmq.ConsumeFrom;
import dev.smartmq.rocketmq.RocketMQTransport;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.rocketmq.RocketMQExtension;
import dev.smartmq.testkit.zookeeper.ZooKeeperExtension;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One rule for both paths (issue 20, item 2): a message whose handler fails on the MQ path is redelivered with
 * SmartMQ's back-off, {@code maxDeliveryAttempts} times, then lands in the same dead-letter list as the fallback
 * path's, where {@code smartmq-admin dlq list} shows it and {@code dlq replay} delivers it again.
 */
class MqDeadLettersIT {

    @RegisterExtension
    static final RocketMQExtension mq = RocketMQExtension.create();

    @RegisterExtension
    static final ZooKeeperExtension zk = ZooKeeperExtension.server();

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static final int SHARDS = 4;

    /** With envelope authentication on (issue 20, security): the MQ-path dead letters must be signed too. */
    private static final byte[] KEY = "mq-dead-letters-it-envelope-key-32b".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    private final AdminRunner admin = new AdminRunner().env("SMARTMQ_ENVELOPE_KEY",
            java.util.Base64.getEncoder().encodeToString(KEY));

    private AdminRunner.Result run(String ns, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--zk", zk.connectString(), "--redis", redis.server().host() + ":" + redis.server().port(),
                "--namespace", ns, "--shard-count", Integer.toString(SHARDS), "--timeout", "10s"));
        return admin.run(all.toArray(String[]::new));
    }

    @Test
    void aMessageFailingOnTheMqPathIsDeadLetteredAfterMaxAttemptsIntoTheListTheAdminToolReplays() {
        String ns = "mqdlq";
        String topic = "invoices";
        String group = "billing";
        mq.rocketMQ().createTopic(topic, 2);
        RedisFallbackStore store = RedisFallbackStore.builder().standalone(redis.server().host(), redis.server().port())
                .namespace(ns).shards(SHARDS).envelopeKey(KEY).build();
        RocketMQTransport transport = RocketMQTransport.builder().nameServer(mq.nameServerAddress())
                .producerGroup("mqdlq-it").consumeFrom(ConsumeFrom.FIRST_OFFSET)
                .routeRefreshInterval(Duration.ofSeconds(1)).nameServerTimeout(Duration.ofSeconds(3)).build();
        ZkDegradationSwitch sw = ZkDegradationSwitch.builder().connectString(zk.connectString()).namespace(ns)
                .instanceId("mqdlq-it").build();
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        List<Route> routes = new CopyOnWriteArrayList<>();
        AtomicBoolean failing = new AtomicBoolean(true);
        List<String> handled = new CopyOnWriteArrayList<>();
        try (SmartMQ smartMQ = SmartMQ.builder()
                .config(SmartMQConfig.custom().namespace(ns).maxDeliveryAttempts(3)
                        .retryBackoffInitial(Duration.ofSeconds(1)).retryBackoffMax(Duration.ofSeconds(2)).build())
                .transport(transport).fallbackStore(store).degradationSwitch(sw).build()) {
            smartMQ.consumer().subscribe(Subscription.of(topic, group), m -> {
                if (failing.get()) {
                    attempts.add(m.deliveryAttempt());
                    routes.add(m.route());
                    return ConsumeResult.RETRY_LATER;
                }
                handled.add(m.properties().getOrDefault(DlqReplay.REPLAY_OF_PROPERTY, m.id()));
                return ConsumeResult.SUCCESS;
            });
            SendReceipt receipt = smartMQ.producer().send(Message.builder(topic).key("inv-1").body("invoice 1").build());
            assertEquals(Route.MQ, receipt.route());

            // Before: RocketMQ's delay levels (10 s, 30 s, ... 2 h) and its own %DLQ% after 16 attempts, invisible here.
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                AdminRunner.Result r = run(ns, "dlq", "list", "--topic", topic, "--group", group, "--json");
                return r.exitCode() == 0 && r.json().get("total").asLong() == 1;
            });
            assertEquals(List.of(1, 2, 3), attempts, "maxDeliveryAttempts deliveries, no more");
            assertTrue(routes.stream().allMatch(r -> r == Route.MQ), routes.toString());
            AdminRunner.Result list = run(ns, "dlq", "list", "--topic", topic, "--group", group, "--json");
            JsonNode letter = list.json().get("deadLetters").get(0);
            assertEquals(receipt.messageId(), letter.get("id").asText());
            assertEquals(3, letter.get("attempts").asInt());
            assertEquals("inv-1", letter.get("key").asText());
            assertTrue(letter.get("reason").asText().startsWith("MQ path: delivery attempt 3 of 3 failed"),
                    letter.toString());

            failing.set(false);
            AdminRunner.Result replay = run(ns, "dlq", "replay", "--topic", topic, "--group", group,
                    "--namesrv", mq.nameServerAddress(), "--json");
            assertEquals(0, replay.exitCode(), replay.toString());
            await().atMost(Duration.ofSeconds(60)).until(() -> handled.contains(receipt.messageId()));
            assertEquals(List.of(1, 2, 3), attempts, "the dead letter was not redelivered by RocketMQ as well");
        }
    }
}
