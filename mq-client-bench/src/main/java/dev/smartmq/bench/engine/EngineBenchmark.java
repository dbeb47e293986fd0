package dev.smartmq.bench.engine;

import dev.smartmq.bench.BenchLine;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link EngineSendBenchmark} with JMH's gc profiler in one forked JVM (so the numbers are the engine's,
 * not those of a broker sharing the heap) and turns the result into
 * {@code BENCH engine ns_per_send=<n> bytes_per_send=<n> cpu_ns_per_send=<n>} (targets: at most 1,000 ns and 512
 * bytes). {@code ns_per_send} is JMH's score (wall time per call); {@code cpu_ns_per_send} the benchmark thread's
 * CPU time per call, the figure to read on a loaded machine, where the wall time includes waiting for a core.
 *
 * <p>Under {@code exec:java} the project's classes live in Maven's class loader, not on
 * {@code java.class.path}, which is what JMH hands the forked JVM; so the class path is taken from the
 * context class loader first. Thread rules: call from one thread; it blocks for the run (about
 * {@code 2 * (warmup + measurement)} seconds plus the fork's start).
 */
public final class EngineBenchmark {

    /** Target of issue 19: nanoseconds per {@code send}. */
    public static final double TARGET_NS = 1_000;
    /** Target of issue 19: bytes allocated per {@code send}. */
    public static final double TARGET_BYTES = 512;

    private EngineBenchmark() {
    }

    /** Runs both benchmarks; {@code seconds} per warm-up and per measurement iteration (3 of each). */
    public static BenchLine run(double seconds) throws RunnerException {
        useLoaderClassPath();
        Path cpuFile;
        try {
            cpuFile = Files.createTempFile("smartmq-engine-cpu", ".txt");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TimeValue t = TimeValue.milliseconds(Math.max(100, (long) (seconds * 1000)));
        ChainedOptionsBuilder b = new OptionsBuilder()
                .include(EngineSendBenchmark.class.getName() + "\\.")
                .forks(1)
                .warmupIterations(3).warmupTime(t)
                .measurementIterations(3).measurementTime(t)
                .threads(1)
                .jvmArgs("-Xmx512m", "-XX:+UseG1GC",
                        "-D" + EngineSendBenchmark.CPU_FILE_PROPERTY + "=" + cpuFile)
                .addProfiler(GCProfiler.class)
                .shouldFailOnError(true);
        Collection<RunResult> results = new Runner(b.build()).run();
        double ns = Double.NaN;
        double bytes = Double.NaN;
        double asyncNs = Double.NaN;
        double asyncBytes = Double.NaN;
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            double score = r.getPrimaryResult().getScore();
            double alloc = allocNorm(r.getSecondaryResults());
            if (name.endsWith(".send")) {
                ns = score;
                bytes = alloc;
            } else if (name.endsWith(".sendAsync")) {
                asyncNs = score;
                asyncBytes = alloc;
            }
        }
        double cpuNs = medianCpu(cpuFile, "send");
        double asyncCpuNs = medianCpu(cpuFile, "sendAsync");
        try {
            Files.deleteIfExists(cpuFile);
        } catch (IOException e) {
            System.out.println("  (could not delete " + cpuFile + ": " + e + ")");
        }
        System.out.printf(Locale.ROOT, "  engine send: %.0f ns (thread CPU %.0f ns), %.0f B allocated (targets %.0f ns, "
                + "%.0f B); sendAsync+join: %.0f ns (CPU %.0f ns), %.0f B%n", ns, cpuNs, bytes, TARGET_NS, TARGET_BYTES,
                asyncNs, asyncCpuNs, asyncBytes);
        return new BenchLine("engine", Math.rint(ns), TARGET_NS, ns / TARGET_NS, 0, Map.of())
                .with("ns_per_send", String.format(Locale.ROOT, "%.0f", ns))
                .with("bytes_per_send", String.format(Locale.ROOT, "%.0f", bytes))
                .with("cpu_ns_per_send", String.format(Locale.ROOT, "%.0f", cpuNs))
                .with("async_ns_per_send", String.format(Locale.ROOT, "%.0f", asyncNs))
                .with("async_bytes_per_send", String.format(Locale.ROOT, "%.0f", asyncBytes))
                .with("async_cpu_ns_per_send", String.format(Locale.ROOT, "%.0f", asyncCpuNs));
    }

    /** Median of the fork's per-iteration thread-CPU nanoseconds per call of {@code benchmark}; NaN if none. */
    static double medianCpu(Path file, String benchmark) {
        List<Double> values = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file)) {
                String[] f = line.trim().split(" ");
                if (f.length == 2 && f[0].equals(benchmark)) {
                    values.add(Double.parseDouble(f[1]));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Double.NaN;
        }
        if (values.isEmpty()) {
            return Double.NaN;
        }
        values.sort(null);
        int n = values.size();
        return n % 2 == 1 ? values.get(n / 2) : (values.get(n / 2 - 1) + values.get(n / 2)) / 2;
    }

    private static double allocNorm(Map<String, Result> secondary) {
        for (Map.Entry<String, Result> e : secondary.entrySet()) {
            if (e.getKey().endsWith("gc.alloc.rate.norm")) {
                return e.getValue().getScore();
            }
        }
        return Double.NaN;
    }

    /** Puts the context class loader's URLs on {@code java.class.path} for JMH's fork (exec:java). */
    private static void useLoaderClassPath() {
        List<String> entries = new ArrayList<>();
        for (ClassLoader cl = Thread.currentThread().getContextClassLoader(); cl != null; cl = cl.getParent()) {
            if (cl instanceof URLClassLoader u) {
                for (URL url : u.getURLs()) {
                    try {
                        entries.add(Path.of(url.toURI()).toString());
                    } catch (URISyntaxException | IllegalArgumentException e) {
                        entries.add(url.getPath());
                    }
                }
            }
        }
        if (entries.stream().anyMatch(e -> e.contains("jmh-core"))) {
            System.setProperty("java.class.path", String.join(File.pathSeparator, entries));
        }
    }

    /** Runs the benchmark alone: {@code java -cp ... dev.smartmq.bench.engine.EngineBenchmark [seconds]}. */
    public static void main(String[] args) throws RunnerException {
        System.out.println(run(args.length > 0 ? Double.parseDouble(args[0]) : 2).format());
    }
}
