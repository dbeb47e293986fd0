package dev.smartmq.admin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.spi.ConsumerRegistration;
import dev.smartmq.spi.DegradationSwitch;
import dev.smartmq.spi.InstanceReport;
import dev.smartmq.spi.SwitchAccessDeniedException;
import dev.smartmq.spi.SwitchListener;
import dev.smartmq.spi.SwitchTransition;
import dev.smartmq.spi.TransitionResult;
import dev.smartmq.testkit.FreePorts;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.rocketmq.RocketMQExtension;
import dev.smartmq.testkit.zookeeper.ZooKeeperExtension;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code smartmq-admin status} over a real fleet (issue 22): SmartMQ instances in this JVM and in a separate JVM,
 * embedded RocketMQ, real ZooKeeper and Redis.
 */
class FleetStatusIT {

    @RegisterExtension
    static final RocketMQExtension mq = RocketMQExtension.create();

    @RegisterExtension
    static final ZooKeeperExtension zk = ZooKeeperExtension.server();

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private final AdminRunner admin = new AdminRunner();

    private AdminRunner.Result run(String ns, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--zk", zk.connectString(), "--namespace", ns, "--timeout", "10s"));
        return admin.run(all.toArray(String[]::new));
    }

    private AdminRunner.Result status(String ns, String... extra) {
        List<String> all = new ArrayList<>(List.of("status", "--json", "--redis",
                redis.server().host() + ":" + redis.server().port(), "--shard-count", "2"));
        all.addAll(List.of(extra));
        AdminRunner.Result r = run(ns, all.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.toString());
        return r;
    }

    private static Map<String, JsonNode> instances(JsonNode doc) {
        Map<String, JsonNode> m = new HashMap<>();
        doc.get("instances").forEach(i -> m.put(i.get("instanceId").asText(), i));
        return m;
    }

    private static List<String> roles(JsonNode instance) {
        List<String> l = new ArrayList<>();
        instance.get("roles").forEach(r -> l.add(r.asText()));
        return l;
    }

    private static String warnings(JsonNode doc) {
        return doc.get("warnings").toString();
    }

    @Test
    @org.junit.jupiter.api.Timeout(240)
    void instancesTableListsTheFleetWithRolesAndANewLeaderAppearsAfterTheLeaderIsKilled() throws Exception {
        String ns = "fleet1";
        String topic = "orders";
        mq.rocketMQ().createTopic(topic, 2);
        String host = redis.server().host();
        int port = redis.server().port();
        // The separate JVM starts first, so it wins the election.
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                FleetMember.class.getName(), zk.connectString(), host, Integer.toString(port), mq.nameServerAddress(),
                ns, topic, "billing")
                .redirectError(new File("target/fleet-member.log"))
                .start();
        try {
            BufferedReader stdout = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8));
            String ready = stdout.readLine();
            while (ready != null && !ready.startsWith("READY ")) {
                ready = stdout.readLine(); // its log lines, until it is up (EOF if it died)
            }
            assertTrue(ready != null, "child JVM did not start, see target/fleet-member.log");
            Thread drain = new Thread(() -> {
                try {
                    while (stdout.readLine() != null) {
                        // keep the pipe empty so the child never blocks on logging
                    }
                } catch (java.io.IOException e) {
                    // the child is gone
                }
            }, "fleet-member-stdout");
            drain.setDaemon(true);
            drain.start();
            String childId = ready.substring("READY ".length());
            await().atMost(Duration.ofSeconds(60)).until(() -> childId.equals(status(ns).json().path("leader").asText()));

            try (SmartMQ producer = FleetMember.start(zk.connectString(), host, port, mq.nameServerAddress(), ns, topic,
                    null, 10, s -> s);
                 SmartMQ audit = FleetMember.start(zk.connectString(), host, port, mq.nameServerAddress(), ns, topic,
                         "audit", 10, s -> s)) {
                FleetMember.send(producer, topic, 1);
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    JsonNode doc = status(ns).json();
                    Map<String, JsonNode> in = instances(doc);
                    assertEquals(Set.of(childId, producer.instanceId(), audit.instanceId()), in.keySet(), doc.toString());
                    assertEquals(List.of("leader", "consumer:orders/billing"), roles(in.get(childId)));
                    assertEquals(List.of("producer"), roles(in.get(producer.instanceId())));
                    assertEquals(List.of("consumer:orders/audit"), roles(in.get(audit.instanceId())));
                    assertEquals(ProcessHandle.current().pid(), in.get(audit.instanceId()).get("pid").asLong());
                    assertEquals(child.pid(), in.get(childId).get("pid").asLong());
                    assertEquals("NORMAL", in.get(childId).get("effectiveState").asText());
                });
                AdminRunner.Result table = run(ns, "status");
                assertEquals(0, table.exitCode(), table.toString());
                assertTrue(table.out().contains("INSTANCE") && table.out().contains(childId)
                        && table.out().contains("leader,consumer:orders/billing"), table.toString());

                // kill -9 the leader: its session times out, a surviving instance takes over.
                long t0 = System.nanoTime();
                child.destroyForcibly();
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
                await().atMost(FleetMember.SESSION_TIMEOUT.plusSeconds(10)).untilAsserted(() -> {
                    JsonNode doc = status(ns).json();
                    String leader = doc.path("leader").asText();
                    assertTrue(leader.equals(producer.instanceId()) || leader.equals(audit.instanceId()), doc.toString());
                    assertEquals(2, doc.get("instances").size(), doc.toString());
                    assertTrue(roles(instances(doc).get(leader)).contains("leader"), doc.toString());
                });
                System.out.println("new leader after kill -9 in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)
                        + " ms (session timeout " + FleetMember.SESSION_TIMEOUT.toMillis() + " ms)");
                // The killed consumer's group is still registered and has nobody now.
                await().atMost(Duration.ofSeconds(20)).until(() -> warnings(status(ns).json())
                        .contains("NO_CONSUMERS: group billing of topic orders"));
            }
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void anInstanceDegradedLocallyButUnableToPublishIsFlaggedAsDiverged() {
        String ns = "fleet2";
        String unreachable = "127.0.0.1:" + FreePorts.find();
        try (SmartMQ cut = FleetMember.start(zk.connectString(), redis.server().host(), redis.server().port(),
                unreachable, ns, "payments", null, 3, RefusingSwitch::new)) {
            FleetMember.send(cut, "payments", 4); // every send fails on the MQ, lands in Redis; 3 trip the detector
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode doc = status(ns, "--divergence-bound", "1s").json();
                assertEquals("NORMAL", doc.get("switch").get("state").asText(), doc.toString());
                JsonNode me = instances(doc).get(cut.instanceId());
                assertEquals("DEGRADED", me.get("effectiveState").asText(), doc.toString());
                assertTrue(me.get("diverged").asBoolean(), doc.toString());
                assertTrue(warnings(doc).contains("DIVERGED: instance " + cut.instanceId()), doc.toString());
            });
            AdminRunner.Result strict = run(ns, "status", "--divergence-bound", "1s", "--fail-on-warning");
            assertEquals(4, strict.exitCode(), strict.toString());
            assertTrue(strict.out().contains("DEGRADED (DIVERGED)"), strict.toString());
        }
    }

    @Test
    void switchRestoreWithNoInstanceRunningLeavesRecoveringWithNoLeaderAndStatusFlagsIt() {
        String ns = "fleet3";
        assertEquals(0, run(ns, "switch", "degrade", "--reason", "drill", "--ttl", "5m").exitCode());
        assertEquals(0, run(ns, "switch", "restore", "--reason", "drill over").exitCode());
        JsonNode doc = status(ns).json();
        assertEquals("RECOVERING", doc.get("switch").get("state").asText());
        assertTrue(doc.get("leader").isNull(), doc.toString());
        assertTrue(warnings(doc).contains("NO_LEADER: the switch is RECOVERING"), doc.toString());
        await().atMost(Duration.ofSeconds(10)).until(() -> warnings(status(ns, "--recovering-bound", "1s").json())
                .contains("RECOVERING_TOO_LONG"));

        AdminRunner.Result human = run(ns, "status");
        assertTrue(human.out().contains("WARNING NO_LEADER"), human.toString());
        assertEquals(4, run(ns, "status", "--fail-on-warning").exitCode());

        // --watch: bounded frames on one session, each a full redraw.
        AdminRunner.Result watch = run(ns, "status", "--watch", "--interval", "1s", "--frames", "3");
        assertEquals(0, watch.exitCode(), watch.toString());
        assertEquals(3, watch.out().split("\033\\[H\033\\[2J", -1).length - 1, watch.toString());
        for (int f = 1; f <= 3; f++) {
            assertTrue(watch.out().contains("(frame " + f + ", every 1s"), watch.toString());
        }
        assertTrue(watch.out().split("WARNING NO_LEADER", -1).length - 1 == 3, watch.toString());

        // --all: every namespace, this one among them.
        JsonNode all = run(ns, "status", "--all", "--json").json();
        List<String> names = new ArrayList<>();
        all.get("namespaces").forEach(n -> names.add(n.get("namespace").asText()));
        assertTrue(names.contains(ns), all.toString());
    }

    /** A switch whose writes are refused (as an instance without the writer ACL): it can only degrade locally. */
    private static final class RefusingSwitch implements DegradationSwitch {
        private final DegradationSwitch d;

        RefusingSwitch(DegradationSwitch d) {
            this.d = d;
        }

        @Override
        public void start() {
            d.start();
        }

        @Override
        public String namespace() {
            return d.namespace();
        }

        @Override
        public java.util.OptionalInt recordShardCount(int shards) {
            return d.recordShardCount(shards);
        }

        @Override
        public Optional<Set<String>> readGroups(String topic) {
            return d.readGroups(topic);
        }

        @Override
        public SwitchStatus current() {
            return d.current();
        }

        @Override
        public boolean isReachable() {
            return d.isReachable();
        }

        @Override
        public TransitionResult transition(SwitchTransition t) {
            throw new SwitchAccessDeniedException("test: this instance may not write the switch", null);
        }

        @Override
        public void addListener(SwitchListener l, Executor e) {
            d.addListener(l, e);
        }

        @Override
        public void removeListener(SwitchListener l) {
            d.removeListener(l);
        }

        @Override
        public ConsumerRegistration registerConsumer(String topic, String group, String consumerId) {
            return d.registerConsumer(topic, group, consumerId);
        }

        @Override
        public Set<String> groups(String topic) {
            return d.groups(topic);
        }

        @Override
        public Map<String, Set<String>> registeredGroups() {
            return d.registeredGroups();
        }

        @Override
        public Optional<Set<String>> liveConsumers(String topic, String group) {
            return d.liveConsumers(topic, group);
        }

        @Override
        public void reportInstance(InstanceReport report) {
            d.reportInstance(report);
        }

        @Override
        public boolean isLeader() {
            return d.isLeader();
        }

        @Override
        public void close() {
            d.close();
        }
    }
}
