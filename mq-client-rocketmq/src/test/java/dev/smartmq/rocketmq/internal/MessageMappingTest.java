package dev.smartmq.rocketmq.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Route;
import dev.smartmq.rocketmq.RocketMQProperties;
import dev.smartmq.spi.Envelope;
import java.util.Map;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Test;

class MessageMappingTest {

    private static Message.Builder base() {
        return Message.builder("orders").body("hello");
    }

    @Test
    void envelopeMapsToRocketMQAndBack() {
        Message m = base().key("order-1").tags("paid").property("tenant", "t1").build();
        Envelope env = new Envelope("0190b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b", m, 1234L, 0);
        org.apache.rocketmq.common.message.Message out = MessageMapping.toRocketMQ(env);
        assertEquals("orders", out.getTopic());
        assertEquals("order-1", out.getKeys());
        assertEquals("paid", out.getTags());
        assertEquals("t1", out.getUserProperty("tenant"));
        assertEquals("0190b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b", out.getUserProperty(Envelope.ID_PROPERTY));
        assertEquals("1234", out.getUserProperty(Envelope.BORN_PROPERTY));

        MessageExt ext = new MessageExt();
        ext.setTopic(out.getTopic());
        ext.setBody(out.getBody());
        org.apache.rocketmq.common.message.MessageAccessor.setProperties(ext, new java.util.HashMap<>(out.getProperties()));
        ext.setReconsumeTimes(2);
        ext.setMsgId("RMQ-ID");
        ReceivedMessage r = MessageMapping.fromRocketMQ(ext);
        assertEquals("0190b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b", r.id());
        assertEquals(1234L, r.bornTimestamp());
        assertEquals(3, r.deliveryAttempt());
        assertEquals(Route.MQ, r.route());
        assertEquals("order-1", r.key());
        assertEquals("paid", r.tags());
        assertEquals(Map.of("tenant", "t1"), r.properties());
        assertArrayEquals("hello".getBytes(), r.body());
    }

    @Test
    void foreignMessageFallsBackToRocketMQIdAndBornTime() {
        MessageExt ext = new MessageExt();
        ext.setTopic("orders");
        ext.setBody(new byte[] {1});
        ext.setMsgId("RMQ-ID");
        ext.setBornTimestamp(99L);
        ext.setKeys("k1 k2");
        ext.setTags("a b");
        ext.putUserProperty("bad name", "v");
        ext.putUserProperty("ok", "v");
        ReceivedMessage r = MessageMapping.fromRocketMQ(ext);
        assertEquals("RMQ-ID", r.id());
        assertEquals(99L, r.bornTimestamp());
        assertEquals(1, r.deliveryAttempt());
        assertEquals("k1", r.key());
        assertNull(r.tags());
        // Nothing RocketMQ carried is dropped: all keys, the tag and the unnamable property ride along.
        assertEquals(Map.of("ok", "v", RocketMQProperties.KEYS, "k1 k2", RocketMQProperties.TAGS, "a b",
                RocketMQProperties.PROPERTIES, "bad+name=v"), r.properties());
        assertEquals(Map.of("bad name", "v"), RocketMQProperties.unmapped(r));
    }

    @Test
    void smqIdIsTheIdOnlyInSmartMQsForm() {
        for (String notOurs : new String[] {"victim-id", "0190b2c4-5d6e-4f80-9a1b-2c3d4e5f6a7b",
                "0190B2C4-5D6E-7F80-9A1B-2C3D4E5F6A7B"}) {
            MessageExt ext = new MessageExt();
            ext.setTopic("orders");
            ext.setBody(new byte[] {1});
            ext.setMsgId("RMQ-ID");
            ext.setBornTimestamp(99L);
            ext.putUserProperty(Envelope.ID_PROPERTY, notOurs);
            ext.putUserProperty(Envelope.BORN_PROPERTY, "5");
            ReceivedMessage r = MessageMapping.fromRocketMQ(ext);
            assertEquals("RMQ-ID", r.id(), notOurs);
            assertEquals(99L, r.bornTimestamp(), "an untrusted SMQ_BORN is not used either");
            assertTrue(RocketMQProperties.unmapped(r).containsKey(Envelope.ID_PROPERTY), "but kept visible");
        }
    }

    @Test
    void anOverlongKeyIsCarriedNotRefusedAndAnEmptyBodyIsRefusedWithoutQuotingIt() {
        MessageExt ext = new MessageExt();
        ext.setTopic("orders");
        ext.setBody(new byte[] {1});
        ext.setMsgId("RMQ-ID");
        ext.setKeys("K".repeat(600));
        ReceivedMessage r = MessageMapping.fromRocketMQ(ext);
        assertNull(r.key());
        assertEquals("K".repeat(600), r.properties().get(RocketMQProperties.KEYS));
        ext.setBody(new byte[0]);
        InvalidMessageException e = assertThrows(InvalidMessageException.class, () -> MessageMapping.fromRocketMQ(ext));
        assertFalse(e.getMessage().contains("KKKK"));
    }

    @Test
    void delayLevelsAreTheNearestRocketMQAllows() {
        assertEquals(1, DelayLevels.nearest(java.time.Duration.ofMillis(200)));
        assertEquals(1, DelayLevels.nearest(java.time.Duration.ofSeconds(2)));
        assertEquals(2, DelayLevels.nearest(java.time.Duration.ofSeconds(4)));
        assertEquals(3, DelayLevels.nearest(java.time.Duration.ofSeconds(8)));
        assertEquals(5, DelayLevels.nearest(java.time.Duration.ofSeconds(60)));
        assertEquals(18, DelayLevels.nearest(java.time.Duration.ofHours(5)));
    }

    @Test
    void everyPropertyNameRocketMQReservesIsRejectedBeforeIO() {
        for (String reserved : MessageConst.STRING_HASH_SET) {
            if (!reserved.matches("[A-Za-z0-9_.-]+") || reserved.startsWith(Message.RESERVED_PROPERTY_PREFIX)) {
                continue; // Message itself already refuses these names
            }
            Message m = base().property(reserved, "x").build();
            InvalidMessageException e = assertThrows(InvalidMessageException.class,
                    () -> MessageMapping.validate(m, 1024, null), reserved);
            assertTrue(e.getMessage().contains(reserved));
        }
    }

    @Test
    void blankPropertyValueIsRejected() {
        Message m = base().property("note", " ").build();
        assertThrows(InvalidMessageException.class, () -> MessageMapping.validate(m, 1024, null));
    }

    @Test
    void bodyOverTheLimitIsRejected() {
        Message m = Message.builder("orders").body(new byte[1025]).build();
        assertThrows(InvalidMessageException.class, () -> MessageMapping.validate(m, 1024, null));
        assertDoesNotThrow(() -> MessageMapping.validate(m, 1025, null));
    }

    @Test
    void topicLengthCountsTheNamespace() {
        Message m = Message.builder("t".repeat(120)).body("x").build();
        assertDoesNotThrow(() -> MessageMapping.validate(m, 1024, null));
        assertThrows(InvalidMessageException.class, () -> MessageMapping.validate(m, 1024, "namespace"));
    }

    @Test
    void hugePropertiesAreRejected() {
        Message m = base().property("big", "x".repeat(20_000)).build();
        assertThrows(InvalidMessageException.class, () -> MessageMapping.validate(m, 1024, null));
    }

    @Test
    void keyHashSelectionIsStableAndInRange() {
        for (int n = 1; n <= 16; n++) {
            for (String key : new String[] {"a", "order-42", "\u00e9t\u00e9", "x".repeat(500)}) {
                int i = KeyHashQueueSelector.indexFor(key, n);
                assertTrue(i >= 0 && i < n);
                assertEquals(i, KeyHashQueueSelector.indexFor(new String(key), n));
            }
        }
        // A key whose hashCode is Integer.MIN_VALUE must not give a negative index.
        assertEquals(0, Math.floorMod(Integer.MIN_VALUE, 4));
        assertEquals(Math.floorMod("polygenelubricants".hashCode(), 7),
                KeyHashQueueSelector.indexFor("polygenelubricants", 7));
    }
}
