package dev.smartmq.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * SmartMQ side by side with raw RocketMQ and raw Redis, in one run. Starts an embedded RocketMQ, a ZooKeeper
 * {@code TestingServer} and a {@code redis-server} child process on 127.0.0.1, runs the chosen scenarios (each
 * alternates its sides A B A B ... after a warm-up) and prints one machine-readable line per scenario:
 *
 * <pre>BENCH &lt;name&gt; smartmq=&lt;ops/s&gt; baseline=&lt;ops/s&gt; ratio=&lt;smartmq/baseline&gt; p99_ms=&lt;n&gt; [key=value ...]</pre>
 *
 * Run it with {@code ./mvnw -q -pl mq-client-bench -am exec:java -Dexec.args="--scenarios all"}; BENCHMARKS.md
 * at the repository root explains every scenario and field. This is a benchmark, not a test: it asserts
 * nothing about speed. It exits the JVM when done (exit code 0, 1 if a scenario failed, 2 for bad options).
 */
public final class BenchMain {

    private BenchMain() {
    }

    public static void main(String[] args) {
        int code = run(args);
        System.out.flush();
        // Halts the Maven JVM under exec:java too: RocketMQ and Curator leave daemon threads that would
        // otherwise keep it waiting.
        System.exit(code);
    }

    /** Runs the benchmark; returns the exit code. */
    public static int run(String... args) {
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.out.println("error: " + e.getMessage());
            System.out.println(BenchOptions.USAGE);
            return 2;
        }
        if (options == null) {
            System.out.println(BenchOptions.USAGE);
            return 0;
        }
        printMachine(options);
        List<String> lines = new ArrayList<>();
        int failures = 0;
        try (BenchEnvironment env = new BenchEnvironment()) {
            for (String scenario : options.scenarios()) {
                System.out.printf(Locale.ROOT, "%n== %s (load %s) ==%n", scenario, loadAverage());
                long t0 = System.nanoTime();
                try {
                    for (BenchLine line : runScenario(scenario, env, options)) {
                        String text = line.format();
                        System.out.println(text);
                        lines.add(text);
                    }
                } catch (Exception e) {
                    failures++;
                    System.out.println("  scenario " + scenario + " FAILED: " + e);
                    e.printStackTrace(System.out);
                } finally {
                    env.closeClients();
                }
                System.out.printf(Locale.ROOT, "  %s took %.0f s (load %s)%n", scenario,
                        (System.nanoTime() - t0) / 1e9, loadAverage());
            }
        }
        System.out.printf("%n== done (load %s): %d BENCH lines, %d failed scenarios ==%n", loadAverage(),
                lines.size(), failures);
        return failures == 0 ? 0 : 1;
    }

    static List<BenchLine> runScenario(String scenario, BenchEnvironment env, BenchOptions o) throws Exception {
        return switch (scenario) {
            case "engine" -> List.of(dev.smartmq.bench.engine.EngineBenchmark.run(Math.max(1, o.secondsPerRound() / 2)));
            case "normal-sync" -> List.of(ProducerScenarios.normalSync(env, o));
            case "normal-async" -> List.of(ProducerScenarios.normalAsync(env, o));
            case "degraded-sync" -> List.of(ProducerScenarios.degradedSync(env, o));
            case ReplicaAcksScenario.NAME -> List.of(ReplicaAcksScenario.run(env, o));
            case "degraded-vs-redis" -> RedisScenarios.degradedVsRedis(env, o);
            case "drain" -> List.of(RedisScenarios.drain(env, o));
            case "drain-3-groups" -> List.of(RedisScenarios.drain3Groups(env, o));
            case "fanout" -> List.of(FanoutScenarios.fanout(env, o));
            case "streams-vs-lists" -> StreamsVsLists.run(env, o);
            case "failover" -> List.of(FailoverScenario.run(env, o));
            case "idle" -> List.of(IdleScenario.run(env, o));
            default -> throw new IllegalArgumentException("unknown scenario " + scenario);
        };
    }

    private static void printMachine(BenchOptions o) {
        Runtime rt = Runtime.getRuntime();
        System.out.printf(Locale.ROOT, "SmartMQ benchmark %s%n", Instant.now());
        System.out.printf(Locale.ROOT, "  machine: %d CPUs, %s; java %s (%s), max heap %d MB, GC %s%n",
                rt.availableProcessors(), memory(), System.getProperty("java.version"),
                System.getProperty("java.vm.name"), rt.maxMemory() >> 20,
                ManagementFactory.getGarbageCollectorMXBeans().stream().map(g -> g.getName()).toList());
        System.out.printf(Locale.ROOT, "  load average: %s%n", loadAverage());
        System.out.printf(Locale.ROOT, "  options: scenarios=%s rounds=%d seconds-per-round=%s warmup-seconds=%s "
                        + "threads=%d inflight=%d body-size=%d idle-seconds=%d failover-rate=%d%n",
                String.join(",", o.scenarios()), o.rounds(), BenchOptions.fmt(o.secondsPerRound()),
                BenchOptions.fmt(o.warmupSeconds()), o.threads(), o.inflight(), o.bodySize(), o.idleSeconds(),
                o.failoverRate());
    }

    /** {@code /proc/loadavg}'s three averages, or the JVM's one-minute figure elsewhere. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    private static String memory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("\\D", ""));
                    return String.format(Locale.ROOT, "%.1f GB RAM", kb / 1024.0 / 1024.0);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return "RAM unknown";
    }
}
