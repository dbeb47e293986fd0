package dev.smartmq.rocketmq;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.testkit.rocketmq.RocketMQExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.MessageQueueSelector;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 21: {@code send(msg, MessageQueueSelector, arg)} through {@link SmartRocketMQProducer} puts the message on
 * the RocketMQ queue the user's selector returned, as {@code DefaultMQProducer} does (before, the transport's key
 * hash of {@code arg} chose the queue and the selector's choice was ignored). A raw {@link DefaultMQPushConsumer}
 * reads the queue id each message really landed on. Real embedded broker.
 */
class SelectorQueueIT {

    @RegisterExtension
    static final RocketMQExtension mq = RocketMQExtension.create();

    @Test
    void theMessageLandsOnTheQueueTheSelectorChose() throws Exception {
        String topic = Fixtures.uniqueTopic("selector");
        mq.rocketMQ().createTopic(topic, 4);
        RocketMQTransport transport = Fixtures.transport(mq.nameServerAddress()).build();
        transport.start();
        DefaultMQPushConsumer raw = new DefaultMQPushConsumer("selector-raw");
        try (SmartRocketMQProducer producer = new SmartRocketMQProducer(new Fixtures.DirectSmartProducer(transport))) {
            // A placement the key hash would never make: the queue after hash(arg) mod n.
            Map<String, Integer> chosen = new ConcurrentHashMap<>();
            MessageQueueSelector selector = (mqs, m, arg) -> {
                MessageQueue q = mqs.get(Math.floorMod(String.valueOf(arg).hashCode() + 1, mqs.size()));
                chosen.put(m.getUserProperty("n"), q.getQueueId());
                return q;
            };
            Map<String, Integer> landed = new ConcurrentHashMap<>();
            raw.setNamesrvAddr(mq.nameServerAddress());
            raw.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
            raw.setInstanceName("selector-raw-" + System.nanoTime());
            raw.subscribe(topic, "*");
            raw.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
                for (MessageExt m : msgs) {
                    landed.put(m.getUserProperty("n"), m.getQueueId());
                }
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            });
            raw.start();

            int count = 40;
            for (int i = 0; i < count; i++) {
                Message msg = new Message(topic, "TagA", ("body-" + i).getBytes(StandardCharsets.UTF_8));
                msg.putUserProperty("n", Integer.toString(i));
                SmartSendResult r = producer.send(msg, selector, "customer-" + (i % 7));
                assertTrue(r.getMsgId() != null);
            }
            await().atMost(Duration.ofSeconds(90)).until(() -> landed.size() == count);
            assertEquals(count, chosen.size(), "the selector was asked for every message");
            int moved = 0;
            for (int i = 0; i < count; i++) {
                String n = Integer.toString(i);
                assertEquals(chosen.get(n), landed.get(n), "message " + n + " is on the queue its selector chose");
                if (chosen.get(n) != Math.floorMod(("customer-" + (i % 7)).hashCode(), 4)) {
                    moved++;
                }
            }
            assertEquals(count, moved, "every choice differs from the key hash, so the test can tell them apart");
        } finally {
            raw.shutdown();
            transport.close();
        }
    }

    /** Through the engine an INPUT failure is the caller's {@code MESSAGE_ILLEGAL}; here (no engine) it is the transport's. */
    @Test
    void aSelectorThatThrowsOrReturnsNullIsInputNotAnInfrastructureFailure() throws Exception {
        String topic = Fixtures.uniqueTopic("selector-bad");
        mq.rocketMQ().createTopic(topic, 2);
        RocketMQTransport transport = Fixtures.transport(mq.nameServerAddress()).build();
        transport.start();
        try (SmartRocketMQProducer producer = new SmartRocketMQProducer(new Fixtures.DirectSmartProducer(transport))) {
            Message msg = new Message(topic, "TagA", "x".getBytes(StandardCharsets.UTF_8));
            MessageQueueSelector returnsNull = (mqs, m, arg) -> null;
            MessageQueueSelector throwing = (mqs, m, arg) -> {
                throw new IllegalStateException("boom");
            };
            MessageQueueSelector foreign = (mqs, m, arg) -> new MessageQueue("other-topic", "nobroker", 0);
            for (MessageQueueSelector bad : java.util.List.of(returnsNull, throwing, foreign)) {
                dev.smartmq.spi.TransportException e = org.junit.jupiter.api.Assertions.assertThrows(
                        dev.smartmq.spi.TransportException.class, () -> producer.send(msg, bad, "a"));
                assertTrue(!e.isInfrastructure(), "a bad selector is the caller's error, not the MQ's: " + e);
                StringBuilder chain = new StringBuilder();
                for (Throwable t = e; t != null; t = t.getCause()) {
                    chain.append(t.getMessage()).append(" <- ");
                }
                assertTrue(chain.toString().contains("the MessageQueueSelector"), chain.toString());
            }
        } finally {
            transport.close();
        }
    }
}
