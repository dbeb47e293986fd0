package dev.smartmq.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartmq.api.Message;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.redis.internal.DeadLetterCodec;
import dev.smartmq.redis.internal.EnvelopeCodec;
import dev.smartmq.redis.internal.KeyLayout;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.Envelope;
import dev.smartmq.testkit.redis.RedisExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;

/**
 * Issue 20, security: the admin tool reads dead letters with the namespace's envelope key, so a dead letter
 * planted in Redis without the key is shown as unauthenticated (and {@code dlq replay} skips it as undecodable)
 * instead of being taken for a message.
 */
class DlqEnvelopeKeyIT {

    private static final String NS = "dlqkey";
    private static final int SHARDS = 4;
    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private AdminRunner.Result list(AdminRunner admin, String topic) {
        return admin.run("dlq", "list", "--topic", topic, "--group", "g", "--json", "--redis",
                redis.server().host() + ":" + redis.server().port(), "--namespace", NS,
                "--shard-count", Integer.toString(SHARDS));
    }

    @Test
    void aDeadLetterPlantedWithoutTheKeyIsShownAsNotAuthenticated() {
        String topic = "refunds";
        try (RedisFallbackStore store = RedisFallbackStore.builder()
                .standalone(redis.server().host(), redis.server().port()).namespace(NS).shards(SHARDS)
                .envelopeKey(KEY).build()) {
            store.start();
            Envelope genuine = new Envelope(UUID.randomUUID().toString(),
                    Message.builder(topic).key("k").body("genuine").build(), System.currentTimeMillis(), 0);
            store.append(genuine, List.of("g"));
            int shard = store.shardFor(genuine.message());
            List<ClaimedMessage> claimed = store.claim(topic, "g", shard, "worker", 10);
            assertEquals(1, claimed.size());
            store.deadLetter(claimed.get(0), "handler failed");
            Envelope planted = new Envelope(UUID.randomUUID().toString(),
                    Message.builder(topic).key("k").body("refund 500").build(), System.currentTimeMillis(), 0);
            try (Jedis jedis = redis.server().newClient()) {
                jedis.rpush(new KeyLayout(NS, SHARDS).shard(topic, "g", shard).deadLetters(),
                        DeadLetterCodec.encode("handler failed", System.currentTimeMillis(), "worker",
                                EnvelopeCodec.encode(planted)));
            }

            AdminRunner keyed = new AdminRunner().env("SMARTMQ_ENVELOPE_KEY", Base64.getEncoder().encodeToString(KEY));
            AdminRunner.Result r = list(keyed, topic);
            assertEquals(0, r.exitCode(), r.toString());
            Map<String, String> byId = new HashMap<>();
            List<String> errors = new ArrayList<>();
            for (JsonNode d : r.json().get("deadLetters")) {
                if (d.get("id").isNull()) {
                    errors.add(d.get("decodeError").asText());
                } else {
                    byId.put(d.get("id").asText(), d.get("reason").asText());
                }
            }
            assertEquals(Map.of(genuine.id(), "handler failed"), byId, "only the genuine dead letter is a message");
            assertEquals(1, errors.size(), r.toString());
            assertTrue(errors.get(0).contains("not authenticated"), errors.get(0));
            assertTrue(!r.out().contains(Base64.getEncoder().encodeToString(KEY)) && !r.err().contains("0123456789"),
                    "the key is never printed");

            AdminRunner bad = new AdminRunner().env("SMARTMQ_ENVELOPE_KEY", "not base64 !");
            AdminRunner.Result refused = list(bad, topic);
            assertEquals(2, refused.exitCode(), refused.toString());
            assertTrue(refused.err().contains("SMARTMQ_ENVELOPE_KEY"), refused.toString());
        }
    }
}
