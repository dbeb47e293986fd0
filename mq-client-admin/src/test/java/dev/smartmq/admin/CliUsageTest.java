package dev.smartmq.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Usage, help and argument errors: no server involved, nothing contacted. */
class CliUsageTest {

    private final AdminRunner admin = new AdminRunner();

    @ParameterizedTest
    @ValueSource(strings = {"", "switch", "switch status", "switch history", "switch degrade", "switch restore",
            "backlog", "dlq", "dlq list", "dlq show", "dlq replay", "dlq purge"})
    void everyCommandHasHelp(String command) {
        List<String> args = new java.util.ArrayList<>(command.isEmpty() ? List.of() : List.of(command.split(" ")));
        args.add("--help");
        AdminRunner.Result r = admin.run(args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("Usage: smartmq-admin"), r.toString());
        if (!command.isEmpty() && !command.equals("switch") && !command.equals("dlq")) {
            assertTrue(r.out().contains("--json") && r.out().contains("--timeout"), r.toString());
        }
    }

    @Test
    void rootHelpDocumentsExitCodes() {
        AdminRunner.Result r = admin.run("--help");
        assertTrue(r.out().contains("Exit codes:") && r.out().contains("3  access denied"), r.toString());
    }

    @Test
    void missingCommandsUnknownOptionsAndMissingConnectionsAreUsageErrors() {
        assertEquals(2, admin.run().exitCode());
        assertEquals(2, admin.run("switch").exitCode());
        assertEquals(2, admin.run("dlq").exitCode());
        assertEquals(2, admin.run("switch", "status", "--no-such-option").exitCode());
        AdminRunner.Result noZk = admin.run("switch", "status");
        assertEquals(2, noZk.exitCode(), noZk.toString());
        assertTrue(noZk.err().contains("--zk <connectString> is required"), noZk.toString());
        AdminRunner.Result noRedis = admin.run("dlq", "list", "--topic", "t", "--group", "g");
        assertEquals(2, noRedis.exitCode(), noRedis.toString());
        AdminRunner.Result both = admin.run("dlq", "list", "--topic", "t", "--group", "g", "--redis", "h:1",
                "--redis-cluster", "h:2");
        assertEquals(2, both.exitCode(), both.toString());
        AdminRunner.Result badNs = admin.run("switch", "status", "--zk", "127.0.0.1:1", "--namespace", "a/b");
        assertEquals(2, badNs.exitCode(), badNs.toString());
        AdminRunner.Result badTopic = admin.run("backlog", "--topic", "a b", "--group", "g", "--redis", "h:1");
        assertEquals(2, badTopic.exitCode(), badTopic.toString());
        AdminRunner.Result badPort = admin.run("backlog", "--topic", "t", "--group", "g", "--redis", "h:99999");
        assertEquals(2, badPort.exitCode(), badPort.toString());
    }

    @Test
    void malformedCredentialsAreUsageErrorsThatDoNotEchoTheValue() {
        AdminRunner.Result r = new AdminRunner().env("SMARTMQ_ZK_AUTH", "just-a-secret")
                .run("switch", "status", "--zk", "127.0.0.1:1");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("must be user:password"), r.toString());
        assertTrue(!r.err().contains("just-a-secret") && !r.out().contains("just-a-secret"), r.toString());
        AdminRunner.Result missingFile = admin.run("switch", "status", "--zk", "127.0.0.1:1", "--zk-auth-file",
                "/nonexistent/zk.auth");
        assertEquals(2, missingFile.exitCode(), missingFile.toString());
    }

    @Test
    void durationsParseShortAndIsoForms() {
        assertEquals(Duration.ofMinutes(30), Durations.parse("30m"));
        assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
        assertEquals(Duration.ofHours(2), Durations.parse("2h"));
        assertEquals(Duration.ofDays(1), Durations.parse("1d"));
        assertEquals(Duration.ofMinutes(90), Durations.parse("PT1H30M"));
        assertEquals("1h 30m", Durations.format(Duration.ofMinutes(90)));
        assertEquals("250ms", Durations.format(Duration.ofMillis(250)));
    }
}
