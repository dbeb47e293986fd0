package dev.smartmq.rocketmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConfigurationException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RocketMQTransportBuilderTest {

    @Test
    void nameServerIsRequiredAndValidated() {
        ConfigurationException missing = assertThrows(ConfigurationException.class,
                () -> RocketMQTransport.builder().build());
        assertTrue(missing.getMessage().contains("nameServer"));
        ConfigurationException bad = assertThrows(ConfigurationException.class,
                () -> RocketMQTransport.builder().nameServer("localhost"));
        assertTrue(bad.getMessage().contains("localhost"), bad.getMessage());
        RocketMQTransport.builder().nameServer("10.0.0.1:9876;10.0.0.2:9876");
    }

    @Test
    void settersNameTheFieldAndTheBadValue() {
        var b = RocketMQTransport.builder();
        assertTrue(assertThrows(ConfigurationException.class, () -> b.sendTimeout(Duration.ZERO)).getMessage()
                .contains("sendTimeout"));
        assertTrue(assertThrows(ConfigurationException.class, () -> b.producerGroup("a b")).getMessage()
                .contains("a b"));
        assertTrue(assertThrows(ConfigurationException.class, () -> b.maxBodySize(5 * 1024 * 1024)).getMessage()
                .contains("5242880"));
        assertThrows(ConfigurationException.class, () -> b.namespace("bad ns"));
        assertThrows(ConfigurationException.class, () -> b.retriesWhenSendFailed(-1));
        assertThrows(ConfigurationException.class, () -> b.consumeThreads(0));
        assertThrows(ConfigurationException.class, () -> b.aclCredentials("ak", " "));
    }

    @Test
    void secretKeyIsNeverPrinted() {
        RocketMQTransport transport = RocketMQTransport.builder().nameServer("127.0.0.1:9876")
                .aclCredentials("myAccessKey", "s3cr3t-value").build();
        try {
            assertFalse(transport.toString().contains("s3cr3t-value"), transport.toString());
            assertTrue(transport.toString().contains("<masked>"));
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> RocketMQTransport.builder().aclCredentials(" ", "s3cr3t-value"));
            assertFalse(e.getMessage().contains("s3cr3t-value"));
        } finally {
            transport.close();
        }
    }

    @Test
    void everyTransportHasItsOwnInstanceName() {
        RocketMQTransport a = RocketMQTransport.builder().nameServer("127.0.0.1:9876").build();
        RocketMQTransport b = RocketMQTransport.builder().nameServer("127.0.0.1:9876").build();
        try {
            assertNotEquals(a.instanceName(), b.instanceName());
            assertTrue(a.instanceName().startsWith("smartmq-" + ProcessHandle.current().pid() + "-"));
        } finally {
            a.close();
            b.close();
        }
    }

    @Test
    void defaultsAreRocketMQs() {
        assertEquals(Duration.ofSeconds(3), RocketMQTransport.DEFAULT_SEND_TIMEOUT);
        assertEquals(ConsumeFrom.LAST_OFFSET, RocketMQTransport.DEFAULT_CONSUME_FROM);
        assertEquals(4 * 1024 * 1024, RocketMQTransport.DEFAULT_MAX_BODY_SIZE);
    }

    @Test
    void unstartedTransportRefusesWork() {
        RocketMQTransport t = RocketMQTransport.builder().nameServer("127.0.0.1:9876").build();
        assertThrows(IllegalStateException.class, () -> t.probe("p", Duration.ofSeconds(1)));
        t.close();
        assertThrows(IllegalStateException.class, t::start);
    }
}
