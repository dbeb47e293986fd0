package dev.smartmq.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Runs smartmq-admin in-process with a controlled environment and captures its output and exit code. */
final class AdminRunner {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, String> env = new HashMap<>();

    AdminRunner() {
        env.put("USER", "tester");
    }

    AdminRunner env(String name, String value) {
        env.put(name, value);
        return this;
    }

    Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        AdminEnvironment e = new AdminEnvironment(env::get, Clock.systemUTC(), "testhost");
        long t0 = System.nanoTime();
        int code = SmartMQAdmin.run(e, new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString(), Duration.ofNanos(System.nanoTime() - t0));
    }

    record Result(int exitCode, String out, String err, Duration elapsed) {
        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (IOException e) {
                throw new UncheckedIOException("stdout is not JSON: " + out + "\nstderr: " + err, e);
            }
        }

        @Override
        public String toString() {
            return "exit " + exitCode + " after " + elapsed.toMillis() + " ms\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }
}
