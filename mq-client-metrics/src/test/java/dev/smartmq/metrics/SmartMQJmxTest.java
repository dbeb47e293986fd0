package dev.smartmq.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Set;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

class SmartMQJmxTest {

    private final MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();

    @Test
    void exposesCountersGaugesTimersAndMetersAndRemovesThemOnClose() throws Exception {
        MetricRegistry registry = new MetricRegistry();
        registry.counter("smartmq.switch.transitions").inc(3);
        registry.meter("smartmq.producer.sends.mq").mark(7);
        registry.register("smartmq.switch.state", (Gauge<Integer>) () -> 2);
        Timer timer = registry.timer("smartmq.producer.latency.mq");
        timer.update(Duration.ofMillis(40));
        timer.update(Duration.ofMillis(60));

        ObjectName counter = new ObjectName("smartmq:name=smartmq.switch.transitions,type=counters");
        ObjectName meter = new ObjectName("smartmq:name=smartmq.producer.sends.mq,type=meters");
        ObjectName gauge = new ObjectName("smartmq:name=smartmq.switch.state,type=gauges");
        ObjectName timerName = new ObjectName("smartmq:name=smartmq.producer.latency.mq,type=timers");

        SmartMQJmx.Exposure jmx = SmartMQJmx.expose(registry);
        try {
            assertEquals(3L, mbs.getAttribute(counter, "Count"));
            assertEquals(7L, mbs.getAttribute(meter, "Count"));
            assertEquals(2, mbs.getAttribute(gauge, "Value"));
            assertEquals(2L, mbs.getAttribute(timerName, "Count"));
            // Dropwizard's JMX timers report in milliseconds by default.
            assertEquals(50.0, (Double) mbs.getAttribute(timerName, "Mean"), 1.0);

            // Metrics added after expose() appear too; removed ones disappear.
            registry.counter("smartmq.consumer.dead-lettered").inc();
            ObjectName late = new ObjectName("smartmq:name=smartmq.consumer.dead-lettered,type=counters");
            assertEquals(1L, mbs.getAttribute(late, "Count"));
            registry.remove("smartmq.consumer.dead-lettered");
            assertFalse(mbs.isRegistered(late));
        } finally {
            jmx.close();
        }
        assertTrue(jmx.isClosed());
        Set<ObjectName> left = mbs.queryNames(new ObjectName(SmartMQJmx.DOMAIN + ":*"), null);
        assertTrue(left.isEmpty(), "MBeans left after close: " + left);
        jmx.close(); // idempotent
    }

    @Test
    void exposingAgainAfterCloseWorks() throws Exception {
        MetricRegistry registry = new MetricRegistry();
        registry.counter("smartmq.x").inc(5);
        ObjectName name = new ObjectName("smartmq:name=smartmq.x,type=counters");
        try (SmartMQJmx.Exposure first = SmartMQJmx.expose(registry)) {
            assertTrue(mbs.isRegistered(name));
        }
        assertFalse(mbs.isRegistered(name));
        try (SmartMQJmx.Exposure second = SmartMQJmx.expose(registry)) {
            assertEquals(5L, mbs.getAttribute(name, "Count"));
        }
        assertFalse(mbs.isRegistered(name));
    }
}
