package dev.smartmq.rocketmq.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.spi.Envelope;
import java.util.Map;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageDecoder;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 item 10: RocketMQ carries keys and tags inside its property string ({@code name\u0001value\u0002}),
 * so a key holding the separators can plant any property, {@link Envelope#ID_PROPERTY} included. The wire
 * encoding here is RocketMQ's own ({@link MessageDecoder}), the same the client sends and the broker hands to
 * consumers.
 */
class CraftedKeyTest {

    private static final String REAL_ID = "0190a1b2-c3d4-7e5f-8a9b-000000000001";
    private static final String FORGED_ID = "0190a1b2-c3d4-7e5f-8a9b-00000000beef";

    /** A key that ends the KEYS property and starts an SMQ_ID property of its own. */
    private static final String CRAFTED_KEY = "order-1" + MessageDecoder.PROPERTY_SEPARATOR + Envelope.ID_PROPERTY
            + MessageDecoder.NAME_VALUE_SEPARATOR + FORGED_ID;

    @Test
    void theSeparatorsInAKeySplitItOnTheWire() {
        // The mechanism, shown on RocketMQ's message directly (SmartMQ's Message refuses to build such a key).
        org.apache.rocketmq.common.message.Message raw =
                new org.apache.rocketmq.common.message.Message("orders", null, CRAFTED_KEY, new byte[] {1});
        Map<String, String> decoded = MessageDecoder.string2messageProperties(
                MessageDecoder.messageProperties2String(raw.getProperties()));
        assertEquals("order-1", decoded.get(MessageConst.PROPERTY_KEYS), "the key is cut at the separator");
        assertEquals(FORGED_ID, decoded.get(Envelope.ID_PROPERTY), "and the rest becomes a property");
    }

    @Test
    void aCraftedKeyCanNoLongerOverwriteTheMessageId() {
        Message message;
        try {
            message = Message.builder("orders").key(CRAFTED_KEY).body("paid").build();
        } catch (InvalidMessageException e) {
            assertTrue(e.getMessage().contains("key"), e.getMessage());
            return; // refused before any I/O: nothing reaches the wire
        }
        // Today's code accepts the key: follow it over RocketMQ's wire encoding and see which id arrives.
        org.apache.rocketmq.common.message.Message out =
                MessageMapping.toRocketMQ(new Envelope(REAL_ID, message, 1L, 0));
        Map<String, String> onTheWire = MessageDecoder.string2messageProperties(
                MessageDecoder.messageProperties2String(out.getProperties()));
        assertEquals(REAL_ID, onTheWire.get(Envelope.ID_PROPERTY),
                "a crafted key overwrote SMQ_ID (key on the wire: '" + onTheWire.get(MessageConst.PROPERTY_KEYS)
                        + "')");
    }
}
