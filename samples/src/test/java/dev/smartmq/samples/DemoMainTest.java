package dev.smartmq.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.testkit.redis.RedisServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoMainTest {

    @Test
    void helpPrintsUsageAndExitsWithZero() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(DrillResult.EXIT_OK, DemoMain.run(new String[] {"--help"}, print(out), print(err)));
        assertTrue(text(out).contains("--fault <f>"), text(out));
        assertEquals("", text(err));
    }

    @Test
    void badOptionsPrintTheErrorAndUsageAndExitWith64() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(DrillResult.EXIT_USAGE, DemoMain.run(new String[] {"--rate", "x"}, print(out), print(err)));
        assertTrue(text(err).startsWith("error: --rate must be an integer, but was 'x'"), text(err));
        assertTrue(text(err).contains("Usage:"), text(err));
        assertEquals("", text(out), "nothing started, nothing reported");
    }

    @Test
    void aDrillThatCannotStartExitsWith2NamesThePhaseAndStillEndsWithResult() {
        // The first server the drill starts is redis-server: point it at a binary that does not exist.
        String before = System.getProperty(RedisServer.BINARY_PROPERTY);
        System.setProperty(RedisServer.BINARY_PROPERTY, "/nonexistent/redis-server");
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int code = DemoMain.run(new String[] {"--duration", "5s"}, print(out), print(new ByteArrayOutputStream()));
            assertEquals(DrillResult.EXIT_INCOMPLETE, code);
            List<String> lines = text(out).lines().toList();
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("DRILL INCOMPLETE: phase start-servers: ")),
                    text(out));
            // What could not start, and why, in plain words.
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("== the drill did not run: could not start redis-server: ")
                    && l.contains("not an executable file: /nonexistent/redis-server")), text(out));
            // A drill that never ran checked nothing: it must not claim to be clean.
            assertTrue(lines.stream().noneMatch(l -> l.contains("CLEAN")), text(out));
            assertEquals("RESULT sent=0 acked=0 lost=0 duplicates=0 order_violations=0 degrade_ms=-1 recover_ms=-1",
                    lines.get(lines.size() - 1));
        } finally {
            if (before == null) {
                System.clearProperty(RedisServer.BINARY_PROPERTY);
            } else {
                System.setProperty(RedisServer.BINARY_PROPERTY, before);
            }
        }
    }

    private static PrintStream print(ByteArrayOutputStream buffer) {
        return new PrintStream(buffer, true, StandardCharsets.UTF_8);
    }

    private static String text(ByteArrayOutputStream buffer) {
        return buffer.toString(StandardCharsets.UTF_8);
    }
}
