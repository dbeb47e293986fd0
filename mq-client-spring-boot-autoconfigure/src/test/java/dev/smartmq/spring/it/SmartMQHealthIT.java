package dev.smartmq.spring.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.DeliveryException;
import dev.smartmq.api.Message;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SwitchState;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.rocketmq.RocketMQTransport;
import dev.smartmq.spring.boot.autoconfigure.SmartMQHealthIndicator;
import dev.smartmq.testkit.redis.RedisServer;
import dev.smartmq.testkit.zookeeper.ZooKeeperServer;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

/**
 * The {@code smartmq} health of a two-instance fleet on a real ZooKeeper and redis-server: "leader present" is
 * the fleet's (the instance that does not lead sees the other one lead, from the registry), and goes false when
 * the leader leaves; DOWN only on evidence (sends stored nowhere with none stored: the MQ's name server is a
 * closed port and redis-server is killed), and not DOWN without sends. No RocketMQ runs: nothing here needs it.
 */
class SmartMQHealthIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String NS = "health-it";

    private ZooKeeperServer zooKeeper;
    private RedisServer redis;
    private int closedPort;
    private SmartMQ leader;
    private SmartMQ follower;

    @BeforeEach
    void start() throws IOException {
        zooKeeper = ZooKeeperServer.start();
        redis = RedisServer.start();
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
    }

    @AfterEach
    void stop() {
        for (SmartMQ mq : new SmartMQ[] {follower, leader}) {
            if (mq != null) {
                mq.close();
            }
        }
        redis.close();
        zooKeeper.close();
    }

    private SmartMQ instance(boolean joinElection) {
        return SmartMQ.builder()
                .config(SmartMQConfig.custom().namespace(NS).failureThreshold(1000).sendTimeout(Duration.ofSeconds(1))
                        .shutdownTimeout(Duration.ofSeconds(3)).build())
                .transport(RocketMQTransport.builder().nameServer("127.0.0.1:" + closedPort)
                        .sendTimeout(Duration.ofMillis(500)).retriesWhenSendFailed(0).build())
                .fallbackStore(RedisFallbackStore.builder().standalone(redis.host(), redis.port()).namespace(NS)
                        .shards(4).connectTimeout(Duration.ofMillis(500)).socketTimeout(Duration.ofMillis(500))
                        .build())
                .degradationSwitch(ZkDegradationSwitch.builder().connectString(zooKeeper.connectString())
                        .namespace(NS).joinElection(joinElection).build())
                .build();
    }

    @Test
    void leaderPresentIsTheFleetsAndDownNeedsEvidence() {
        leader = instance(true);
        follower = instance(false);
        SmartMQHealthIndicator leaderHealth = new SmartMQHealthIndicator(leader, "smartmq");
        SmartMQHealthIndicator followerHealth = new SmartMQHealthIndicator(follower, "smartmq");

        await().atMost(WAIT).untilAsserted(() -> {
            Map<String, Object> d = followerHealth.health().getDetails();
            assertEquals(true, d.get("leaderPresent"), d.toString());
            assertEquals(leader.instanceId(), d.get("leaderInstance"));
            assertEquals(false, d.get("leader"), "the follower does not lead itself");
        });
        Health h = leaderHealth.health();
        assertEquals(Status.UP, h.getStatus());
        assertEquals(true, h.getDetails().get("leader"));
        assertEquals(true, h.getDetails().get("leaderPresent"));
        assertEquals("NORMAL", h.getDetails().get("localState"));
        assertEquals("NORMAL", h.getDetails().get("publishedState"));

        // The leader leaves: nobody in the fleet leads (the follower never joins the election).
        leader.close();
        leader = null;
        await().atMost(WAIT).untilAsserted(() -> {
            Map<String, Object> d = followerHealth.health().getDetails();
            assertEquals(false, d.get("leaderPresent"), d.toString());
            assertEquals("none", d.get("leaderInstance"));
        });

        // No evidence, no DOWN: nothing was sent.
        assertNotEquals(Status.DOWN, followerHealth.health().getStatus());

        // Evidence: the MQ fails every send (closed name-server port) and Redis is gone.
        redis.kill();
        for (int i = 0; i < 3; i++) {
            Message m = Message.builder("ORDERS").body("x" + i).build();
            assertThrows(DeliveryException.class, () -> follower.producer().send(m));
        }
        Health down = followerHealth.health();
        assertEquals(Status.DOWN, down.getStatus(), down.toString());
        assertTrue(String.valueOf(down.getDetails().get("evidence")).contains("3 sends"), down.toString());
        // The next check has no new evidence: not DOWN on old news.
        assertNotEquals(Status.DOWN, followerHealth.health().getStatus());
        assertTrue(follower.effectiveState() == SwitchState.NORMAL || follower.effectiveState() == SwitchState.DEGRADED);
    }
}
