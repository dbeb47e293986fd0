package dev.smartmq.testkit.servers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.smartmq.testkit.servers.internal.Containers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import redis.clients.jedis.Jedis;

/**
 * One test class ({@link SameTest}, run here through the JUnit Platform) on the embedded servers and on
 * containers. This machine has no Docker engine: there, containers mode must skip the class cleanly with a
 * message that says so, and fail nothing. Where an engine exists, the same class must pass on containers too.
 */
class TestServersIT {

    @Test
    void theSameTestPassesOnTheEmbeddedServers() {
        Run run = run(OnEmbedded.class);
        assertEquals(1, run.summary.getTestsSucceededCount(), run.describe());
        assertEquals(0, run.summary.getTotalFailureCount(), run.describe());
    }

    @Test
    void containersModeRunsWhereDockerIsAndSkipsWithAClearMessageWhereItIsNot() {
        String noDocker = Containers.dockerUnavailableReason();
        long start = System.nanoTime();
        Run run = run(OnContainers.class);
        assertEquals(0, run.summary.getTotalFailureCount(), run.describe());
        if (noDocker == null) {
            assertEquals(1, run.summary.getTestsSucceededCount(), run.describe());
            return;
        }
        assertTrue(run.aborted.stream().anyMatch(m -> m.contains("smartmq.testkit.servers=containers, but no Docker"
                + " engine was found")), run.describe());
        assertEquals(0, run.summary.getTestsSucceededCount(), run.describe());
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        assertTrue(seconds < 60, "skipping took " + seconds + " s");
    }

    @Test
    void thePropertySelectsTheKindAndABadValueIsAClearError() {
        String before = System.getProperty(TestServers.PROPERTY);
        try {
            System.clearProperty(TestServers.PROPERTY);
            assertEquals(TestServers.Kind.EMBEDDED, TestServers.create().kind());
            System.setProperty(TestServers.PROPERTY, "containers");
            assertEquals(TestServers.Kind.CONTAINERS, TestServers.create().kind());
            assertEquals(TestServers.Kind.EMBEDDED, TestServers.builder().redis().embedded().build().kind());
            System.setProperty(TestServers.PROPERTY, "docker");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, TestServers::create);
            assertEquals("smartmq.testkit.servers must be embedded or containers, but was 'docker'", e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty(TestServers.PROPERTY);
            } else {
                System.setProperty(TestServers.PROPERTY, before);
            }
        }
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TestServers.builder().redis().build().rocketMQ());
        assertTrue(e.getMessage().contains("was not requested"), e.getMessage());
    }

    /** The test both kinds run: written against the endpoints only. */
    abstract static class SameTest {

        abstract TestServers servers();

        @Test
        void redisZooKeeperAndRocketMQAnswer() throws Exception {
            try (Jedis jedis = new Jedis(servers().redis().hostAndPort())) {
                assertEquals("OK", jedis.set("k", "v"));
            }
            try (CuratorFramework zk = CuratorFrameworkFactory.newClient(servers().zooKeeper().connectString(),
                    new RetryOneTime(100))) {
                zk.start();
                assertTrue(zk.blockUntilConnected(30, java.util.concurrent.TimeUnit.SECONDS));
                zk.create().forPath("/same-test", new byte[0]);
            }
            servers().rocketMQ().createTopic("same-test", 2);
            DefaultMQProducer producer = new DefaultMQProducer("same-test-producer");
            producer.setNamesrvAddr(servers().rocketMQ().nameServerAddress());
            producer.setInstanceName("same-test-" + System.nanoTime());
            producer.start();
            try {
                assertEquals(SendStatus.SEND_OK, producer.send(
                        new Message("same-test", "x".getBytes(StandardCharsets.UTF_8))).getSendStatus());
            } finally {
                producer.shutdown();
            }
        }
    }

    static class OnEmbedded extends SameTest {
        @RegisterExtension
        static final TestServers SERVERS = TestServers.builder().redis().zooKeeper().rocketMQ().embedded().build();

        @Override
        TestServers servers() {
            return SERVERS;
        }
    }

    static class OnContainers extends SameTest {
        @RegisterExtension
        static final TestServers SERVERS = TestServers.builder().redis().zooKeeper().rocketMQ().containers().build();

        @Override
        TestServers servers() {
            return SERVERS;
        }
    }

    private static Run run(Class<?> testClass) {
        Run run = new Run();
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(testClass))
                .build(), run.summaryListener, run);
        run.summary = run.summaryListener.getSummary();
        return run;
    }

    private static final class Run implements TestExecutionListener {
        final SummaryGeneratingListener summaryListener = new SummaryGeneratingListener();
        final List<String> aborted = new ArrayList<>();
        TestExecutionSummary summary;

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
                aborted.add(result.getThrowable().map(Throwable::getMessage).orElse(""));
            }
        }

        String describe() {
            java.io.StringWriter w = new java.io.StringWriter();
            summary.printTo(new java.io.PrintWriter(w));
            summary.printFailuresTo(new java.io.PrintWriter(w), 20);
            return w + " aborted: " + aborted;
        }
    }
}
