package dev.smartmq.testkit.rocketmq;

import java.nio.charset.StandardCharsets;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;

/** Plain RocketMQ clients for the testkit's own tests (each with its own instance name). */
final class RocketMQClients {

    private RocketMQClients() {
    }

    static DefaultMQProducer producer(String nameServer, int sendTimeoutMillis) throws MQClientException {
        DefaultMQProducer producer = new DefaultMQProducer("testkit-producer-" + UUID.randomUUID());
        producer.setNamesrvAddr(nameServer);
        producer.setInstanceName("testkit-" + UUID.randomUUID());
        producer.setSendMsgTimeout(sendTimeoutMillis);
        producer.setRetryTimesWhenSendFailed(0);
        producer.setPollNameServerInterval(1000);
        producer.start();
        return producer;
    }

    /** A consumer of every message of {@code topic} from the first offset; bodies are collected as text. */
    static DefaultMQPushConsumer consumer(String nameServer, String topic, Queue<String> received)
            throws MQClientException {
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer("testkit-group-" + UUID.randomUUID());
        consumer.setNamesrvAddr(nameServer);
        consumer.setInstanceName("testkit-" + UUID.randomUUID());
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.setPollNameServerInterval(1000);
        consumer.subscribe(topic, "*");
        consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                received.add(new String(m.getBody(), StandardCharsets.UTF_8));
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        return consumer;
    }

    static Queue<String> newInbox() {
        return new ConcurrentLinkedQueue<>();
    }
}
