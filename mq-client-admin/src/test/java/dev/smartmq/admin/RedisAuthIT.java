package dev.smartmq.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.testkit.redis.RedisExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Redis AUTH: the password comes from env or a file, a wrong one exits 3, and it is never printed. */
class RedisAuthIT {

    private static final String PASSWORD = "correct-horse-7";

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone(b -> b.requirePass(PASSWORD));

    @TempDir
    Path tmp;

    private String address() {
        return redis.server().host() + ":" + redis.server().port();
    }

    @Test
    void wrongPasswordExitsThreeRightPasswordWorks() throws Exception {
        AdminRunner.Result wrong = new AdminRunner().env("SMARTMQ_REDIS_PASSWORD", "battery-staple-9")
                .run("backlog", "--topic", "t", "--group", "g", "--redis", address(), "--timeout", "3s");
        assertEquals(3, wrong.exitCode(), wrong.toString());
        assertFalse(wrong.toString().contains("battery-staple-9"), wrong.toString());

        AdminRunner.Result none = new AdminRunner()
                .run("backlog", "--topic", "t", "--group", "g", "--redis", address(), "--timeout", "3s");
        assertEquals(3, none.exitCode(), none.toString());

        AdminRunner.Result env = new AdminRunner().env("SMARTMQ_REDIS_PASSWORD", PASSWORD)
                .run("backlog", "--topic", "t", "--group", "g", "--redis", address(), "--json");
        assertEquals(0, env.exitCode(), env.toString());
        assertEquals(0, env.json().get("groups").get(0).get("pending").asLong());

        Path file = tmp.resolve("redis.pw");
        Files.writeString(file, PASSWORD + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        AdminRunner.Result fromFile = new AdminRunner()
                .run("dlq", "list", "--topic", "t", "--group", "g", "--redis", address(), "--redis-password-file",
                        file.toString());
        assertEquals(0, fromFile.exitCode(), fromFile.toString());
        assertTrue(fromFile.err().contains("readable by group or others"), "warns about a loose file: " + fromFile);
        assertFalse(fromFile.toString().contains(PASSWORD), fromFile.toString());
    }
}
