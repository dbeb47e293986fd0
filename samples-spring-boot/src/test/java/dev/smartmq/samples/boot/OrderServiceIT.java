package dev.smartmq.samples.boot;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smartmq.api.Route;
import dev.smartmq.api.SwitchState;
import dev.smartmq.core.SmartMQ;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The sample order service as it runs: its own {@code LocalServers} (embedded RocketMQ, Curator's testing
 * ZooKeeper, redis-server), its {@code application.yml}, its REST controller and its {@code inventory} listener.
 * Payments go through the MQ; an operator's drill degrade (what {@code smartmq-admin switch degrade} does) sends
 * them through Redis and the listener still gets every one; the restore brings the switch back to NORMAL (the
 * leader's prober and drain) and payments go through the MQ again. Nothing lost: every message id the controller
 * answered is handled by the listener.
 */
class OrderServiceIT {
    private static final Duration WAIT = Duration.ofSeconds(90);

    private static OrderServiceApplication.LocalServers servers;
    private static ConfigurableApplicationContext app;
    private static int port;

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() {
        servers = OrderServiceApplication.LocalServers.start();
        app = new SpringApplication(OrderServiceApplication.class).run("--server.port=0", "--orders.demo=false",
                "--smartmq.namespace=orders-sample-it");
        port = Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
        if (servers != null) {
            servers.close();
        }
    }

    @Test
    void paymentsFlowThroughTheMqThenThroughRedisDuringADrillThenTheMqAgain() throws Exception {
        SmartMQ mq = app.getBean(SmartMQ.class);
        InventoryListener inventory = app.getBean(InventoryListener.class);
        List<String> ids = new ArrayList<>();

        for (int i = 0; i < 5; i++) {
            JsonNode r = pay("mq-" + i);
            assertEquals("MQ", r.get("route").asText(), r.toString());
            ids.add(r.get("messageId").asText());
        }
        await().atMost(WAIT).until(() -> ids.stream().allMatch(id -> inventory.handledVia(id).isPresent()));
        assertEquals("UP", get("/actuator/health/smartmq").get("status").asText());

        // The operator's drill: the switch goes DEGRADED (MANUAL) and payments go to Redis.
        assertTrue(mq.operator().degrade("sample IT drill", Duration.ofMinutes(10), "sample-it").applied());
        await().atMost(WAIT).until(() -> mq.effectiveState() == SwitchState.DEGRADED);
        List<String> drill = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            JsonNode r = pay("drill-" + i);
            assertEquals("FALLBACK", r.get("route").asText(), r.toString());
            drill.add(r.get("messageId").asText());
        }
        await().atMost(WAIT).until(() -> drill.stream().allMatch(id -> inventory.handledVia(id).isPresent()));
        assertTrue(drill.stream().allMatch(id -> inventory.handledVia(id).orElseThrow() == Route.FALLBACK),
                "the drill's payments came through Redis");
        JsonNode health = get("/actuator/health/smartmq");
        assertEquals("DEGRADED", health.get("status").asText(), health.toString());
        assertEquals("MANUAL", health.at("/details/mode").asText());

        // Restore: RECOVERING, then the leader's prober and drain make it NORMAL.
        assertTrue(mq.operator().restore("sample IT drill over", "sample-it", false).applied());
        await().atMost(WAIT).until(() -> mq.switchStatus().state() == SwitchState.NORMAL
                && mq.effectiveState() == SwitchState.NORMAL);
        JsonNode after = pay("after-1");
        assertEquals("MQ", after.get("route").asText(), after.toString());
        ids.addAll(drill);
        ids.add(after.get("messageId").asText());
        await().atMost(WAIT).until(() -> ids.stream().allMatch(id -> inventory.handledVia(id).isPresent()));
        await().atMost(WAIT).until(() -> "UP".equals(get("/actuator/health/smartmq").get("status").asText()));
        String scrape = http.send(HttpRequest.newBuilder(uri("/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(scrape.contains("smartmq_sends_total{namespace=\"orders-sample-it\",outcome=\"success\","
                + "route=\"fallback\",topic=\"ORDER_PAID\"} 5.0"), "per-topic fallback sends in the scrape");
    }

    private JsonNode pay(String order) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/orders/" + order + "/pay?cents=1999"))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return json.readTree(r.body());
    }

    private JsonNode get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        return json.readTree(r.body());
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
