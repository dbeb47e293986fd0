package dev.smartmq.spring.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SwitchState;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.core.event.SmartMQEvent;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.rocketmq.RocketMQTransport;
import dev.smartmq.spring.boot.autoconfigure.SmartMQAutoConfiguration;
import dev.smartmq.spring.boot.autoconfigure.SmartMQMeterBinder;
import dev.smartmq.spring.boot.autoconfigure.internal.SmartMQListenerRegistrar;
import dev.smartmq.spring.core.SmartMQTemplate;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.yaml.snakeyaml.Yaml;

/**
 * A Spring Boot application on the starter's auto-configuration against real servers: properties (including
 * rocketmq-spring's names) → send and receive on the MQ path; the broker stopped → the listeners keep
 * receiving through Redis, health says DEGRADED (HTTP 200), the Prometheus scrape shows fallback sends; the
 * broker back → NORMAL and a drain-finished event; every metric the Grafana dashboard and the alert rules
 * query exists in the scrape; stopping the context leaves no SmartMQ thread. One context for the class.
 */
@SpringBootTest(classes = OrderTestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureObservability(tracing = false)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DirtiesContext
class SmartMQSpringBootIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String NS = "orders-it";

    @RegisterExtension
    static final BootServers servers = new BootServers("ORDER_PAID", "NOTES", SmartMQConfig.DEFAULT_PROBE_TOPIC);

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) {
        r.add("smartmq.namespace", () -> NS);
        // rocketmq-spring's property names: a service moves by adding the starter.
        r.add("rocketmq.name-server", () -> servers.rocketMQ().nameServerAddress());
        r.add("rocketmq.producer.group", () -> "order-service-it");
        r.add("smartmq.rocketmq.consume-from", () -> "FIRST_OFFSET");
        r.add("smartmq.rocketmq.send-timeout", () -> "1s");
        r.add("smartmq.rocketmq.retries-when-send-failed", () -> "0");
        r.add("smartmq.redis.host", () -> servers.redis().host());
        r.add("smartmq.redis.port", () -> servers.redis().port());
        r.add("smartmq.redis.shards", () -> "4");
        r.add("smartmq.zookeeper.connect-string", () -> servers.zooKeeper().connectString());
        r.add("smartmq.engine.failure-threshold", () -> "3");
        r.add("smartmq.engine.send-timeout", () -> "1s");
        r.add("smartmq.engine.probe-interval", () -> "500ms");
        r.add("smartmq.engine.probe-timeout", () -> "400ms");
        r.add("smartmq.engine.min-dwell-time", () -> "1s");
        r.add("smartmq.engine.drain-check-interval", () -> "300ms");
        r.add("smartmq.engine.normal-sweep-interval", () -> "1s");
        r.add("smartmq.engine.poll-backoff-max", () -> "100ms");
        r.add("smartmq.engine.retry-backoff-initial", () -> "100ms");
        r.add("smartmq.engine.retry-backoff-max", () -> "200ms");
        r.add("smartmq.engine.shutdown-timeout", () -> "5s");
        r.add("management.endpoints.web.exposure.include", () -> "health,prometheus");
        r.add("management.endpoint.health.show-details", () -> "always");
    }

    @Autowired
    SmartMQ mq;
    @Autowired
    SmartMQTemplate template;
    @Autowired
    OrderTestApplication.Listeners listeners;
    @Autowired
    OrderTestApplication.EventLog eventLog;
    @Autowired
    OrderTestApplication.SpringEvents springEvents;
    @Autowired
    SmartMQMeterBinder binder;
    @Autowired
    MeterRegistry meterRegistry;
    @Autowired
    ConfigurableApplicationContext context;
    @Autowired
    ObjectMapper json;
    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    @Order(1)
    void propertiesGiveOneWorkingSmartMQOnTheMQPath() throws Exception {
        assertEquals(NS, mq.config().namespace());
        assertEquals(3, mq.config().failureThreshold());
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            SendReceipt r = template.syncSend("ORDER_PAID:paid", new OrderTestApplication.OrderPaid("o-" + i, 100 + i),
                    "o-" + i);
            assertEquals(Route.MQ, r.route());
            ids.add(r.messageId());
        }
        template.sendAsync("NOTES", "hello", null, Map.of("source", "it")).get();

        await().atMost(WAIT).until(() -> listeners.billing.size() == 5);
        assertEquals(104, listeners.billing.get("o-4").cents());
        await().atMost(WAIT).until(() -> listeners.audit.size() >= 5);
        assertTrue(listeners.audit.stream().allMatch(m -> m.route() == Route.MQ && "paid".equals(m.tags())));
        assertTrue(listeners.audit.stream().map(m -> m.id()).toList().containsAll(ids));

        JsonNode health = health(200);
        assertEquals("UP", health.get("status").asText());
        assertEquals("NORMAL", health.at("/details/state").asText());
        assertEquals("NORMAL", health.at("/details/publishedState").asText());
        assertEquals("AUTO", health.at("/details/mode").asText());
        // Per topic, after real sends on the MQ (5 ORDER_PAID, 1 NOTES), and per (topic, group) consumed.
        String scrape = scrape();
        assertEquals(5.0, value(scrape, sends("ORDER_PAID", "mq", "success")));
        assertEquals(1.0, value(scrape, sends("NOTES", "mq", "success")));
        await().atMost(WAIT).untilAsserted(
                () -> assertEquals(5.0, value(scrape(), consumed("ORDER_PAID", "billing", "mq", "success"))));
        assertTrue(value(scrape(), consumed("ORDER_PAID", "audit", "mq", "success")) >= 5.0);
    }

    @Test
    @Order(2)
    void everyMetricTheDashboardAndTheAlertsQueryExistsAndNoEngineMetricIsLost() throws Exception {
        Map<String, Set<String>> queried = queriedMetrics();
        assertTrue(queried.size() >= 10, queried.toString());
        // Backlog gauges appear once the maintenance loop has measured the subscribed groups.
        await().atMost(WAIT).untilAsserted(() -> {
            Map<String, Set<String>> scraped = scrapedLabels(scrape());
            List<String> missing = new ArrayList<>();
            queried.forEach((metric, labels) -> {
                if (!scraped.containsKey(metric)) {
                    missing.add(metric);
                } else if (!scraped.get(metric).containsAll(labels)) {
                    missing.add(metric + labels + " (scraped labels " + scraped.get(metric) + ")");
                }
            });
            assertTrue(missing.isEmpty(), "queried by ops/ but not in /actuator/prometheus: " + missing);
        });
        Set<String> engine = new TreeSet<>(mq.metrics().getNames());
        assertEquals(engine, binder.bridgedNames(meterRegistry), "every Dropwizard metric has a Micrometer meter");

        // The NOTES listener threw on the first attempt (sent in the first test): the MQ redelivered it.
        await().atMost(WAIT).until(() -> listeners.notes.contains("hello"));
        assertTrue(listeners.noteAttempts.get() >= 2);
    }

    @Test
    @Order(3)
    void brokerStoppedListenersKeepReceivingHealthIsDegradedScrapeShowsFallbackThenItRecovers() throws Exception {
        servers.rocketMQ().stopBroker();
        List<String> sent = new ArrayList<>();
        int fallback = 0;
        for (int i = 0; i < 20; i++) {
            SendReceipt r = template.send("ORDER_PAID:paid", new OrderTestApplication.OrderPaid("d-" + i, i), "d-" + i);
            sent.add("d-" + i);
            if (r.route() == Route.FALLBACK) {
                fallback++;
            }
        }
        assertEquals(20, fallback, "with the broker down every acknowledged send went to Redis");
        await().atMost(WAIT).until(() -> mq.switchStatus().state() == SwitchState.DEGRADED);
        await().atMost(WAIT).until(() -> listeners.billing.keySet().containsAll(sent));
        await().atMost(WAIT).until(() -> listeners.audit.stream().filter(m -> m.route() == Route.FALLBACK).count() >= 20);

        JsonNode health = health(200);
        assertEquals("DEGRADED", health.get("status").asText());
        assertEquals("DEGRADED", health.at("/details/state").asText());
        assertEquals("DEGRADED", health.at("/details/publishedState").asText());
        assertTrue(health.at("/details/backlog").has("ORDER_PAID/billing"), health.toString());
        JsonNode all = json.readTree(get("/actuator/health", 200));
        assertEquals("DEGRADED", all.get("status").asText(), "the aggregate status shows the degradation");

        String scrape = scrape();
        assertEquals(20.0, value(scrape, sends("ORDER_PAID", "fallback", "success")));
        assertEquals(5.0, value(scrape, sends("ORDER_PAID", "mq", "success")), "the MQ sends of the first test");
        assertEquals(20.0, value(scrape, "smartmq_sends_all_total{namespace=\"" + NS
                + "\",outcome=\"success\",route=\"fallback\"}"), "the instance total");
        await().atMost(WAIT).untilAsserted(() -> assertTrue(
                value(scrape(), consumed("ORDER_PAID", "billing", "fallback", "success")) >= 20.0));
        assertTrue(health.at("/details/leaderPresent").asBoolean(), health.toString());
        assertEquals(mq.instanceId(), health.at("/details/leaderInstance").asText());
        assertTrue(springEvents.events.stream().anyMatch(e -> e instanceof SmartMQEvent.StateTransition t
                && t.current() == SwitchState.DEGRADED), "as a Spring application event: " + springEvents.events);
        assertTrue(springEvents.threads.stream().allMatch("smartmq-events-1"::equals), springEvents.threads.toString());
        assertTrue(eventLog.events.stream().anyMatch(e -> e instanceof SmartMQEvent.StateTransition t
                && t.current() == SwitchState.DEGRADED), eventLog.events.toString());
        assertTrue(eventLog.events.stream().anyMatch(e -> e instanceof SmartMQEvent.LocalDegradation));

        servers.rocketMQ().startBroker();
        await().atMost(WAIT).until(() -> mq.switchStatus().state() == SwitchState.NORMAL);
        await().atMost(WAIT).until(() -> eventLog.events.stream().anyMatch(e -> e instanceof SmartMQEvent.DrainFinished));
        await().atMost(WAIT).until(() -> "UP".equals(health(200).get("status").asText()));
        SendReceipt after = template.send("ORDER_PAID:paid", new OrderTestApplication.OrderPaid("r-1", 1), "r-1");
        assertEquals(Route.MQ, after.route());
        await().atMost(WAIT).until(() -> listeners.billing.containsKey("r-1"));
    }

    @Test
    @Order(4)
    void aSmartMQBeanOfTheApplicationWinsAndTheTemplateUsesIt() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(SmartMQAutoConfiguration.class))
                .withUserConfiguration(OwnSmartMQ.class)
                .withPropertyValues("smartmq.zookeeper.connect-string=unused:1")
                .run(ctx -> {
                    assertTrue(ctx.getStartupFailure() == null, String.valueOf(ctx.getStartupFailure()));
                    SmartMQ own = ctx.getBean(SmartMQ.class);
                    assertEquals("own-it", own.config().namespace());
                    assertSame(own.producer(), ctx.getBean(SmartMQTemplate.class).producer());
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnSmartMQ {
        @Bean
        SmartMQ ownSmartMQ() {
            String ns = "own-it";
            return SmartMQ.builder()
                    .config(SmartMQConfig.custom().namespace(ns).build())
                    .transport(RocketMQTransport.builder().nameServer(servers.rocketMQ().nameServerAddress()).build())
                    .fallbackStore(RedisFallbackStore.builder().standalone(servers.redis().host(), servers.redis().port())
                            .namespace(ns).shards(4).build())
                    .degradationSwitch(ZkDegradationSwitch.builder()
                            .connectString(servers.zooKeeper().connectString()).namespace(ns).build())
                    .build();
        }
    }

    @Test
    @Order(5)
    void stoppingTheContextStopsListenersThenSmartMQAndLeavesNoThread() {
        assertFalse(smartMqThreads().isEmpty(), "the running application has SmartMQ threads");
        // stop() runs the same SmartLifecycle sequence close() starts with (web server, listeners, SmartMQ);
        // the test framework closes the context itself after the class.
        context.stop();
        assertFalse(context.getBean(SmartMQListenerRegistrar.class).isRunning());
        await().atMost(Duration.ofSeconds(30)).untilAsserted(
                () -> assertTrue(smartMqThreads().isEmpty(), "still running: " + smartMqThreads()));
    }

    // Helpers.

    private static List<String> smartMqThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.startsWith("smartmq-") && !n.startsWith("smartmq-testkit-"))
                .sorted().toList();
    }

    private JsonNode health(int expectedStatus) throws Exception {
        return json.readTree(get("/actuator/health/smartmq", expectedStatus));
    }

    private String scrape() throws Exception {
        return get("/actuator/prometheus", 200);
    }

    private String get(String path, int expectedStatus) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expectedStatus, r.statusCode(), path + ": " + r.body());
        return r.body();
    }

    private static String sends(String topic, String route, String outcome) {
        return "smartmq_sends_total{namespace=\"" + NS + "\",outcome=\"" + outcome + "\",route=\"" + route
                + "\",topic=\"" + topic + "\"}";
    }

    private static String consumed(String topic, String group, String route, String outcome) {
        return "smartmq_consumed_total{group=\"" + group + "\",namespace=\"" + NS + "\",outcome=\"" + outcome
                + "\",route=\"" + route + "\",topic=\"" + topic + "\"}";
    }

    private static double value(String scrape, String series) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        throw new AssertionError(series + " not in the scrape");
    }

    private static final Pattern SELECTOR = Pattern.compile("(smartmq_[a-z0-9_]+)(\\{([^}]*)})?");
    private static final Pattern MATCHER = Pattern.compile("([a-z_]+)\\s*(=~|!~|!=|=)");

    /** Metric → label names used in its selectors, over every expr of the dashboard and the alert rules. */
    @SuppressWarnings("unchecked")
    private static Map<String, Set<String>> queriedMetrics() throws IOException {
        Path root = Path.of(System.getProperty("user.dir")).getParent();
        List<String> exprs = new ArrayList<>();
        JsonNode dashboard = new ObjectMapper().readTree(root.resolve("ops/grafana/smartmq.json").toFile());
        dashboard.findValues("expr").forEach(e -> exprs.add(e.asText()));
        Map<String, Object> rules = new Yaml().load(Files.readString(root.resolve("ops/prometheus/smartmq-alerts.yml")));
        for (Map<String, Object> group : (List<Map<String, Object>>) rules.get("groups")) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                exprs.add(String.valueOf(rule.get("expr")));
            }
        }
        Map<String, Set<String>> metrics = new LinkedHashMap<>();
        for (String expr : exprs) {
            Matcher m = SELECTOR.matcher(expr);
            while (m.find()) {
                Set<String> labels = metrics.computeIfAbsent(m.group(1), k -> new TreeSet<>());
                if (m.group(3) != null) {
                    Matcher lm = MATCHER.matcher(m.group(3));
                    while (lm.find()) {
                        labels.add(lm.group(1));
                    }
                }
            }
        }
        return metrics;
    }

    /** Metric → label names of its series in a Prometheus text scrape. */
    private static Map<String, Set<String>> scrapedLabels(String scrape) {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (String line : scrape.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.indexOf(' ');
            String name = brace > 0 && brace < space ? line.substring(0, brace) : line.substring(0, space);
            Set<String> labels = out.computeIfAbsent(name, k -> new TreeSet<>());
            if (brace > 0 && brace < space) {
                Matcher lm = Pattern.compile("([a-zA-Z_]+)=\"").matcher(line.substring(brace, line.lastIndexOf('}')));
                while (lm.find()) {
                    labels.add(lm.group(1));
                }
            }
        }
        return out;
    }
}
