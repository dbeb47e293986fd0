package dev.smartmq.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class SmartMQConfigTest {

    private static void rejects(Consumer<SmartMQConfig.Builder> setter, String field, String badValue) {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> setter.accept(SmartMQConfig.custom()));
        assertTrue(e.getMessage().startsWith(field + " "), e.getMessage());
        assertTrue(e.getMessage().contains("but was " + badValue), e.getMessage());
    }

    @Test
    void defaultsAreTheConstants() {
        SmartMQConfig c = SmartMQConfig.ofDefaults();
        assertEquals(SmartMQConfig.DEFAULT_NAMESPACE, c.namespace());
        assertEquals(10, c.failureThreshold());
        assertEquals(3, c.probeSuccessThreshold());
        assertEquals(Duration.ofSeconds(5), c.probeInterval());
        assertEquals(4 * 1024 * 1024, c.maxBodySize());
        assertEquals(SmartMQConfig.DEFAULT_NORMAL_SWEEP_INTERVAL, c.normalSweepInterval());
    }

    @Test
    void everySetterNamesItsFieldAndTheBadValue() {
        Duration neg = Duration.ofMillis(-1);
        rejects(b -> b.namespace("a/b"), "namespace", "'a/b'");
        rejects(b -> b.namespace(null), "namespace", "'null'");
        rejects(b -> b.namespace("x".repeat(65)), "namespace", "'" + "x".repeat(65) + "'");
        rejects(b -> b.failureThreshold(0), "failureThreshold", "0");
        rejects(b -> b.probeInterval(Duration.ZERO), "probeInterval", "PT0S");
        rejects(b -> b.probeInterval(null), "probeInterval", "null");
        rejects(b -> b.probeSuccessThreshold(-2), "probeSuccessThreshold", "-2");
        rejects(b -> b.probeTimeout(neg), "probeTimeout", neg.toString());
        rejects(b -> b.probeTopic(""), "probeTopic", "''");
        rejects(b -> b.minDwellTime(neg), "minDwellTime", neg.toString());
        rejects(b -> b.sendTimeout(Duration.ZERO), "sendTimeout", "PT0S");
        rejects(b -> b.maxBodySize(0), "maxBodySize", "0");
        rejects(b -> b.consumerThreads(0), "consumerThreads", "0");
        rejects(b -> b.consumerThreads(257), "consumerThreads", "257");
        rejects(b -> b.claimBatchSize(1001), "claimBatchSize", "1001");
        rejects(b -> b.pollBackoffMin(Duration.ZERO), "pollBackoffMin", "PT0S");
        rejects(b -> b.pollBackoffMax(neg), "pollBackoffMax", neg.toString());
        rejects(b -> b.normalSweepInterval(Duration.ZERO), "normalSweepInterval", "PT0S");
        rejects(b -> b.maxDeliveryAttempts(0), "maxDeliveryAttempts", "0");
        rejects(b -> b.retryBackoffInitial(Duration.ZERO), "retryBackoffInitial", "PT0S");
        rejects(b -> b.retryBackoffMax(Duration.ZERO), "retryBackoffMax", "PT0S");
        rejects(b -> b.orphanReapInterval(Duration.ZERO), "orphanReapInterval", "PT0S");
        rejects(b -> b.drainCheckInterval(Duration.ZERO), "drainCheckInterval", "PT0S");
        rejects(b -> b.shutdownTimeout(neg), "shutdownTimeout", neg.toString());
    }

    @Test
    void buildValidatesCombinations() {
        rejects(b -> b.pollBackoffMin(Duration.ofSeconds(5)).pollBackoffMax(Duration.ofSeconds(1)).build(),
                "pollBackoffMin", "PT5S");
        rejects(b -> b.retryBackoffInitial(Duration.ofMinutes(5)).retryBackoffMax(Duration.ofMinutes(1)).build(),
                "retryBackoffInitial", "PT5M");
        rejects(b -> b.probeTimeout(Duration.ofSeconds(10)).probeInterval(Duration.ofSeconds(1)).build(),
                "probeTimeout", "PT10S");
    }

    @Test
    void zeroDwellAndZeroShutdownTimeoutAreAllowed() {
        SmartMQConfig c = SmartMQConfig.custom().minDwellTime(Duration.ZERO).shutdownTimeout(Duration.ZERO).build();
        assertEquals(Duration.ZERO, c.minDwellTime());
    }

    @Test
    void fromCopiesEveryField() {
        SmartMQConfig base = SmartMQConfig.custom().namespace("orders").failureThreshold(7)
                .probeTopic("PROBE_X").claimBatchSize(3).build();
        SmartMQConfig copy = SmartMQConfig.from(base).build();
        assertEquals(base.toString(), copy.toString());
        assertEquals(7, SmartMQConfig.from(base).consumerThreads(9).build().failureThreshold());
    }

    @Test
    void brownoutDefaultsAndRules() {
        SmartMQConfig d = SmartMQConfig.ofDefaults();
        assertEquals(100, d.brownoutWindowSize());
        assertEquals(50, d.brownoutMinimumCalls());
        assertEquals(50, d.brownoutFailureRateThreshold());
        assertEquals(80, d.brownoutSlowCallRateThreshold());
        assertEquals(Duration.ofMillis(2400), d.brownoutSlowCallDuration(), "80 % of the default 3 s sendTimeout");
        assertEquals(Duration.ofMillis(800),
                SmartMQConfig.custom().sendTimeout(Duration.ofSeconds(1)).build().brownoutSlowCallDuration(),
                "follows sendTimeout unless set");
        assertEquals(0, SmartMQConfig.custom().brownoutWindowSize(0).build().brownoutWindowSize(), "0 = off");
        rejects(b -> b.brownoutWindowSize(5), "brownoutWindowSize", "5");
        rejects(b -> b.brownoutMinimumCalls(0), "brownoutMinimumCalls", "0");
        rejects(b -> b.brownoutFailureRateThreshold(0), "brownoutFailureRateThreshold", "0");
        rejects(b -> b.brownoutFailureRateThreshold(101), "brownoutFailureRateThreshold", "101");
        rejects(b -> b.brownoutSlowCallRateThreshold(0), "brownoutSlowCallRateThreshold", "0");
        rejects(b -> b.brownoutSlowCallDuration(Duration.ZERO), "brownoutSlowCallDuration", "PT0S");
        rejects(b -> b.brownoutWindowSize(20).brownoutMinimumCalls(30).build(), "brownoutMinimumCalls", "30");
        rejects(b -> b.sendTimeout(Duration.ofSeconds(1)).brownoutSlowCallDuration(Duration.ofSeconds(2)).build(),
                "brownoutSlowCallDuration", "PT2S");
        SmartMQConfig set = SmartMQConfig.custom().brownoutSlowCallDuration(Duration.ofMillis(500)).build();
        assertEquals(set.toString(), SmartMQConfig.from(set).build().toString());
    }
}
