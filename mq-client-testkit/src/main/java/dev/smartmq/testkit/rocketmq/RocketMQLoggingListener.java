package dev.smartmq.testkit.rocketmq;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Applies the testkit's JVM-wide RocketMQ settings (its log file, and {@code user.home} moved into the testkit
 * work directory, see {@code RocketMQLogging}) when a JUnit Platform session opens — before any test class is
 * loaded, so they hold even for a RocketMQ client created in a test's static field and for tests that never
 * touch {@link EmbeddedRocketMQ}. Registered through {@code META-INF/services}: any JVM that runs tests with
 * the testkit on its class path gets it; nothing to configure. Outside JUnit (a drill's {@code main}), the
 * first {@link EmbeddedRocketMQ} applies the same settings.
 *
 * <p>Not API: instantiated by the JUnit Platform only. Stateless; called on the launcher's thread.
 */
public final class RocketMQLoggingListener implements LauncherSessionListener {

    /** Called by the JUnit Platform's service loader. */
    public RocketMQLoggingListener() {
    }

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        RocketMQLogging.ensureConfigured();
    }
}
