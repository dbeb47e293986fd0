package dev.smartmq.testkit.rocketmq;

import dev.smartmq.testkit.WorkDirs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.rocketmq.common.MQVersion;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;

/**
 * JVM-wide settings RocketMQ reads once, from system properties, when its classes initialise. They are set
 * before the first RocketMQ server or client object is created, and never changed afterwards: in a JUnit run by
 * {@link RocketMQLoggingListener} when the test session opens (before any test class, so a RocketMQ client in a
 * test's static field is covered too), otherwise by the first {@link EmbeddedRocketMQ}.
 *
 * <p>Why:
 * <ul>
 *   <li>RocketMQ's shaded logback would otherwise pick {@code rmq.broker.logback.xml} from the broker jar,
 *       which writes under {@code ${user.home}/logs/rocketmqlogs} no matter what: we point it at our own file.</li>
 *   <li>RocketMQ 5.5.0 opens a RocksDB in every broker store and gives it {@code ${user.home}/logs/rocketmqlogs}
 *       as its log directory, with no setting to change it ({@code ConfigHelper.getDBLogDir()}). The only way
 *       to keep the test JVM from writing into the real home directory is to move {@code user.home} of the
 *       test JVM into the testkit work directory. Set {@value #KEEP_USER_HOME_PROPERTY}{@code =true} to opt
 *       out (RocksDB then logs to the real {@code ~/logs/rocketmqlogs}).</li>
 *   <li>{@link RemotingCommand} reads its protocol version from a system property (RocketMQ's own
 *       integration tests set it the same way).</li>
 * </ul>
 */
final class RocketMQLogging {

    /** System property our logback file reads for its log directory. */
    static final String LOG_DIR_PROPERTY = "smartmq.testkit.rocketmq.logdir";
    /** Classpath resource of our logback file for RocketMQ's shaded logback. */
    static final String CONFIG_RESOURCE = "dev/smartmq/testkit/rocketmq/rmq-testkit-logback.xml";

    /** Set to {@code true} to leave the JVM's {@code user.home} alone. */
    static final String KEEP_USER_HOME_PROPERTY = "smartmq.testkit.rocketmq.keepUserHome";

    private static final String LOGBACK_CONFIG_PROPERTY = "rmq.logback.configurationFile";
    private static final String CLIENT_LOG_ROOT_PROPERTY = "rocketmq.log.root";

    private RocketMQLogging() {
    }

    /** Applies the settings once per JVM (idempotent, thread-safe through class initialisation). */
    static void ensureConfigured() {
        Holder.touch();
    }

    /** Directory that RocketMQ's own log files go to in this JVM. */
    static Path logDirectory() {
        return Holder.LOG_DIR;
    }

    private static final class Holder {
        static final Path LOG_DIR = configure();

        static void touch() {
            // Loading this class ran configure().
        }

        private static Path configure() {
            Path dir = WorkDirs.create("rocketmq-logs");
            setIfAbsent(LOG_DIR_PROPERTY, dir.toString());
            setIfAbsent(LOGBACK_CONFIG_PROPERTY, CONFIG_RESOURCE);
            setIfAbsent(CLIENT_LOG_ROOT_PROPERTY, dir.toString());
            if (!Boolean.getBoolean(KEEP_USER_HOME_PROPERTY)) {
                Path home = dir.resolve("home");
                try {
                    Files.createDirectories(home);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot create " + home, e);
                }
                System.setProperty("user.home", home.toString());
            }
            setIfAbsent(RemotingCommand.REMOTING_VERSION_KEY, Integer.toString(MQVersion.CURRENT_VERSION));
            return Path.of(System.getProperty(LOG_DIR_PROPERTY));
        }

        private static void setIfAbsent(String key, String value) {
            if (System.getProperty(key) == null) {
                System.setProperty(key, value);
            }
        }
    }
}
