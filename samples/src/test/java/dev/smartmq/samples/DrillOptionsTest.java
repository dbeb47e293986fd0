package dev.smartmq.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.Ordering;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DrillOptionsTest {

    @Test
    void noArgumentsGiveTheDefaults() {
        DrillOptions o = DrillOptions.parse();
        assertEquals(DrillOptions.DEFAULT_RATE, o.rate());
        assertEquals(Duration.ofSeconds(60), o.duration());
        assertEquals(Fault.BROKER_KILL, o.fault());
        assertEquals(DrillOptions.DEFAULT_KEYS, o.keys());
        assertEquals(DrillOptions.DEFAULT_PRODUCER_THREADS, o.producerThreads());
        assertEquals(Ordering.ORDERED, o.ordering());
        assertEquals(0, o.prometheusPort(), "no metrics endpoint unless asked");
        assertFalse(o.help());
    }

    @Test
    void everyOptionIsParsedInBothSpellings() {
        DrillOptions o = DrillOptions.parse("--rate", "150", "--duration=90s", "--fault", "broker-blackhole",
                "--keys=12", "--producer-threads", "4", "--ordering=concurrent", "--prometheus-port", "9404");
        assertEquals(9404, o.prometheusPort());
        assertEquals(150, o.rate());
        assertEquals(Duration.ofSeconds(90), o.duration());
        assertEquals(Fault.BROKER_BLACKHOLE, o.fault());
        assertEquals(12, o.keys());
        assertEquals(4, o.producerThreads());
        assertEquals(Ordering.CONCURRENT, o.ordering());
    }

    @Test
    void execArgsStyleStringSplitOnSpacesWorks() {
        // -Dexec.args="--rate 200 --duration 60s --fault broker-kill" arrives split on whitespace.
        DrillOptions o = DrillOptions.parse("--rate 200 --duration 60s --fault none".split(" "));
        assertEquals(200, o.rate());
        assertEquals(Duration.ofSeconds(60), o.duration());
        assertEquals(Fault.NONE, o.fault());
        assertEquals(DrillOptions.defaults().keys(), DrillOptions.parse("").keys(), "an empty exec.args is ignored");
    }

    @Test
    void durationsAcceptSecondsMinutesAndMillis() {
        assertEquals(Duration.ofSeconds(45), DrillOptions.parseDuration("--duration", "45"));
        assertEquals(Duration.ofSeconds(45), DrillOptions.parseDuration("--duration", "45s"));
        assertEquals(Duration.ofMinutes(2), DrillOptions.parseDuration("--duration", "2m"));
        assertEquals(Duration.ofMillis(7500), DrillOptions.parseDuration("--duration", "7500ms"));
        assertEquals(Duration.ofMillis(7500), DrillOptions.parse("--duration", "7500MS").duration());
    }

    @Test
    void producerThreadsNeverExceedKeys() {
        assertEquals(3, DrillOptions.parse("--keys", "3", "--producer-threads", "8").producerThreads());
    }

    @Test
    void timelineFollowsTheDuration() {
        DrillOptions o = DrillOptions.parse("--duration", "60s");
        assertEquals(Duration.ofSeconds(15), o.faultDelay());
        assertEquals(Duration.ofSeconds(15), o.degradedHold());
        assertEquals(Duration.ofSeconds(3), DrillOptions.parse("--duration", "8s").degradedHold(),
                "the switch is held DEGRADED for at least 3 s");
    }

    @Test
    void helpIsRecognised() {
        assertTrue(DrillOptions.parse("--help").help());
        assertTrue(DrillOptions.parse("--rate", "10", "-h").help());
    }

    @Test
    void badInputNamesTheOptionAndTheValue() {
        assertMessage("unknown option --speed (see --help)", "--speed", "3");
        assertMessage("--rate needs a value", "--rate");
        assertMessage("--rate needs a value", "--rate", "--keys", "3");
        assertMessage("--rate must be an integer, but was 'fast'", "--rate", "fast");
        assertMessage("--rate must be between 1 and 5000, but was 0", "--rate", "0");
        assertMessage("--keys must be between 1 and 100000, but was -4", "--keys", "-4");
        assertMessage("--producer-threads must be between 1 and 64, but was 65", "--producer-threads", "65");
        assertMessage("--duration must look like 60s, 60, 2m or 1500ms, but was '1h'", "--duration", "1h");
        assertMessage("--duration must be between 5s and 60m, but was PT2S", "--duration", "2s");
        assertMessage("--fault must be one of broker-kill|broker-blackhole|none, but was zk-kill", "--fault",
                "zk-kill");
        assertMessage("--ordering must be ordered or concurrent, but was 'random'", "--ordering", "random");
    }

    private static void assertMessage(String expected, String... args) {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> DrillOptions.parse(args));
        assertEquals(expected, e.getMessage());
    }
}
