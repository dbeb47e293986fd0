package dev.smartmq.rocketmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.DeliveryException;
import dev.smartmq.api.Message;
import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartProducer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.remoting.exception.RemotingTimeoutException;
import org.apache.rocketmq.remoting.protocol.ResponseCode;
import org.junit.jupiter.api.Test;

/** The facade's mapping, against a hand-written SmartProducer that records what it was given. */
class SmartRocketMQProducerTest {

    /** Records messages; answers with {@code answer}. */
    static final class RecordingProducer implements SmartProducer {
        final List<Message> sent = new CopyOnWriteArrayList<>();
        final Function<Message, CompletableFuture<SendReceipt>> answer;
        volatile boolean closed;

        RecordingProducer(Function<Message, CompletableFuture<SendReceipt>> answer) {
            this.answer = answer;
        }

        @Override
        public SendReceipt send(Message message) {
            sent.add(message);
            try {
                return answer.apply(message).join();
            } catch (java.util.concurrent.CompletionException e) {
                // A real SmartProducer throws its exceptions directly.
                throw (RuntimeException) e.getCause();
            }
        }

        @Override
        public CompletableFuture<SendReceipt> sendAsync(Message message) {
            sent.add(message);
            return answer.apply(message);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

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
    void mapsTopicTagsKeyPropertiesAndBodyAndReturnsTheSmartMQId() throws Exception {
        RecordingProducer delegate = answering(new SendReceipt("id-1", Route.FALLBACK, 7, null));
        SmartRocketMQProducer producer = new SmartRocketMQProducer(delegate);
        SendResult result = producer.send(rocketMessage());

        Message sent = delegate.sent.get(0);
        assertEquals("orders", sent.topic());
        assertEquals("paid", sent.tags());
        assertEquals("order-7", sent.key());
        assertEquals(Map.of("tenant", "t1"), sent.properties());
        assertEquals("body", new String(sent.body(), StandardCharsets.UTF_8));

        assertEquals(SendStatus.SEND_OK, result.getSendStatus());
        assertEquals("id-1", result.getMsgId());
        SmartSendResult smart = assertInstanceOf(SmartSendResult.class, result);
        assertEquals(Route.FALLBACK, smart.route());
        assertEquals(7, smart.switchEpoch());
        assertNull(smart.getOffsetMsgId());
        assertNull(smart.getMessageQueue());
    }

    @Test
    void mqRouteCarriesRocketMQsOwnIdAsOffsetMsgId() throws Exception {
        SmartRocketMQProducer producer = new SmartRocketMQProducer(
                answering(new SendReceipt("id-2", Route.MQ, 1, "RMQ-ID")));
        SmartSendResult result = producer.send(rocketMessage(), 1000);
        assertEquals("id-2", result.getMsgId());
        assertEquals("RMQ-ID", result.getOffsetMsgId());
        assertEquals(Route.MQ, result.route());
    }

    @Test
    void rejectsWhatSmartMQCannotCarryAsMessageIllegal() {
        SmartRocketMQProducer producer = new SmartRocketMQProducer(answering(new SendReceipt("x", Route.MQ, 0, null)));
        org.apache.rocketmq.common.message.Message badDelay = rocketMessage();
        org.apache.rocketmq.common.message.MessageAccessor.putProperty(badDelay,
                org.apache.rocketmq.common.message.MessageConst.PROPERTY_DELAY_TIME_LEVEL, "three");
        org.apache.rocketmq.common.message.Message transactional = rocketMessage();
        org.apache.rocketmq.common.message.MessageAccessor.putProperty(transactional,
                org.apache.rocketmq.common.message.MessageConst.PROPERTY_TRANSACTION_PREPARED, "true");
        org.apache.rocketmq.common.message.Message badTopic = new org.apache.rocketmq.common.message.Message(
                "bad topic", new byte[] {1});
        org.apache.rocketmq.common.message.Message empty = new org.apache.rocketmq.common.message.Message(
                "orders", new byte[0]);
        for (var msg : List.of(badDelay, transactional, badTopic, empty)) {
            MQClientException e = assertThrows(MQClientException.class, () -> producer.send(msg), msg.toString());
            assertEquals(ResponseCode.MESSAGE_ILLEGAL, e.getResponseCode());
        }
    }

    @Test
    void delayLevelAndDeliveryTimeBecomeDeliverAtAndALevelStaysALevelForTheMQ() throws Exception {
        RecordingProducer delegate = answering(new SendReceipt("x", Route.MQ, 0, null));
        SmartRocketMQProducer producer = new SmartRocketMQProducer(delegate);
        long before = System.currentTimeMillis();
        org.apache.rocketmq.common.message.Message level = rocketMessage();
        level.setDelayTimeLevel(3); // 10 s
        producer.send(level);
        Message sent = delegate.sent.get(0);
        assertTrue(sent.deliverAtMillis() >= before + 10_000 && sent.deliverAtMillis() <= System.currentTimeMillis() + 10_000,
                "level 3 is 10 s from now: " + sent);
        assertEquals(3, ((dev.smartmq.rocketmq.internal.SendHint) sent.transportHint()).delayLevel());
        assertTrue(!sent.properties().containsKey("DELAY"), "RocketMQ's property is not a user property");
        org.apache.rocketmq.common.message.Message clamped = rocketMessage();
        clamped.setDelayTimeLevel(99);
        producer.send(clamped);
        assertEquals(18, ((dev.smartmq.rocketmq.internal.SendHint) delegate.sent.get(1).transportHint()).delayLevel());
        long at = System.currentTimeMillis() + 60_000;
        org.apache.rocketmq.common.message.Message timed = rocketMessage();
        timed.setDeliverTimeMs(at);
        producer.send(timed, (mqs, m, arg) -> mqs.get(0), "customer-1");
        Message timedSent = delegate.sent.get(2);
        assertEquals(at, timedSent.deliverAtMillis());
        assertEquals("customer-1", timedSent.key());
        assertEquals(0, ((dev.smartmq.rocketmq.internal.SendHint) timedSent.transportHint()).delayLevel());
        org.apache.rocketmq.common.message.Message none = rocketMessage();
        none.setDelayTimeLevel(0);
        producer.send(none);
        assertEquals(0, delegate.sent.get(3).deliverAtMillis());
        // The MQ path: a level goes out as RocketMQ's level, a time as RocketMQ's timer property.
        org.apache.rocketmq.common.message.Message out = dev.smartmq.rocketmq.internal.MessageMapping.toRocketMQ(
                new dev.smartmq.spi.Envelope("id", sent, before, 0));
        assertEquals(3, out.getDelayTimeLevel());
        org.apache.rocketmq.common.message.Message outTimed = dev.smartmq.rocketmq.internal.MessageMapping.toRocketMQ(
                new dev.smartmq.spi.Envelope("id", timedSent, before, 0));
        assertEquals(at, outTimed.getDeliverTimeMs());
    }

    @Test
    void deliveryFailureBecomesMQClientExceptionWithTheCause() {
        DeliveryException failure = new DeliveryException("id-3", "MQ and fallback both failed", null);
        RecordingProducer delegate = new RecordingProducer(m -> CompletableFuture.failedFuture(failure));
        SmartRocketMQProducer producer = new SmartRocketMQProducer(delegate);
        MQClientException sync = assertThrows(MQClientException.class, () -> producer.send(rocketMessage()));
        assertSame(failure, sync.getCause());
        MQClientException timed = assertThrows(MQClientException.class, () -> producer.send(rocketMessage(), 1000));
        assertSame(failure, timed.getCause());
    }

    @Test
    void timeoutWithoutReceiptIsRemotingTimeout() {
        SmartRocketMQProducer producer = new SmartRocketMQProducer(
                new RecordingProducer(m -> new CompletableFuture<>()));
        assertThrows(RemotingTimeoutException.class, () -> producer.send(rocketMessage(), 50));
    }

    @Test
    void callbackGetsTheResultOrTheException() throws Exception {
        CompletableFuture<Object> outcome = new CompletableFuture<>();
        SendCallback callback = new SendCallback() {
            @Override
            public void onSuccess(SendResult sendResult) {
                outcome.complete(sendResult);
            }

            @Override
            public void onException(Throwable e) {
                outcome.complete(e);
            }
        };
        new SmartRocketMQProducer(answering(new SendReceipt("id-4", Route.MQ, 0, "R")))
                .send(rocketMessage(), callback);
        assertEquals("id-4", ((SendResult) outcome.get(5, TimeUnit.SECONDS)).getMsgId());

        CompletableFuture<Object> failed = new CompletableFuture<>();
        new SmartRocketMQProducer(new RecordingProducer(m -> CompletableFuture.failedFuture(
                new DeliveryException("id-5", "both failed", null)))).send(rocketMessage(), new SendCallback() {
                    @Override
                    public void onSuccess(SendResult sendResult) {
                        failed.complete(sendResult);
                    }

                    @Override
                    public void onException(Throwable e) {
                        failed.complete(e);
                    }
                });
        MQClientException e = assertInstanceOf(MQClientException.class, failed.get(5, TimeUnit.SECONDS));
        assertInstanceOf(DeliveryException.class, e.getCause());
    }

    @Test
    void closeClosesTheDelegate() {
        RecordingProducer delegate = answering(new SendReceipt("x", Route.MQ, 0, null));
        new SmartRocketMQProducer(delegate).shutdown();
        assertTrue(delegate.closed);
    }

    @Test
    void selectorArgIsTheOrderingKeyAndTheMessagesKeysStayRocketMQKeys() throws Exception {
        RecordingProducer delegate = answering(new SendReceipt("x", Route.FALLBACK, 0, null));
        SmartRocketMQProducer producer = new SmartRocketMQProducer(delegate);
        org.apache.rocketmq.client.producer.MessageQueueSelector selector = (mqs, m, arg) -> mqs.get(0);
        producer.send(rocketMessage(), selector, 42L);
        assertEquals("42", delegate.sent.get(0).key());
        assertEquals("order-7", delegate.sent.get(0).properties().get(RocketMQProperties.KEYS));
        MQClientException e = assertThrows(MQClientException.class, () -> producer.send(rocketMessage(), selector,
                null));
        assertEquals(ResponseCode.MESSAGE_ILLEGAL, e.getResponseCode());
        assertEquals(1, delegate.sent.size());
    }

    @Test
    void batchSendsEveryMessageInOrderAndRejectsABadOneBeforeSendingAny() throws Exception {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        RecordingProducer delegate = new RecordingProducer(m -> CompletableFuture.completedFuture(
                new SendReceipt("id-" + n.incrementAndGet(), Route.MQ, 0, null)));
        SmartRocketMQProducer producer = new SmartRocketMQProducer(delegate);
        SendResult r = producer.send(List.of(rocketMessage(), rocketMessage(), rocketMessage()));
        assertEquals("id-1,id-2,id-3", r.getMsgId());
        assertEquals(3, delegate.sent.size());
        org.apache.rocketmq.common.message.Message bad = new org.apache.rocketmq.common.message.Message(
                "bad topic", new byte[] {1});
        MQClientException e = assertThrows(MQClientException.class,
                () -> producer.send(List.of(rocketMessage(), bad)));
        assertEquals(ResponseCode.MESSAGE_ILLEGAL, e.getResponseCode());
        assertEquals(3, delegate.sent.size(), "nothing of the bad batch was sent");
    }

    @Test
    void onewaySendsAndStillRejectsBadInput() throws Exception {
        RecordingProducer delegate = answering(new SendReceipt("x", Route.MQ, 0, null));
        SmartRocketMQProducer producer = new SmartRocketMQProducer(delegate);
        producer.sendOneway(rocketMessage());
        assertEquals(1, delegate.sent.size());
        org.apache.rocketmq.common.message.Message bad = new org.apache.rocketmq.common.message.Message(
                "orders", new byte[0]);
        MQClientException e = assertThrows(MQClientException.class, () -> producer.sendOneway(bad));
        assertEquals(ResponseCode.MESSAGE_ILLEGAL, e.getResponseCode());
    }
}
