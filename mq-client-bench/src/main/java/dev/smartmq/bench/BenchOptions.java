package dev.smartmq.bench;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Command-line options of {@link BenchMain}, parsed by picocli (as the admin tool's are). Immutable;
 * {@link #parse(String...)} validates every value and names the option and the bad value.
 *
 * @param scenarios        scenarios to run, in the order of {@link #ALL_SCENARIOS}
 * @param rounds           measured rounds per side (A B A B ...)
 * @param secondsPerRound  length of one measured round
 * @param warmupSeconds    length of the warm-up round of each side (not measured; 0 for none)
 * @param threads          producer threads (sync), submitter threads (async), consumer workers (drain)
 * @param inflight         bound on async sends in flight (both sides)
 * @param bodySize         message body size in bytes
 * @param idleSeconds      measuring window of the idle scenario (at least 30 s for the report)
 * @param failoverRate     messages per second of the failover scenario
 */
public record BenchOptions(List<String> scenarios, int rounds, double secondsPerRound, double warmupSeconds,
                           int threads, int inflight, int bodySize, int idleSeconds, int failoverRate) {

    /**
     * Every scenario, in the order they run. {@code engine} (JMH, no servers) runs first, before any server
     * starts in this JVM.
     */
    public static final List<String> ALL_SCENARIOS;

    /** {@link #ALL_SCENARIOS} as one comma-separated constant (for the usage text). */
    static final String SCENARIO_NAMES = "engine,normal-sync,normal-async,degraded-sync,degraded-sync-replica-acks,"
            + "fanout,degraded-vs-redis,drain,drain-3-groups,streams-vs-lists,failover,idle";

    static {
        ALL_SCENARIOS = List.of(SCENARIO_NAMES.split(","));
    }

    public static final int DEFAULT_ROUNDS = 5;
    public static final double DEFAULT_SECONDS_PER_ROUND = 5;
    /** Warm-up per side: the JIT of client and broker (same JVM) needs this much before rounds are stable. */
    public static final double DEFAULT_WARMUP_SECONDS = 10;
    public static final int DEFAULT_THREADS = 8;
    public static final int DEFAULT_INFLIGHT = 256;
    public static final int DEFAULT_BODY_SIZE = 1024;
    public static final int DEFAULT_IDLE_SECONDS = 60;
    public static final int DEFAULT_FAILOVER_RATE = 1000;

    /** The usage text. */
    public static final String USAGE = usage();

    public BenchOptions {
        scenarios = List.copyOf(scenarios);
    }

    /** The defaults with every scenario. */
    public static BenchOptions defaults() {
        return parse();
    }

    /** These options with another warm-up length (a scenario that does its own warm-up passes 0). */
    public BenchOptions withWarmupSeconds(double seconds) {
        return new BenchOptions(scenarios, rounds, secondsPerRound, seconds, threads, inflight, bodySize,
                idleSeconds, failoverRate);
    }

    /**
     * Parses {@code args}; {@code --help} yields {@code null}. Arguments may come as one blank-separated string
     * (as {@code exec:java} hands {@code -Dexec.args} over on some shells).
     *
     * @throws IllegalArgumentException naming the option and the bad value
     */
    public static BenchOptions parse(String... args) {
        List<String> list = new ArrayList<>();
        for (String a : args) {
            for (String part : a.trim().split("\\s+")) {
                if (!part.isEmpty()) {
                    list.add(part);
                }
            }
        }
        Model command = new Model();
        CommandLine cl = new CommandLine(command);
        try {
            cl.parseArgs(list.toArray(new String[0]));
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (cl.isUsageHelpRequested()) {
            return null;
        }
        return new BenchOptions(scenarios(command.scenarios),
                intIn("--rounds", command.rounds, 1, 1000),
                doubleIn("--seconds-per-round", command.secondsPerRound, 0.1, 3600),
                doubleIn("--warmup-seconds", command.warmupSeconds, 0, 3600),
                intIn("--threads", command.threads, 1, 256),
                intIn("--inflight", command.inflight, 1, 100_000),
                intIn("--body-size", command.bodySize, 1, 4 * 1024 * 1024),
                intIn("--idle-seconds", command.idleSeconds, 1, 3600),
                intIn("--failover-rate", command.failoverRate, 1, 1_000_000));
    }

    /** The picocli model: plain fields, copied into the record by {@link #parse}. */
    @Command(name = "BenchMain", description = "SmartMQ side by side with raw RocketMQ and raw Redis, in one run.")
    static final class Model {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
        boolean help;

        @Option(names = "--scenarios", paramLabel = "<list>", defaultValue = "all",
                description = "all, or a comma-separated list of: " + SCENARIO_NAMES)
        String scenarios;

        @Option(names = "--rounds", paramLabel = "<n>", defaultValue = "" + DEFAULT_ROUNDS,
                description = "Measured rounds per side, alternating A B, B A, ... (default ${DEFAULT-VALUE}).")
        int rounds;

        @Option(names = "--seconds-per-round", paramLabel = "<s>", defaultValue = "" + DEFAULT_SECONDS_PER_ROUND,
                description = "Length of one measured round (default ${DEFAULT-VALUE}).")
        double secondsPerRound;

        @Option(names = "--warmup-seconds", paramLabel = "<s>", defaultValue = "" + DEFAULT_WARMUP_SECONDS,
                description = "Warm-up per side before the rounds (default ${DEFAULT-VALUE}).")
        double warmupSeconds;

        @Option(names = "--threads", paramLabel = "<n>", defaultValue = "" + DEFAULT_THREADS,
                description = "Sender threads / consumer workers (default ${DEFAULT-VALUE}).")
        int threads;

        @Option(names = "--inflight", paramLabel = "<n>", defaultValue = "" + DEFAULT_INFLIGHT,
                description = "Async sends in flight, both sides (default ${DEFAULT-VALUE}).")
        int inflight;

        @Option(names = "--body-size", paramLabel = "<bytes>", defaultValue = "" + DEFAULT_BODY_SIZE,
                description = "Message body size (default ${DEFAULT-VALUE}).")
        int bodySize;

        @Option(names = "--idle-seconds", paramLabel = "<s>", defaultValue = "" + DEFAULT_IDLE_SECONDS,
                description = "Idle measuring window (default ${DEFAULT-VALUE}).")
        int idleSeconds;

        @Option(names = "--failover-rate", paramLabel = "<msg/s>", defaultValue = "" + DEFAULT_FAILOVER_RATE,
                description = "Send rate of the failover scenario (default ${DEFAULT-VALUE}).")
        int failoverRate;
    }

    private static String usage() {
        StringWriter out = new StringWriter();
        new CommandLine(new Model()).usage(new PrintWriter(out));
        return out.toString();
    }

    private static List<String> scenarios(String value) {
        if (value.equals("all")) {
            return ALL_SCENARIOS;
        }
        Set<String> wanted = new LinkedHashSet<>();
        for (String s : value.split(",")) {
            String name = s.trim();
            if (name.isEmpty()) {
                continue;
            }
            if (!ALL_SCENARIOS.contains(name)) {
                throw new IllegalArgumentException("--scenarios: unknown scenario '" + name + "' (known: "
                        + String.join(",", ALL_SCENARIOS) + ", all)");
            }
            wanted.add(name);
        }
        if (wanted.isEmpty()) {
            throw new IllegalArgumentException("--scenarios must name at least one scenario, but was '" + value + "'");
        }
        // Run in the canonical order whatever order they were given in.
        return ALL_SCENARIOS.stream().filter(wanted::contains).toList();
    }

    private static int intIn(String opt, int v, int min, int max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(opt + " must be between " + min + " and " + max + ", but was " + v);
        }
        return v;
    }

    private static double doubleIn(String opt, double v, double min, double max) {
        if (!(v >= min && v <= max)) {
            throw new IllegalArgumentException(opt + " must be between " + fmt(min) + " and " + fmt(max)
                    + ", but was " + fmt(v));
        }
        return v;
    }

    static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
