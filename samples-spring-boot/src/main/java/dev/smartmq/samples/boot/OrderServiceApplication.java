package dev.smartmq.samples.boot;

import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.testkit.redis.RedisServer;
import dev.smartmq.testkit.rocketmq.EmbeddedRocketMQ;
import dev.smartmq.testkit.zookeeper.ZooKeeperServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * An order service on {@code mq-client-spring-boot-starter}: a REST endpoint publishes {@code OrderPaid} events
 * through {@link dev.smartmq.spring.core.SmartMQTemplate}, an {@code @SmartMQListener} of group
 * {@code inventory} consumes them, Actuator shows {@code /actuator/health/smartmq} and
 * {@code /actuator/prometheus}. All SmartMQ wiring is in {@code application.yml}.
 *
 * <p>For the demo, when no {@code smartmq.rocketmq.name-server} is given, {@code main} first starts
 * RocketMQ, ZooKeeper and redis-server on loopback free ports (the testkit) and points the properties at
 * them; a real deployment sets the addresses instead and drops the testkit dependency.
 */
@SpringBootApplication
public class OrderServiceApplication {
    private static final Logger LOG = LoggerFactory.getLogger(OrderServiceApplication.class);

    public static void main(String[] args) {
        LocalServers servers = System.getProperty("smartmq.rocketmq.name-server") == null
                && System.getenv("SMARTMQ_ROCKETMQ_NAME_SERVER") == null ? LocalServers.start() : null;
        SpringApplication app = new SpringApplication(OrderServiceApplication.class);
        app.setRegisterShutdownHook(false);
        ConfigurableApplicationContext ctx = app.run(args);
        // The application closes first (listeners, producer drain, ports), then the demo servers.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            ctx.close();
            if (servers != null) {
                servers.close();
            }
        }, "order-service-shutdown"));
    }

    /** The demo's servers: RocketMQ (in this JVM), ZooKeeper (Curator's testing server), redis-server. */
    static final class LocalServers implements AutoCloseable {
        private final RedisServer redis;
        private final ZooKeeperServer zooKeeper;
        private final EmbeddedRocketMQ rocketMQ;

        private LocalServers(RedisServer redis, ZooKeeperServer zooKeeper, EmbeddedRocketMQ rocketMQ) {
            this.redis = redis;
            this.zooKeeper = zooKeeper;
            this.rocketMQ = rocketMQ;
        }

        static LocalServers start() {
            RedisServer redis = RedisServer.start();
            ZooKeeperServer zk = ZooKeeperServer.start();
            EmbeddedRocketMQ mq = EmbeddedRocketMQ.builder().build();
            mq.start();
            mq.createTopic(OrderController.TOPIC, 4);
            mq.createTopic(SmartMQConfig.DEFAULT_PROBE_TOPIC, 4);
            System.setProperty("rocketmq.name-server", mq.nameServerAddress());
            System.setProperty("smartmq.redis.host", redis.host());
            System.setProperty("smartmq.redis.port", Integer.toString(redis.port()));
            System.setProperty("smartmq.zookeeper.connect-string", zk.connectString());
            LOG.info("demo servers: RocketMQ {}, ZooKeeper {}, Redis {}:{}", mq.nameServerAddress(),
                    zk.connectString(), redis.host(), redis.port());
            return new LocalServers(redis, zk, mq);
        }

        @Override
        public void close() {
            rocketMQ.close();
            zooKeeper.close();
            redis.close();
        }
    }
}
