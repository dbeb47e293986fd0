package dev.smartmq.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Command-line options of {@link BenchMain}. Immutable; {@link #parse(String...)} validates every value and
 * names the option and the bad value.
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

    /** Every scenario, in the order they run. */
    public static final List<String> ALL_SCENARIOS = List.of("normal-sync", "normal-async", "degraded-sync",
            "degraded-sync-replica-acks",
            "degraded-vs-redis", "drain", "failover", "idle");

    public static final int DEFAULT_ROUNDS = 5;
    public static final double DEFAULT_SECONDS_PER_ROUND = 5;
    /** Warm-up per side: the JIT of client and broker (same JVM) needs this much before rounds are stable. */
    public static final double DEFAULT_WARMUP_SECONDS = 10;
    public static final int DEFAULT_THREADS = 8;
    public static final int DEFAULT_INFLIGHT = 256;
    public static final int DEFAULT_BODY_SIZE = 1024;
    public static final int DEFAULT_IDLE_SECONDS = 60;
    public static final int DEFAULT_FAILOVER_RATE = 1000;

    public static final String USAGE = """
            Usage: BenchMain [options]
              --scenarios <list>          all, or a comma-separated list of: %s
              --rounds <n>                measured rounds per side, alternating A B A B (default %d)
              --seconds-per-round <s>     length of one measured round (default %s)
              --warmup-seconds <s>        warm-up per side before the rounds (default %s)
              --threads <n>               sender threads / consumer workers (default %d)
              --inflight <n>              async sends in flight, both sides (default %d)
              --body-size <bytes>         message body size (default %d)
              --idle-seconds <s>          idle measuring window (default %d)
              --failover-rate <msg/s>     send rate of the failover scenario (default %d)
              --help
            """.formatted(String.join(",", ALL_SCENARIOS), DEFAULT_ROUNDS, fmt(DEFAULT_SECONDS_PER_ROUND),
            fmt(DEFAULT_WARMUP_SECONDS), DEFAULT_THREADS, DEFAULT_INFLIGHT, DEFAULT_BODY_SIZE, DEFAULT_IDLE_SECONDS, DEFAULT_FAILOVER_RATE);

    public BenchOptions {
        scenarios = List.copyOf(scenarios);
    }

    /** The defaults with every scenario. */
    public static BenchOptions defaults() {
        return parse();
    }

    /**
     * Parses {@code args}; {@code --help} yields {@code null}.
     *
     * @throws IllegalArgumentException naming the option and the bad value
     */
    public static BenchOptions parse(String... args) {
        List<String> scenarios = ALL_SCENARIOS;
        int rounds = DEFAULT_ROUNDS;
        double seconds = DEFAULT_SECONDS_PER_ROUND;
        double warmup = DEFAULT_WARMUP_SECONDS;
        int threads = DEFAULT_THREADS;
        int inflight = DEFAULT_INFLIGHT;
        int bodySize = DEFAULT_BODY_SIZE;
        int idleSeconds = DEFAULT_IDLE_SECONDS;
        int failoverRate = DEFAULT_FAILOVER_RATE;
        List<String> list = new ArrayList<>();
        for (String a : args) {
            // exec:java passes -Dexec.args as one string on some shells; split on blanks either way.
            for (String part : a.trim().split("\\s+")) {
                if (!part.isEmpty()) {
                    list.add(part);
                }
            }
        }
        for (int i = 0; i < list.size(); i++) {
            String opt = list.get(i);
            String value = null;
            int eq = opt.indexOf('=');
            if (opt.startsWith("--") && eq > 0) {
                value = opt.substring(eq + 1);
                opt = opt.substring(0, eq);
            }
            if (opt.equals("--help") || opt.equals("-h")) {
                return null;
            }
            if (value == null) {
                if (i + 1 >= list.size()) {
                    throw new IllegalArgumentException(opt + " needs a value");
                }
                value = list.get(++i);
            }
            switch (opt) {
                case "--scenarios" -> scenarios = scenarios(value);
                case "--rounds" -> rounds = intIn(opt, value, 1, 1000);
                case "--seconds-per-round" -> seconds = doubleIn(opt, value, 0.1, 3600);
                case "--warmup-seconds" -> warmup = doubleIn(opt, value, 0, 3600);
                case "--threads" -> threads = intIn(opt, value, 1, 256);
                case "--inflight" -> inflight = intIn(opt, value, 1, 100_000);
                case "--body-size" -> bodySize = intIn(opt, value, 1, 4 * 1024 * 1024);
                case "--idle-seconds" -> idleSeconds = intIn(opt, value, 1, 3600);
                case "--failover-rate" -> failoverRate = intIn(opt, value, 1, 1_000_000);
                default -> throw new IllegalArgumentException("unknown option " + opt + "\n" + USAGE);
            }
        }
        return new BenchOptions(scenarios, rounds, seconds, warmup, threads, inflight,
                bodySize, idleSeconds, failoverRate);
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

    private static int intIn(String opt, String value, int min, int max) {
        int v;
        try {
            v = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " must be an integer, but was '" + value + "'");
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException(opt + " must be between " + min + " and " + max + ", but was " + v);
        }
        return v;
    }

    private static double doubleIn(String opt, String value, double min, double max) {
        double v;
        try {
            v = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " must be a number, but was '" + value + "'");
        }
        if (!(v >= min && v <= max)) {
            throw new IllegalArgumentException(opt + " must be between " + fmt(min) + " and " + fmt(max)
                    + ", but was " + value);
        }
        return v;
    }

    static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
