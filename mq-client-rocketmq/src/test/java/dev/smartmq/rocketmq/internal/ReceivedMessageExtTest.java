package dev.smartmq.rocketmq.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.smartmq.api.Message;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Route;
import dev.smartmq.rocketmq.RocketMQProperties;
import java.util.Map;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Test;

/** The MessageExt a RocketMQ listener sees through {@code SmartRocketMQPushConsumer}, the same on both paths. */
class ReceivedMessageExtTest {

    @Test
    void carriesIdKeysTagsPropertiesBornTimeAndReconsumeTimes() {
        Message m = Message.builder("orders").key("k1").tags("paid").property("tenant", "t1").body("b").build();
        for (Route route : Route.values()) {
            MessageExt ext = ReceivedMessageExt.toMessageExt(new ReceivedMessage("id-1", m, 1234L, 3, route));
            assertEquals("id-1", ext.getMsgId());
            assertEquals("id-1", ext.getUserProperty("SMQ_ID"));
            assertEquals("orders", ext.getTopic());
            assertEquals("k1", ext.getKeys());
            assertEquals("paid", ext.getTags());
            assertEquals("t1", ext.getUserProperty("tenant"));
            assertEquals(1234L, ext.getBornTimestamp());
            assertEquals(2, ext.getReconsumeTimes());
            assertEquals("b", new String(ext.getBody(), java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    @Test
    void givesBackWhatTheTransportCarriedAside() {
        Message m = Message.builder("orders").key("k1")
                .property(RocketMQProperties.KEYS, "k1 k2 k3")
                .property(RocketMQProperties.TAGS, "TagA || TagB")
                .property(RocketMQProperties.PROPERTIES, RocketMQProperties.encode(Map.of("x:colon", "v")))
                .body("b").build();
        MessageExt ext = ReceivedMessageExt.toMessageExt(new ReceivedMessage("id-2", m, 1L, 1, Route.FALLBACK));
        assertEquals("k1 k2 k3", ext.getKeys());
        assertEquals("TagA || TagB", ext.getTags());
        assertEquals("v", ext.getUserProperty("x:colon"));
        assertEquals(null, ext.getUserProperty(RocketMQProperties.KEYS));
        assertEquals(0, ext.getReconsumeTimes());
    }
}
