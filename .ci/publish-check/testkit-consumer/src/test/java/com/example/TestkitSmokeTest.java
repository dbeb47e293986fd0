package com.example;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.rocketmq.RocketMQExtension;
import java.nio.charset.StandardCharsets;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;

/** A user's test on the published testkit: an embedded broker takes a message, a testkit redis-server answers. */
class TestkitSmokeTest {

    @RegisterExtension
    static final RocketMQExtension MQ = RocketMQExtension.create();

    @RegisterExtension
    static final RedisExtension REDIS = RedisExtension.standalone();

    @Test
    void theEmbeddedBrokerStoresAMessageAndRedisAnswers() throws Exception {
        MQ.rocketMQ().createTopic("smoke", 1);
        DefaultMQProducer producer = new DefaultMQProducer("smoke-producer");
        producer.setNamesrvAddr(MQ.nameServerAddress());
        producer.setInstanceName("smoke");
        producer.start();
        try {
            SendResult r = producer.send(new Message("smoke", "hello".getBytes(StandardCharsets.UTF_8)));
            assertEquals(SendStatus.SEND_OK, r.getSendStatus());
        } finally {
            producer.shutdown();
        }
        try (Jedis jedis = REDIS.server().newClient()) {
            assertEquals("OK", jedis.set("smoke", "1"));
            assertEquals("1", jedis.get("smoke"));
        }
    }
}
