package dev.smartmq.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.testkit.checker.CheckReport;
import dev.smartmq.testkit.checker.GroupReport;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import dev.smartmq.testkit.FreePorts;
import org.junit.jupiter.api.Test;

/**
 * Runs the whole order-payment drill in-process against real servers (embedded RocketMQ, ZooKeeper,
 * redis-server), with a short timeline, and checks what the demo promises: nothing acknowledged is lost, the
 * switch degrades and comes back, and every group gets every acknowledged message.
 */
class DrillIT {

    private static final Pattern RESULT = Pattern.compile(
            "RESULT sent=(\\d+) acked=(\\d+) lost=(\\d+) duplicates=(\\d+) order_violations=(\\d+)"
                    + " degrade_ms=(-?\\d+) recover_ms=(-?\\d+)");

    @Test
    void brokerKillDegradesToRedisRecoversAndLosesNothing() {
        runAndCheck(Fault.BROKER_KILL);
    }

    @Test
    void brokerBlackHoleDegradesToRedisRecoversAndLosesNothing() {
        runAndCheck(Fault.BROKER_BLACKHOLE);
    }

    private static void runAndCheck(Fault fault) {
        int metricsPort = FreePorts.find();
        DrillOptions options = DrillOptions.builder()
                .prometheusPort(metricsPort)
                .rate(100)
                .duration(Duration.ofSeconds(20))
                .fault(fault)
                .keys(32)
                .producerThreads(4)
                .build();
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(new Tee(captured, System.out), true, StandardCharsets.UTF_8);

        DrillResult result = new OrderPaymentDrill(options, out).run();
        DemoMain.print(result, out);

        CheckReport report = result.report();
        assertNull(result.failedPhase(), "drill phase failed: " + result.failedPhase() + ": " + result.failureDetail());
        assertEquals(0, report.totalLost(), "lost, e.g. " + report.lostIds());
        assertTrue(report.isClean());
        assertEquals(DrillResult.EXIT_OK, result.exitCode());

        // The drill shows the switch state and backlog as a Prometheus scraper sees them (0 = NORMAL at the end).
        String printed = captured.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("scraped /metrics (HTTP 200)"), "no scrape of the metrics endpoint");
        assertTrue(printed.lines().anyMatch(l -> l.matches("\\s+smartmq_order_service_switch_state\\S* 0\\.0")),
                "order service's switch state series missing or not NORMAL");
        assertTrue(printed.lines().anyMatch(l -> l.matches("\\s+smartmq_\\w+_fallback_backlog_ORDER_PAID_\\w+ \\d.*")),
                "no backlog series scraped");

        assertTrue(result.sawDegraded(), "the switch never went DEGRADED");
        assertTrue(result.sawNormal(), "the switch never came back to NORMAL");
        assertTrue(result.degradeMs() >= 0, "degrade_ms " + result.degradeMs());
        assertTrue(result.recoverMs() >= 0, "recover_ms " + result.recoverMs());

        // Redis was up the whole time: sends are stored somewhere, part of them in Redis. A send may still be
        // refused honestly (DeliveryException) when a starved machine makes a Redis append outlive its timeout;
        // that is not a loss, but it must stay rare, and no outcome may be unknown or blamed on the input.
        assertTrue(report.sent() > 500, "sent " + report.sent());
        assertEquals(0, report.unknown(), "unknown outcomes: " + report.errorSamples());
        assertEquals(0, report.failedInvalidInput(), "input rejected: " + report.errorSamples());
        assertTrue(report.failed() <= Math.max(1, report.sent() / 100), "sends not stored: " + report.failed()
                + ", e.g. " + report.errorSamples());
        assertTrue(report.ackedViaFallback() > 0, "nothing went through Redis");
        assertTrue(report.ackedViaMq() > 0, "nothing went through the MQ");
        for (String group : OrderPaymentDrill.GROUPS) {
            GroupReport g = report.group(group);
            assertTrue(g.expected());
            assertEquals(report.acked(), g.consumed(), group + " did not consume every acknowledged message");
            assertEquals(0, g.unexpected(), group + " received messages nobody acknowledged");
        }
        // Per-key order holds within each path; only messages that crossed paths may arrive late.
        assertEquals(0, result.lateSamePath(), "messages overtaken on their own path");

        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
        String last = lines.get(lines.size() - 1);
        Matcher m = RESULT.matcher(last);
        assertTrue(m.matches(), "last line is not the RESULT line: " + last);
        assertEquals(report.sent(), Long.parseLong(m.group(1)));
        assertEquals(report.acked(), Long.parseLong(m.group(2)));
        assertEquals(0, Long.parseLong(m.group(3)));
        assertEquals(report.totalDuplicates(), Long.parseLong(m.group(4)));
        assertEquals(report.totalOrderViolations(), Long.parseLong(m.group(5)));
        assertEquals(result.degradeMs(), Long.parseLong(m.group(6)));
        assertEquals(result.recoverMs(), Long.parseLong(m.group(7)));
    }

    /** Writes to both streams: the captured copy is checked, the console copy helps when the test fails. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }
    }
}
