package dev.smartmq.zookeeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConfigurationException;
import java.time.Duration;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.Test;

class ZkDegradationSwitchBuilderTest {

    @Test
    void settersNameTheFieldAndTheBadValue() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> ZkDegradationSwitch.builder().namespace("a/b"));
        assertTrue(e.getMessage().startsWith("namespace ") && e.getMessage().endsWith("but was a/b"), e.getMessage());
        assertThrows(ConfigurationException.class, () -> ZkDegradationSwitch.builder().rootPath("smartmq"));
        assertThrows(ConfigurationException.class, () -> ZkDegradationSwitch.builder().rootPath("/smartmq/"));
        assertThrows(ConfigurationException.class, () -> ZkDegradationSwitch.builder().operationTimeout(Duration.ZERO));
        assertThrows(ConfigurationException.class, () -> ZkDegradationSwitch.builder().historySize(0));
    }

    @Test
    void exactlyOneOfConnectStringAndClient() {
        assertThrows(ConfigurationException.class, () -> ZkDegradationSwitch.builder().build());
        CuratorFramework shared = CuratorFrameworkFactory.newClient("127.0.0.1:1", new RetryOneTime(1));
        try {
            assertThrows(ConfigurationException.class,
                    () -> ZkDegradationSwitch.builder().connectString("127.0.0.1:1").client(shared).build());
            ConfigurationException auth = assertThrows(ConfigurationException.class, () -> ZkDegradationSwitch.builder()
                    .client(shared).authorization("digest", "user:secret-pw").build());
            assertFalse(auth.getMessage().contains("secret-pw"), auth.getMessage());
            assertThrows(ConfigurationException.class, () -> ZkDegradationSwitch.builder()
                    .client(shared).sessionTimeout(Duration.ofSeconds(3)).build());
        } finally {
            shared.close();
        }
    }

    @Test
    void secretsAreNeverShown() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> ZkDegradationSwitch.builder().writers(List.of("ops:plain-password")));
        assertFalse(e.getMessage().contains("plain-password"), e.getMessage());
        ConfigurationException noColon = assertThrows(ConfigurationException.class,
                () -> ZkDegradationSwitch.builder().authorization("digest", "justasecret"));
        assertFalse(noColon.getMessage().contains("justasecret"), noColon.getMessage());

        String writer = ZkDegradationSwitch.digestIdentity("ops", "s3cret");
        ZkDegradationSwitch sw = ZkDegradationSwitch.builder().connectString("127.0.0.1:1").namespace("orders")
                .authorization("digest", "ops:s3cret").writers(List.of(writer)).build();
        String shown = sw.toString();
        assertFalse(shown.contains("s3cret"), shown);
        assertFalse(shown.contains(writer.substring(4)), shown);
        assertTrue(shown.contains("authorization=digest:ops:****"), shown);
    }

    @Test
    void digestIdentityIsZooKeepersFormat() {
        String id = ZkDegradationSwitch.digestIdentity("ops", "s3cret");
        assertTrue(id.matches("ops:[A-Za-z0-9+/]{27}="), id);
        assertEquals(id, ZkDegradationSwitch.digestIdentity("ops", "s3cret"));
    }
}
