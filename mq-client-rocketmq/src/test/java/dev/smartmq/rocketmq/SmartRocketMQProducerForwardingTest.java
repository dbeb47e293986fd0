package dev.smartmq.rocketmq;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.smartmq.api.Message;
import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.rocketmq.SmartRocketMQProducerTest.RecordingProducer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Issue 21: what a {@code DefaultMQProducer} user sends every day and the facade used to refuse with
 * {@code MESSAGE_ILLEGAL}: several keys, a received {@code MessageExt} forwarded, a message re-sent after a raw
 * producer sent it (RocketMQ's system properties on it).
 */
class SmartRocketMQProducerForwardingTest {

    private static RecordingProducer answering(SendReceipt receipt) {
        return new RecordingProducer(m -> CompletableFuture.completedFuture(receipt));
    }

    private static org.apache.rocketmq.common.message.Message rocketMessage() {
        org.apache.rocketmq.common.message.Message msg = new org.apache.rocketmq.common.message.Message(
                "orders", "paid", "order-7", "body".getBytes(StandardCharsets.UTF_8));
        msg.putUserProperty("tenant", "t1");
        return msg;
    }

    @Test
    void severalKeysGiveTheFirstAsKeyAndAllAsRocketMQKeys() throws Exception {
        RecordingProducer delegate = answering(new SendReceipt("x", Route.MQ, 0, null));
        SmartRocketMQProducer producer = new SmartRocketMQProducer(delegate);
        org.apache.rocketmq.common.message.Message msg = rocketMessage();
        msg.setKeys(List.of("k1", "k2", "k3"));
        producer.send(msg);
        Message sent = delegate.sent.get(0);
        assertEquals("k1", sent.key());
        assertEquals("k1 k2 k3", sent.properties().get(RocketMQProperties.KEYS));
    }

    @Test
    void aReceivedMessageExtOrAnAlreadySentMessageIsAcceptedWithoutRocketMQsSystemProperties() throws Exception {
        RecordingProducer delegate = answering(new SendReceipt("x", Route.MQ, 0, null));
        SmartRocketMQProducer producer = new SmartRocketMQProducer(delegate);
        org.apache.rocketmq.common.message.MessageExt received = new org.apache.rocketmq.common.message.MessageExt();
        received.setTopic("orders");
        received.setBody("b".getBytes(StandardCharsets.UTF_8));
        received.setTags("paid");
        received.setKeys("order-7");
        received.putUserProperty("tenant", "t1");
        for (String system : List.of("UNIQ_KEY", "MIN_OFFSET", "MAX_OFFSET", "CONSUME_START_TIME", "REAL_TOPIC",
                "REAL_QID", "RETRY_TOPIC", "TRAN_MSG", "DELAY", "__transactionId__", "PGROUP")) {
            org.apache.rocketmq.common.message.MessageAccessor.putProperty(received, system, "1");
        }
        org.apache.rocketmq.common.message.MessageAccessor.putProperty(received, "SMQ_ID",
                "0190a5b2-7c3d-7abc-8def-0123456789ab");
        org.apache.rocketmq.common.message.MessageAccessor.putProperty(received, "SMQ_BORN", "1");
        producer.send(received);
        Message forwarded = delegate.sent.get(0);
        assertEquals(Map.of("tenant", "t1"), forwarded.properties());
        assertEquals("order-7", forwarded.key());
        assertEquals("paid", forwarded.tags());

        // A raw producer's message after its send: RocketMQ set UNIQ_KEY (and WAIT) on it.
        org.apache.rocketmq.common.message.Message again = rocketMessage();
        org.apache.rocketmq.common.message.MessageAccessor.putProperty(again, "UNIQ_KEY", "7F0000010001");
        producer.send(again);
        assertEquals(Map.of("tenant", "t1"), delegate.sent.get(1).properties());
    }

}
