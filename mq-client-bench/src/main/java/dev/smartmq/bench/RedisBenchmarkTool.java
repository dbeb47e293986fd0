package dev.smartmq.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code redis-benchmark} as a child process ({@code --csv}) and parses its requests per second and p99.
 * A JVM shutdown hook kills a run that is still going when the JVM exits; nothing else is ever signalled.
 */
final class RedisBenchmarkTool {

    /** What one run measured. */
    record Run(long requests, double rps, double p99Millis, double seconds) {
    }

    private final String binary;
    private final Set<Process> running = ConcurrentHashMap.newKeySet();

    RedisBenchmarkTool() {
        this.binary = locate();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> running.forEach(Process::destroyForcibly),
                "bench-redis-benchmark-reaper"));
    }

    String binary() {
        return binary;
    }

    /** {@code redis-benchmark -t lpush -d <size> -c <clients> -n <requests> [-P <pipeline>] --csv}. */
    Run lpush(String host, int port, int clients, long requests, int dataSize, int pipeline)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(binary, "-h", host, "-p", Integer.toString(port),
                "-c", Integer.toString(clients), "-n", Long.toString(requests), "-d", Integer.toString(dataSize),
                "-t", "lpush", "--csv"));
        if (pipeline > 1) {
            cmd.add("-P");
            cmd.add(Integer.toString(pipeline));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        long t0 = System.nanoTime();
        Process p = pb.start();
        running.add(p);
        String output;
        try {
            output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("redis-benchmark did not finish in 10 minutes");
            }
        } finally {
            running.remove(p);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (p.exitValue() != 0) {
            throw new IllegalStateException("redis-benchmark exited with " + p.exitValue() + ": " + output);
        }
        return parse(output, requests, seconds);
    }

    /** Parses the {@code --csv} output: a header line, then {@code "LPUSH","<rps>",...}. */
    static Run parse(String csv, long requests, double seconds) {
        String[] header = null;
        for (String line : csv.split("\\R")) {
            String[] cells = line.trim().replace("\"", "").split(",");
            if (cells.length < 2) {
                continue;
            }
            if (cells[0].equals("test")) {
                header = cells;
            } else if (cells[0].startsWith("LPUSH")) {
                double rps = Double.parseDouble(cells[1]);
                double p99 = Double.NaN;
                if (header != null) {
                    for (int i = 0; i < header.length && i < cells.length; i++) {
                        if (header[i].equals("p99_latency_ms")) {
                            p99 = Double.parseDouble(cells[i]);
                        }
                    }
                }
                return new Run(requests, rps, p99, seconds);
            }
        }
        throw new IllegalStateException("no LPUSH result in redis-benchmark output: " + csv);
    }

    private static String locate() {
        String server = System.getProperty("smartmq.redis.server", System.getenv("SMARTMQ_REDIS_SERVER"));
        if (server != null) {
            Path sibling = Path.of(server).resolveSibling("redis-benchmark");
            if (Files.isExecutable(sibling)) {
                return sibling.toString();
            }
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                Path candidate = Path.of(dir, "redis-benchmark");
                if (Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
        }
        throw new IllegalStateException("redis-benchmark not found on the PATH (it comes with redis-server)");
    }
}
