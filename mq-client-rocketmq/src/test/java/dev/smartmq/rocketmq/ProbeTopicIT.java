package dev.smartmq.rocketmq;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.testkit.rocketmq.RocketMQExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 21: the probe topic at start-up, on a broker that does not create topics: a clear error naming the topic
 * and the {@code mqadmin updateTopic} command; once created, nothing to do.
 */
class ProbeTopicIT {

    @RegisterExtension
    static final RocketMQExtension mq = RocketMQExtension.create(b -> b.autoCreateTopics(false));

    @Test
    void aMissingProbeTopicWithoutAutoCreationIsAClearStartUpError() {
        try (RocketMQTransport transport = RocketMQTransport.builder().nameServer(mq.nameServerAddress())
                .producerGroup("probe-topic-it").nameServerTimeout(Duration.ofSeconds(3)).build()) {
            transport.start();
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> transport.ensureTopic("SMARTMQ_PROBE", Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("SMARTMQ_PROBE") && e.getMessage().contains("mqadmin updateTopic"),
                    e.getMessage());

            mq.rocketMQ().createTopic("SMARTMQ_PROBE", 1);
            assertFalse(transport.ensureTopic("SMARTMQ_PROBE", Duration.ofSeconds(5)), "it exists now");
        }
    }
}
