package dev.smartmq.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.spi.SwitchTransition;
import dev.smartmq.testkit.FreePorts;
import dev.smartmq.testkit.zookeeper.ZooKeeperExtension;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The switch commands against a real ZooKeeper server, run in-process through picocli. */
class SwitchCommandsIT {

    @RegisterExtension
    static final ZooKeeperExtension zk = ZooKeeperExtension.server();

    private static final AtomicInteger NS = new AtomicInteger();

    @TempDir
    Path tmp;

    private final AdminRunner admin = new AdminRunner();

    private static String newNamespace() {
        return "cli" + NS.incrementAndGet();
    }

    private AdminRunner.Result run(String ns, String... args) {
        String[] all = new String[args.length + 6];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(new String[] {"--zk", zk.connectString(), "--namespace", ns, "--timeout", "10s"}, 0, all,
                args.length, 6);
        return admin.run(all);
    }

    @Test
    void statusOfAnEmptyNamespaceIsTheInitialStateAndCreatesNothing() throws Exception {
        String ns = newNamespace();
        AdminRunner.Result human = run(ns, "switch", "status");
        assertEquals(0, human.exitCode(), human.toString());
        assertTrue(human.out().contains("NORMAL"), human.toString());
        assertTrue(human.out().contains("initialized  false"), human.toString());

        AdminRunner.Result r = run(ns, "switch", "status", "--json");
        assertEquals(0, r.exitCode(), r.toString());
        JsonNode j = r.json();
        assertEquals(ns, j.get("namespace").asText());
        assertEquals("NORMAL", j.get("state").asText());
        assertEquals("AUTO", j.get("mode").asText());
        assertEquals(0, j.get("epoch").asLong());
        assertTrue(j.get("reachable").asBoolean());
        assertFalse(j.get("initialized").asBoolean());
        assertTrue(j.get("expiresAt").isNull());
        assertTrue(j.has("reason") && j.has("changedBy") && j.has("changedAt"), j.toString());

        CuratorFramework c = zk.newClient();
        assertNull(c.checkExists().forPath("/smartmq/" + ns), "a read-only command must not create the namespace");
    }

    @Test
    void degradeWithTtlThenStatusShowsManualDegradedWithExpiryThenRestoreAndHistory() {
        String ns = newNamespace();
        Instant before = Instant.now();
        AdminRunner.Result d = run(ns, "switch", "degrade", "--reason", "drill 42", "--ttl", "30m",
                "--operator", "alice");
        assertEquals(0, d.exitCode(), d.toString());
        assertTrue(d.out().contains("NORMAL/AUTO (epoch 0) -> DEGRADED/MANUAL (epoch 1)"), d.toString());
        assertTrue(d.err().contains("OPEN ACL"), "creating a namespace without writers is flagged: " + d);

        JsonNode s = run(ns, "switch", "status", "--json").json();
        assertEquals("DEGRADED", s.get("state").asText());
        assertEquals("MANUAL", s.get("mode").asText());
        assertEquals("drill 42", s.get("reason").asText());
        assertEquals("alice", s.get("changedBy").asText());
        assertEquals(1, s.get("epoch").asLong());
        assertTrue(s.get("initialized").asBoolean());
        assertFalse(s.get("manualExpired").asBoolean());
        Instant expires = Instant.parse(s.get("expiresAt").asText());
        assertTrue(!expires.isBefore(before.plus(Duration.ofMinutes(30)).minusSeconds(1))
                && !expires.isAfter(Instant.now().plus(Duration.ofMinutes(30))), "expiresAt " + expires);
        AdminRunner.Result human = run(ns, "switch", "status");
        assertTrue(human.out().contains("DEGRADED") && human.out().contains("MANUAL") && human.out().contains("(in 29m"),
                human.toString());

        // Ending the drill: back to the SDK, as RECOVERING/AUTO so that the backlog drains before NORMAL.
        AdminRunner.Result restore = run(ns, "switch", "restore", "--reason", "drill over", "--json");
        assertEquals(0, restore.exitCode(), restore.toString());
        JsonNode rj = restore.json();
        assertTrue(rj.get("applied").asBoolean());
        assertEquals("DEGRADED", rj.get("previous").get("state").asText());
        assertEquals("RECOVERING", rj.get("current").get("state").asText());
        assertEquals("AUTO", rj.get("current").get("mode").asText());
        assertTrue(rj.get("current").get("expiresAt").isNull());
        assertEquals("tester@testhost", rj.get("current").get("changedBy").asText(), "default operator is $USER@host");

        // Restoring again is a no-op, not an error: scripts can always end a drill.
        AdminRunner.Result again = run(ns, "switch", "restore", "--reason", "twice");
        assertEquals(0, again.exitCode(), again.toString());
        assertTrue(again.out().contains("nothing to restore"), again.toString());

        AdminRunner.Result history = run(ns, "switch", "history", "--json");
        assertEquals(0, history.exitCode(), history.toString());
        JsonNode list = history.json().get("transitions");
        assertEquals(2, list.size(), history.toString());
        assertEquals("RECOVERING", list.get(0).get("state").asText());
        assertEquals(2, list.get(0).get("epoch").asLong());
        assertEquals("drill over", list.get(0).get("reason").asText());
        assertEquals("DEGRADED", list.get(1).get("state").asText());
        assertEquals("alice", list.get(1).get("changedBy").asText());
        AdminRunner.Result table = run(ns, "switch", "history", "--limit", "1");
        assertTrue(table.out().contains("RECOVERING") && !table.out().contains("drill 42"), table.toString());
    }

    @Test
    void degradeWithoutAReasonIsAUsageErrorAndChangesNothing() throws Exception {
        String ns = newNamespace();
        AdminRunner.Result missing = run(ns, "switch", "degrade", "--ttl", "5m");
        assertEquals(2, missing.exitCode(), missing.toString());
        assertTrue(missing.err().contains("--reason"), missing.toString());
        AdminRunner.Result blank = run(ns, "switch", "degrade", "--reason", "  ");
        assertEquals(2, blank.exitCode(), blank.toString());
        assertTrue(blank.err().contains("--reason must not be blank"), blank.toString());
        AdminRunner.Result badTtl = run(ns, "switch", "degrade", "--reason", "x", "--ttl", "30 minutes");
        assertEquals(2, badTtl.exitCode(), badTtl.toString());
        AdminRunner.Result longTtl = run(ns, "switch", "degrade", "--reason", "x", "--ttl", "8d");
        assertEquals(2, longTtl.exitCode(), longTtl.toString());
        assertEquals(0, run(ns, "switch", "status", "--json").json().get("epoch").asLong());
    }

    @Test
    void aLostCompareAndSetExitsFourAndAnAutoOutageNeedsForce() throws Exception {
        String ns = newNamespace();
        try (ZkDegradationSwitch sdk = ZkDegradationSwitch.builder().connectString(zk.connectString()).namespace(ns)
                .build()) {
            sdk.start();
            assertTrue(sdk.transition(new SwitchTransition(0, SwitchState.DEGRADED, SwitchMode.AUTO,
                    "10 consecutive failures", "host/1/sdk", null)).applied());

            AdminRunner.Result stale = run(ns, "switch", "degrade", "--reason", "drill", "--expect-epoch", "0", "--json");
            assertEquals(4, stale.exitCode(), stale.toString());
            assertTrue(stale.err().contains("compare-and-set lost"), stale.toString());
            assertEquals(4, stale.json().get("exitCode").asInt());

            AdminRunner.Result refused = run(ns, "switch", "restore", "--reason", "MQ looks fine");
            assertEquals(4, refused.exitCode(), refused.toString());
            assertTrue(refused.err().contains("--force"), refused.toString());
            assertEquals(1, sdk.current().epoch());

            AdminRunner.Result forced = run(ns, "switch", "restore", "--reason", "MQ looks fine", "--force");
            assertEquals(0, forced.exitCode(), forced.toString());
            assertEquals("RECOVERING", run(ns, "switch", "status", "--json").json().get("state").asText());
            assertTrue(forced.out().contains("DEGRADED/AUTO (epoch 1) -> RECOVERING/AUTO (epoch 2)"), forced.toString());
        }
    }

    @Test
    void wrongDigestCredentialsOnAnAclProtectedSwitchExitThreeAndNeverPrintTheSecret() throws Exception {
        String ns = newNamespace();
        String opsId = ZkDegradationSwitch.digestIdentity("ops", "right-horse");
        try (ZkDegradationSwitch owner = ZkDegradationSwitch.builder().connectString(zk.connectString()).namespace(ns)
                .authorization("digest", "ops:right-horse").writers(List.of(opsId)).build()) {
            owner.start();
        }
        Path wrong = secretFile("ops:battery-staple");
        AdminRunner.Result denied = run(ns, "switch", "degrade", "--reason", "drill", "--zk-auth-file", wrong.toString());
        assertEquals(3, denied.exitCode(), denied.toString());
        assertTrue(denied.err().contains("access denied") || denied.err().contains("may not"), denied.toString());
        assertFalse(denied.out().contains("battery-staple") || denied.err().contains("battery-staple"), denied.toString());

        // Anyone may read the switch.
        AdminRunner.Result status = run(ns, "switch", "status", "--zk-auth-file", wrong.toString());
        assertEquals(0, status.exitCode(), status.toString());

        // The right credentials, from the environment.
        AdminRunner.Result ok = new AdminRunner().env("SMARTMQ_ZK_AUTH", "ops:right-horse").run("switch", "degrade",
                "--reason", "drill", "--ttl", "1m", "--zk", zk.connectString(), "--namespace", ns);
        assertEquals(0, ok.exitCode(), ok.toString());
        assertFalse(ok.err().contains("OPEN ACL"), "the namespace existed: " + ok);
        assertFalse(ok.out().contains("right-horse") || ok.err().contains("right-horse"), ok.toString());
    }

    @Test
    void unreachableZooKeeperExitsOneWithAClearMessageWithinTheTimeout() {
        int closed = FreePorts.find();
        AdminRunner.Result r = admin.run("switch", "status", "--zk", "127.0.0.1:" + closed, "--timeout", "2s");
        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("ZooKeeper 127.0.0.1:" + closed + " is not reachable (waited 2s)"), r.toString());
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r);
        assertTrue(r.elapsed().compareTo(Duration.ofSeconds(12)) < 0, "took " + r.elapsed());

        AdminRunner.Result json = admin.run("switch", "degrade", "--reason", "x", "--zk", "127.0.0.1:" + closed,
                "--timeout", "1s", "--json");
        assertEquals(1, json.exitCode(), json.toString());
        assertEquals(1, json.json().get("exitCode").asInt());
        assertTrue(json.json().get("error").asText().contains("not reachable"));
    }

    private Path secretFile(String content) throws IOException {
        Path f = Files.createTempFile(tmp, "zk", ".auth");
        Files.writeString(f, content + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }
}
