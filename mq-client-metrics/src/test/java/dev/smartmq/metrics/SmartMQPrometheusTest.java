package dev.smartmq.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SmartMQPrometheusTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static MetricRegistry sampleRegistry() {
        MetricRegistry registry = new MetricRegistry();
        registry.meter("smartmq.producer.sends.mq").mark(7);
        registry.counter("smartmq.switch.transitions").inc(3);
        registry.counter("smartmq.consumer.dead-lettered.fallback").inc(2);
        registry.register("smartmq.switch.state", (Gauge<Integer>) () -> 2);
        Timer timer = registry.timer("smartmq.producer.latency.mq");
        timer.update(Duration.ofMillis(40));
        timer.update(Duration.ofMillis(60));
        return registry;
    }

    @Test
    void servesSanitizedNamesAndValuesOnLoopbackAndReleasesThePortOnClose() throws Exception {
        int port = freePort();
        MetricRegistry registry = sampleRegistry();
        String body;
        SmartMQPrometheus.Endpoint endpoint = SmartMQPrometheus.serve(registry, new InetSocketAddress(LOOPBACK, port));
        try {
            assertEquals(port, endpoint.port());
            body = get(port, "/metrics");
            Map<String, Double> samples = samples(body);
            assertEquals(7.0, samples.get("smartmq_producer_sends_mq_total"), body);
            assertEquals(3.0, samples.get("smartmq_switch_transitions_total"), body);
            assertEquals(2.0, samples.get("smartmq_consumer_dead_lettered_fallback_total"), body);
            assertEquals(2.0, samples.get("smartmq_switch_state"), body);
            assertEquals(2.0, samples.get("smartmq_producer_latency_mq_count"), body);
            // Timers become summaries in seconds (quantiles and count; Dropwizard keeps no sum).
            assertTrue(body.contains("# TYPE smartmq_producer_latency_mq summary"), body);
            assertEquals(0.06, samples.get("smartmq_producer_latency_mq{quantile=\"0.99\"}"), 0.001, body);
            assertEquals(0.04, samples.get("smartmq_producer_latency_mq{quantile=\"0.5\"}"), 0.021, body);

            // Read at scrape time: a later change shows on the next scrape.
            registry.meter("smartmq.producer.sends.mq").mark(5);
            assertEquals(12.0, samples(get(port, "/metrics")).get("smartmq_producer_sends_mq_total"));
        } finally {
            endpoint.close();
        }
        assertTrue(endpoint.isClosed());
        assertThrows(ConnectException.class, () -> get(port, "/metrics"));
        try (ServerSocket again = new ServerSocket(port, 1, LOOPBACK)) {
            assertEquals(port, again.getLocalPort());
        }
        endpoint.close(); // idempotent
    }

    @Test
    void registerAddsTheRegistryToAnExistingPrometheusRegistry() throws IOException {
        PrometheusRegistry prometheus = new PrometheusRegistry();
        SmartMQPrometheus.register(sampleRegistry(), prometheus);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, prometheus.scrape());
        Map<String, Double> samples = samples(out.toString(StandardCharsets.UTF_8));
        assertEquals(7.0, samples.get("smartmq_producer_sends_mq_total"));
        assertEquals(2.0, samples.get("smartmq_switch_state"));
    }

    @Test
    void aPortInUseFailsClearly() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, LOOPBACK)) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () ->
                    SmartMQPrometheus.serve(new MetricRegistry(), new InetSocketAddress(LOOPBACK, taken.getLocalPort())));
            assertTrue(e.getMessage().contains(Integer.toString(taken.getLocalPort())), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> SmartMQPrometheus.serve(new MetricRegistry(), 70000));
    }

    private String get(int port, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    /** Sample lines: name (with labels, as printed) → value. */
    private static Map<String, Double> samples(String body) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String line : body.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            return s.getLocalPort();
        }
    }
}
