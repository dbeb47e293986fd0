package dev.smartmq.redis;

import static dev.smartmq.redis.Fixtures.drain;
import static dev.smartmq.redis.Fixtures.envelope;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Message;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.Subscription;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.redis.internal.DeadLetterCodec;
import dev.smartmq.redis.internal.EnvelopeCodec;
import dev.smartmq.redis.internal.KeyLayout;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.Envelope;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.redis.RedisServer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;

/**
 * Issue 20, security: optional envelope authentication. Someone with write access to Redis edits, injects and
 * plants values by hand (what an attacker can do with {@code redis-cli}); with a key, none of it is delivered
 * or replayed, each is dead-lettered with the reason. Real redis-server; three stores on one namespace: with
 * the key, with another key, without a key.
 */
class EnvelopeAuthIT {

    private static final String NS = "auth";
    private static final String GROUP = "g";
    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OTHER_KEY = "fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.US_ASCII);

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static RedisFallbackStore signed;
    private static RedisFallbackStore otherKey;
    private static RedisFallbackStore unsigned;

    @BeforeAll
    static void start() {
        signed = store(KEY);
        otherKey = store(OTHER_KEY);
        unsigned = store(null);
    }

    private static RedisFallbackStore store(byte[] key) {
        RedisServer server = redis.server();
        RedisFallbackStore.Builder b = RedisFallbackStore.builder().standalone(server.host(), server.port())
                .namespace(NS).shards(4);
        if (key != null) {
            b.envelopeKey(key);
        }
        RedisFallbackStore s = b.build();
        s.start();
        return s;
    }

    @AfterAll
    static void stop() {
        for (RedisFallbackStore s : new RedisFallbackStore[] {signed, otherKey, unsigned}) {
            if (s != null) {
                s.close();
            }
        }
    }

    private static byte[] queue(String topic, int shard) {
        return new KeyLayout(NS, 4).shard(topic, GROUP, shard).queue();
    }

    private static List<String> bodies(List<ClaimedMessage> claimed) {
        return claimed.stream().map(m -> new String(m.envelope().message().body(), StandardCharsets.UTF_8))
                .collect(Collectors.toList());
    }

    /** Replaces {@code from} by {@code to} (same length) in a stored value and fixes its CRC32C, as an attacker would. */
    private static byte[] edit(byte[] raw, String from, String to) {
        byte[] f = from.getBytes(StandardCharsets.UTF_8);
        byte[] t = to.getBytes(StandardCharsets.UTF_8);
        byte[] out = raw.clone();
        int at = -1;
        for (int i = 0; i + f.length <= out.length && at < 0; i++) {
            if (ByteBuffer.wrap(out, i, f.length).equals(ByteBuffer.wrap(f))) {
                at = i;
            }
        }
        assertTrue(at >= 0, "'" + from + "' is in the stored value");
        System.arraycopy(t, 0, out, at, t.length);
        int tag = out[1] == 1 ? 0 : 32; // version 1 has no HMAC; a later version ends with a 32-byte tag
        int crcAt = out.length - tag - 4;
        CRC32C crc = new CRC32C();
        crc.update(out, 0, crcAt);
        ByteBuffer.wrap(out, crcAt, 4).putInt((int) crc.getValue());
        return out;
    }

    @Test
    void aValueEditedOrInjectedInRedisIsDeadLetteredWithTheReasonAndNeverDelivered() {
        String topic = "tampered";
        Envelope real = envelope(topic, "k", "pay 10");
        int shard = signed.shardFor(real.message());
        signed.append(real, List.of(GROUP));
        Envelope injected = new Envelope(UUID.randomUUID().toString(),
                Message.builder(topic).key("k").body("pay 77").build(), System.currentTimeMillis(), 0);
        try (Jedis jedis = redis.server().newClient()) {
            byte[] raw = jedis.lindex(queue(topic, shard), 0);
            jedis.lset(queue(topic, shard), 0, edit(raw, "pay 10", "pay 99"));   // edited in place
            jedis.rpush(queue(topic, shard), EnvelopeCodec.encode(injected));     // injected, no key
        }

        List<String> delivered = bodies(drain(signed, topic, GROUP, "c1"));
        assertEquals(List.of(), delivered, "nothing edited or injected is delivered");
        List<DeadLetter> dead = RedisDeadLetters.of(signed).list(topic, GROUP, 10);
        assertEquals(2, dead.size(), dead.toString());
        dead.forEach(d -> assertTrue(d.reason().contains("authentic"), d.reason()));
        assertEquals(0, signed.backlog(topic, GROUP), "the shard is not blocked");
        assertEquals(0, RedisDeadLetters.of(signed).replayAll(topic, GROUP), "a value that fails authentication is never replayed");
        assertEquals(2, RedisDeadLetters.of(signed).list(topic, GROUP, 10).size(), "they stay for an operator to look at");
    }

    @Test
    void aSmartMQHandlerNeverSeesATamperedValue() {
        String ns = "auth-engine";
        String topic = "engine";
        RedisServer server = redis.server();
        RedisFallbackStore keyed = RedisFallbackStore.builder().standalone(server.host(), server.port())
                .namespace(ns).shards(4).envelopeKey(KEY).build();
        List<String> handled = new CopyOnWriteArrayList<>();
        try (SmartMQ mq = SmartMQ.builder()
                .config(SmartMQConfig.custom().namespace(ns).pollBackoffMax(Duration.ofMillis(50))
                        .shutdownTimeout(Duration.ofSeconds(2)).build())
                .transport(DegradedEngineStubs.deadMq())
                .fallbackStore(keyed)
                .degradationSwitch(DegradedEngineStubs.degradedSwitch(ns, GROUP))
                .build()) {
            // Written before anyone consumes: an edited genuine value, then an injected one, then a genuine one.
            String first = mq.producer().send(Message.builder(topic).key("k").body("pay 10").build()).messageId();
            int shard = keyed.shardFor(Message.builder(topic).key("k").body("x").build());
            byte[] q = new KeyLayout(ns, 4).shard(topic, GROUP, shard).queue();
            try (Jedis jedis = server.newClient()) {
                jedis.lset(q, 0, edit(jedis.lindex(q, 0), "pay 10", "pay 99"));
                jedis.rpush(q, EnvelopeCodec.encode(new Envelope(UUID.randomUUID().toString(),
                        Message.builder(topic).key("k").body("pay 77").build(), System.currentTimeMillis(), 0)));
            }
            mq.producer().send(Message.builder(topic).key("k").body("genuine").build());

            mq.consumer().subscribe(Subscription.of(topic, GROUP), m -> {
                handled.add(new String(m.body(), StandardCharsets.UTF_8));
                return ConsumeResult.SUCCESS;
            });
            await("the genuine message is handled").atMost(Duration.ofSeconds(20))
                    .until(() -> handled.contains("genuine"));
            assertEquals(List.of("genuine"), handled, "only the authentic message reached the handler");
            List<DeadLetter> dead = RedisDeadLetters.of(keyed).list(topic, GROUP, 10);
            assertEquals(2, dead.size(), dead.toString());
            dead.forEach(d -> assertTrue(d.reason().contains("authentic"), d.reason()));
            assertTrue(dead.stream().noneMatch(d -> d.messageId().filter(first::equals).isPresent()),
                    "the edited value is not taken for message " + first);
        }
    }

    @Test
    void aPlantedDeadLetterIsNotReplayed() {
        String topic = "planted";
        Envelope planted = new Envelope(UUID.randomUUID().toString(),
                Message.builder(topic).key("k").body("refund 500").build(), System.currentTimeMillis(), 0);
        int shard = signed.shardFor(planted.message());
        KeyLayout.ShardKeys k = new KeyLayout(NS, 4).shard(topic, GROUP, shard);
        try (Jedis jedis = redis.server().newClient()) {
            // straight into the dead-letter list, in the store's own record format, for "dlq replay" to publish
            jedis.rpush(k.deadLetters(), DeadLetterCodec.encode("handler failed", System.currentTimeMillis(),
                    "someone", EnvelopeCodec.encode(planted)));
        }
        assertEquals(1, RedisDeadLetters.of(signed).list(topic, GROUP, 10).size());
        assertEquals(0, RedisDeadLetters.of(signed).replayAll(topic, GROUP), "a planted dead letter is not replayed");
        assertEquals(0, signed.backlog(topic, GROUP), "nothing reached the shard");
        assertEquals(List.of(), bodies(drain(signed, topic, GROUP, "c1")));
        DeadLetter d = RedisDeadLetters.of(signed).list(topic, GROUP, 10).get(0);
        assertTrue(d.decodeError() != null && d.decodeError().contains("not authenticated"), String.valueOf(d));
    }

    @Test
    void aValueWrittenWithAnotherKeyIsDeadLetteredNotDelivered() {
        String topic = "wrong-key";
        Envelope e = envelope(topic, "k", "from another key");
        otherKey.append(e, List.of(GROUP));
        assertEquals(List.of(), bodies(drain(signed, topic, GROUP, "c1")));
        List<DeadLetter> dead = RedisDeadLetters.of(signed).list(topic, GROUP, 10);
        assertEquals(1, dead.size());
        assertTrue(dead.get(0).reason().contains("authentication failed"), dead.get(0).reason());
    }

    @Test
    void aGenuineValueCopiedIntoAnotherTopicsShardIsNotDeliveredThere() {
        Envelope e = envelope("topic-a", "k", "for a");
        int shard = signed.shardFor(e.message());
        signed.append(e, List.of(GROUP));
        try (Jedis jedis = redis.server().newClient()) {
            jedis.rpush(queue("topic-b", shard), jedis.lindex(queue("topic-a", shard), 0));
        }
        assertEquals(List.of(), bodies(drain(signed, "topic-b", GROUP, "c1")));
        List<DeadLetter> dead = RedisDeadLetters.of(signed).list("topic-b", GROUP, 10);
        assertEquals(1, dead.size());
        assertTrue(dead.get(0).reason().contains("topic 'topic-a'"), dead.get(0).reason());
        assertEquals(List.of("for a"), bodies(drain(signed, "topic-a", GROUP, "c1")), "the original is intact");
    }

    @Test
    void withoutAKeyEditsAreDeliveredAndAKeyedStoreRefusesUnauthenticatedValues() {
        // Documented behaviour with authentication off: the CRC only catches accidents, so an edit is delivered.
        String topic = "no-key";
        Envelope e = envelope(topic, "k", "pay 10");
        int shard = unsigned.shardFor(e.message());
        unsigned.append(e, List.of(GROUP));
        try (Jedis jedis = redis.server().newClient()) {
            byte[] raw = jedis.lindex(queue(topic, shard), 0);
            jedis.lset(queue(topic, shard), 0, edit(raw, "pay 10", "pay 99"));
        }
        assertEquals(List.of("pay 99"), bodies(drain(unsigned, topic, GROUP, "c1")),
                "without a key, Redis write access means the power to edit messages");

        // A store without the key still reads authenticated values (it cannot check them) ...
        String mixed = "mixed";
        signed.append(envelope(mixed, "k", "signed"), List.of(GROUP));
        assertEquals(List.of("signed"), bodies(drain(unsigned, mixed, GROUP, "c1")));
        // ... and a keyed store refuses values written without one.
        unsigned.append(envelope(mixed, "k", "unsigned"), List.of(GROUP));
        assertEquals(List.of(), bodies(drain(signed, mixed, GROUP, "c1")));
        List<DeadLetter> dead = RedisDeadLetters.of(signed).list(mixed, GROUP, 10);
        assertEquals(1, dead.size());
        assertTrue(dead.get(0).reason().contains("not authenticated"), dead.get(0).reason());
    }
}
