package dev.smartmq.spring.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.Message;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SwitchState;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.core.event.SmartMQEvent;
import dev.smartmq.spring.boot.autoconfigure.SmartMQAutoConfiguration;
import dev.smartmq.spring.boot.autoconfigure.SmartMQMeterBinder;
import dev.smartmq.testkit.redis.RedisServer;
import dev.smartmq.testkit.rocketmq.EmbeddedRocketMQ;
import dev.smartmq.testkit.zookeeper.ZooKeeperServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;

/**
 * One broker of two stops: the transport isolates it (keyed sends of its queues go to Redis, the namespace stays
 * NORMAL), and the Spring application sees a {@link SmartMQEvent.BrokerIsolated} on an {@code @EventListener} and
 * {@code smartmq.broker.isolations} count it; the broker back, a probe re-admits it ({@code BrokerReadmitted}).
 * Real servers: embedded RocketMQ with two brokers, redis-server, ZooKeeper.
 */
class BrokerIsolatedEventIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static RedisServer redis;
    private static ZooKeeperServer zooKeeper;
    private static EmbeddedRocketMQ rocketMQ;

    @BeforeAll
    static void servers() {
        redis = RedisServer.start();
        zooKeeper = ZooKeeperServer.start();
        rocketMQ = EmbeddedRocketMQ.builder().brokers(2).build();
        rocketMQ.start();
        rocketMQ.createTopic("ORDERS", 4);
        rocketMQ.createTopic(SmartMQConfig.DEFAULT_PROBE_TOPIC, 4);
    }

    @AfterAll
    static void close() {
        if (rocketMQ != null) {
            rocketMQ.close();
        }
        if (zooKeeper != null) {
            zooKeeper.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    /** The application's own listener bean. */
    static class BrokerEvents {
        final List<SmartMQEvent> events = new CopyOnWriteArrayList<>();

        @EventListener
        public void isolated(SmartMQEvent.BrokerIsolated e) {
            events.add(e);
        }

        @EventListener
        public void readmitted(SmartMQEvent.BrokerReadmitted e) {
            events.add(e);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class App {
        @Bean
        BrokerEvents brokerEvents() {
            return new BrokerEvents();
        }
    }

    @Test
    void aStoppedBrokerIsAnApplicationEventAndACounterAndItsReturnToo() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(SmartMQAutoConfiguration.class))
                .withUserConfiguration(App.class)
                .withPropertyValues("smartmq.namespace=isolation-it",
                        "smartmq.rocketmq.name-server=" + rocketMQ.nameServerAddress(),
                        "smartmq.rocketmq.send-timeout=1s", "smartmq.rocketmq.retries-when-send-failed=0",
                        "smartmq.redis.host=" + redis.host(), "smartmq.redis.port=" + redis.port(),
                        "smartmq.redis.shards=4",
                        "smartmq.zookeeper.connect-string=" + zooKeeper.connectString(),
                        "smartmq.engine.failure-threshold=50", "smartmq.engine.send-timeout=2s",
                        "smartmq.engine.probe-interval=500ms", "smartmq.engine.probe-timeout=400ms",
                        "smartmq.engine.shutdown-timeout=5s")
                .run(ctx -> {
                    assertNull(ctx.getStartupFailure(), () -> String.valueOf(ctx.getStartupFailure()));
                    SmartMQ mq = ctx.getBean(SmartMQ.class);
                    BrokerEvents events = ctx.getBean(BrokerEvents.class);
                    SimpleMeterRegistry meters = new SimpleMeterRegistry();
                    ctx.getBean(SmartMQMeterBinder.class).bindTo(meters);
                    for (int i = 0; i < 20; i++) {
                        mq.producer().send(Message.builder("ORDERS").key("k" + i).body("before").build());
                    }

                    rocketMQ.stopBroker(1);
                    int[] sent = {0};
                    java.util.Map<dev.smartmq.api.Route, Integer> routes = new java.util.concurrent.ConcurrentHashMap<>();
                    await().atMost(WAIT).alias("broker isolated; routes of the sends so far: " + routes).until(() -> {
                        for (int i = 0; i < 10; i++) {
                            routes.merge(mq.producer().send(Message.builder("ORDERS").key("k" + (sent[0]++ % 40))
                                    .body("during").build()).route(), 1, Integer::sum);
                        }
                        return events.events.stream().anyMatch(e -> e instanceof SmartMQEvent.BrokerIsolated);
                    });
                    assertTrue(routes.getOrDefault(dev.smartmq.api.Route.FALLBACK, 0) > 0,
                            "keys of the stopped broker went to Redis: " + routes);
                    SmartMQEvent.BrokerIsolated isolated = (SmartMQEvent.BrokerIsolated) events.events.get(0);
                    assertEquals("isolation-it", isolated.namespace());
                    assertTrue(isolated.broker() != null && !isolated.broker().isBlank(), isolated.toString());
                    assertEquals(1.0, meters.get("smartmq.broker.isolations").functionCounter().count());
                    assertEquals(1.0, meters.get("smartmq.broker.isolated").gauge().value());
                    assertEquals(SwitchState.NORMAL, mq.effectiveState(), "one broker of two is not a degradation");

                    rocketMQ.startBroker(1);
                    await().atMost(WAIT).until(() -> events.events.stream()
                            .anyMatch(e -> e instanceof SmartMQEvent.BrokerReadmitted r
                                    && r.broker().equals(isolated.broker())));
                    assertEquals(1.0, meters.get("smartmq.broker.readmissions").functionCounter().count());
                    assertEquals(0.0, meters.get("smartmq.broker.isolated").gauge().value());
                });
    }
}
