package dev.smartmq.testkit.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.testkit.WorkDirs;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * No redis-server of ours outlives the JVM that started it, even when that JVM exits without closing its
 * fixture (a crashed or careless test): the testkit's shutdown hook kills it.
 */
class JvmExitIT {

    @Test
    void aRedisServerLeftRunningIsKilledWhenItsJvmExits() throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        String workDir = System.getProperty(WorkDirs.PROPERTY, System.getProperty("java.io.tmpdir"));
        Process child = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-D" + WorkDirs.PROPERTY + "=" + workDir, AbandonedRedisMain.class.getName()))
                .redirectErrorStream(true)
                .start();
        long pid = -1;
        StringBuilder output = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                output.append(line).append('\n');
                if (line.startsWith("PID ")) {
                    pid = Long.parseLong(line.substring(4).trim());
                }
            }
        }
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child JVM did not exit:\n" + output);
        assertEquals(0, child.exitValue(), "child output:\n" + output);
        assertTrue(pid > 0, "the child never reported a redis-server pid:\n" + output);

        long redisPid = pid;
        try {
            await("redis-server " + redisPid + " gone after its JVM exited").atMost(Duration.ofSeconds(10))
                    .until(() -> !ProcessHandle.of(redisPid).map(ProcessHandle::isAlive).orElse(false));
        } finally {
            // If the hook failed, do not leak the process from this test either (it is ours: we started it).
            Optional<ProcessHandle> leftover = ProcessHandle.of(redisPid).filter(ProcessHandle::isAlive);
            leftover.ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
