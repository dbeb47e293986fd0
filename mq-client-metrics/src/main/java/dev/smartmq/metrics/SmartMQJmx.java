package dev.smartmq.metrics;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.jmx.JmxReporter;
import java.lang.management.ManagementFactory;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.management.MBeanServer;

/**
 * Exposes a {@link MetricRegistry} as JMX MBeans in domain {@value #DOMAIN} of the platform MBean server.
 *
 * <pre>{@code
 * try (SmartMQJmx.Exposure jmx = SmartMQJmx.expose(metricRegistry)) { ... }
 * }</pre>
 *
 * <p>Each metric becomes one MBean named {@code smartmq:name=<metric name>,type=<counters|gauges|meters|
 * histograms|timers>}, registered as soon as the metric is added to the registry and unregistered when it is
 * removed. {@link Exposure#close()} unregisters every MBean this exposure registered. Exposing the same
 * registry twice in one MBean server makes the second exposure's registrations fail (logged by Dropwizard);
 * close the first one before exposing again.
 */
public final class SmartMQJmx {

    /** The JMX domain of every SmartMQ MBean. */
    public static final String DOMAIN = "smartmq";

    private SmartMQJmx() {
    }

    /** Exposes {@code registry} in the platform MBean server; close the result to remove the MBeans. */
    public static Exposure expose(MetricRegistry registry) {
        return expose(registry, ManagementFactory.getPlatformMBeanServer());
    }

    /** Exposes {@code registry} in {@code mBeanServer}; close the result to remove the MBeans. */
    public static Exposure expose(MetricRegistry registry, MBeanServer mBeanServer) {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(mBeanServer, "mBeanServer");
        JmxReporter reporter = JmxReporter.forRegistry(registry)
                .inDomain(DOMAIN)
                .registerWith(mBeanServer)
                .build();
        reporter.start();
        return new Exposure(reporter);
    }

    /** A live JMX exposure. Closing it unregisters its MBeans; idempotent. Thread-safe. */
    public static final class Exposure implements AutoCloseable {
        private final JmxReporter reporter;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Exposure(JmxReporter reporter) {
            this.reporter = reporter;
        }

        /** Whether {@link #close()} was called. */
        public boolean isClosed() {
            return closed.get();
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                reporter.stop();
            }
        }

        @Override
        public String toString() {
            return "SmartMQJmx.Exposure{domain=" + DOMAIN + ", closed=" + closed.get() + "}";
        }
    }
}
