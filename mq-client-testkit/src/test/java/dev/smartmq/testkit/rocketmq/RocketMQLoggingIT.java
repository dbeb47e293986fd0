package dev.smartmq.testkit.rocketmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.testkit.WorkDirs;
import java.nio.file.Path;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.junit.jupiter.api.Test;

/**
 * RocketMQ reads its log settings once, when its classes initialise — often in a test's static field, before
 * any testkit fixture exists. The settings must already be there then, whether or not the test ever touches
 * {@link EmbeddedRocketMQ} (this JVM runs only this class, so nothing else configured them first).
 */
class RocketMQLoggingIT {

    // Class initialisation: runs before every extension, callback and test of this class.
    private static final String HOME_AT_CLASS_INIT = System.getProperty("user.home");
    private static final String LOGBACK_AT_CLASS_INIT = System.getProperty("rmq.logback.configurationFile");
    private static final String CLIENT_LOG_ROOT_AT_CLASS_INIT = System.getProperty("rocketmq.log.root");
    // A RocketMQ client created before any testkit class: its logging initialises here.
    private static final DefaultMQProducer EARLY_CLIENT = new DefaultMQProducer("early-group");

    @Test
    void rocketMQSettingsAreInPlaceBeforeTheFirstRocketMQClassEvenWithoutEmbeddedRocketMQ() {
        assertEquals(RocketMQLogging.CONFIG_RESOURCE, LOGBACK_AT_CLASS_INIT,
                "RocketMQ's logback must be ours before the first RocketMQ class initialises");
        Path root = WorkDirs.root().toAbsolutePath();
        assertTrue(CLIENT_LOG_ROOT_AT_CLASS_INIT != null
                && Path.of(CLIENT_LOG_ROOT_AT_CLASS_INIT).toAbsolutePath().startsWith(root),
                "client log root " + CLIENT_LOG_ROOT_AT_CLASS_INIT + " is not under " + root);
        assertTrue(Path.of(HOME_AT_CLASS_INIT).toAbsolutePath().startsWith(root),
                "user.home " + HOME_AT_CLASS_INIT + " is not under " + root);
        assertNotEquals(System.getenv("HOME"), HOME_AT_CLASS_INIT);
        assertEquals("early-group", EARLY_CLIENT.getProducerGroup());
    }
}
