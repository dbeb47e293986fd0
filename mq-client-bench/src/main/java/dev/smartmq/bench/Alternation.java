package dev.smartmq.bench;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * Runs the sides of a comparison alternately in one process — warm-up A, warm-up B, then rounds A B, B A,
 * A B, ... — so a drift of the machine (another build starting, the JIT, GC, page cache) and whatever the
 * first side of a round leaves for the second hit both sides alike, and reports the median of the per-round
 * ratios. Side 0 is SmartMQ; side 1 is the baseline; more sides are extra
 * references compared with side 0 the same way.
 */
final class Alternation {

    /** One side of a comparison. */
    interface Side {
        String label();

        /** Untimed set-up before each round (e.g. preload a backlog). */
        default void prepare() throws Exception {
        }

        RoundResult run(double seconds) throws Exception;
    }

    /** Runs between two rounds (not timed): e.g. empty Redis so every round starts alike. */
    interface Between {
        void run() throws Exception;
    }

    /**
     * All rounds of all sides; {@code cpuMicros} holds, per side and round, the CPU microseconds per operation
     * of our processes (this JVM with the in-JVM broker and ZooKeeper, {@code redis-server}, child tools), NaN
     * when the run had no {@link CpuMeter}.
     */
    record Outcome(List<Side> sides, List<List<RoundResult>> rounds, List<List<Double>> cpuMicros) {

        /** Median over rounds of the side's CPU microseconds per operation (NaN without a meter). */
        double medianCpuMicros(int side) {
            return median(cpuMicros.get(side).stream().mapToDouble(Double::doubleValue).filter(d -> !Double.isNaN(d))
                    .toArray());
        }

        /** Median over rounds of side's CPU per operation / reference's, paired round by round. */
        double medianCpuRatio(int side, int reference) {
            List<Double> a = cpuMicros.get(side);
            List<Double> b = cpuMicros.get(reference);
            double[] r = new double[Math.min(a.size(), b.size())];
            for (int i = 0; i < r.length; i++) {
                r[i] = b.get(i) > 0 ? a.get(i) / b.get(i) : Double.NaN;
            }
            return median(java.util.Arrays.stream(r).filter(d -> !Double.isNaN(d)).toArray());
        }

        double medianOps(int side) {
            return median(rounds.get(side).stream().mapToDouble(RoundResult::opsPerSecond).toArray());
        }

        /** Median over rounds of side / reference, paired round by round. */
        double medianRatio(int side, int reference) {
            List<RoundResult> a = rounds.get(side);
            List<RoundResult> b = rounds.get(reference);
            double[] r = new double[Math.min(a.size(), b.size())];
            for (int i = 0; i < r.length; i++) {
                r[i] = BenchLine.ratio(a.get(i).opsPerSecond(), b.get(i).opsPerSecond());
            }
            return median(r);
        }

        /** p99 over every measured round of {@code side} (merged histogram), or the median external p99. */
        double p99Millis(int side) {
            Histogram all = RoundResult.newHistogram();
            for (RoundResult r : rounds.get(side)) {
                all.add(r.latencyMicros());
            }
            if (all.getTotalCount() > 0) {
                return all.getValueAtPercentile(99) / 1000.0;
            }
            return median(rounds.get(side).stream().mapToDouble(RoundResult::p99Millis).toArray());
        }

        double p50Millis(int side) {
            Histogram all = RoundResult.newHistogram();
            for (RoundResult r : rounds.get(side)) {
                all.add(r.latencyMicros());
            }
            return all.getTotalCount() > 0 ? all.getValueAtPercentile(50) / 1000.0 : 0;
        }

        long errors(int side) {
            return rounds.get(side).stream().mapToLong(RoundResult::errors).sum();
        }

        /**
         * The BENCH line comparing side 0 with side {@code reference}; with CPU figures, it carries
         * {@code cpu_us} and {@code baseline_cpu_us} (medians of the rounds' CPU microseconds per operation) and
         * {@code cpu_ratio} (median of the per-round ratios smartmq / baseline: above 1 means SmartMQ costs more).
         */
        BenchLine line(String name, int reference) {
            BenchLine line = BenchLine.of(name, medianOps(0), medianOps(reference), medianRatio(0, reference),
                    p99Millis(0));
            double cpu = medianCpuMicros(0);
            double baseCpu = medianCpuMicros(reference);
            if (!Double.isNaN(cpu) && !Double.isNaN(baseCpu)) {
                line = line.with("cpu_us", String.format(Locale.ROOT, "%.1f", cpu))
                        .with("baseline_cpu_us", String.format(Locale.ROOT, "%.1f", baseCpu))
                        .with("cpu_ratio", String.format(Locale.ROOT, "%.3f", medianCpuRatio(0, reference)));
            }
            return line;
        }

        /** Human summary lines. */
        void printSummary(String name) {
            for (int s = 0; s < sides.size(); s++) {
                System.out.printf(Locale.ROOT, "  %s %-28s median %,10.0f ops/s  p50 %7.2f ms  p99 %7.2f ms  errors %d%n",
                        name, sides.get(s).label() + ":", medianOps(s), p50Millis(s), p99Millis(s), errors(s));
            }
            for (int s = 1; s < sides.size(); s++) {
                System.out.printf(Locale.ROOT, "  %s ratio %s / %s: median %.3f (per round %s)%n", name,
                        sides.get(0).label(), sides.get(s).label(), medianRatio(0, s), perRoundRatios(0, s));
                if (!Double.isNaN(medianCpuMicros(0))) {
                    System.out.printf(Locale.ROOT, "  %s cpu us/op %s %.1f, %s %.1f: ratio median %.3f (per round %s)%n",
                            name, sides.get(0).label(), medianCpuMicros(0), sides.get(s).label(), medianCpuMicros(s),
                            medianCpuRatio(0, s), perRoundCpu(0, s));
                }
            }
        }

        private String perRoundCpu(int side, int reference) {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < Math.min(cpuMicros.get(side).size(), cpuMicros.get(reference).size()); i++) {
                out.add(String.format(Locale.ROOT, "%.0f/%.0f", cpuMicros.get(side).get(i),
                        cpuMicros.get(reference).get(i)));
            }
            return String.join(" ", out);
        }

        private String perRoundRatios(int side, int reference) {
            List<String> out = new ArrayList<>();
            List<RoundResult> a = rounds.get(side);
            List<RoundResult> b = rounds.get(reference);
            for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
                out.add(String.format(Locale.ROOT, "%.3f", BenchLine.ratio(a.get(i).opsPerSecond(), b.get(i).opsPerSecond())));
            }
            return String.join(" ", out);
        }
    }

    private Alternation() {
    }

    static Outcome run(String name, BenchOptions options, List<Side> sides, Between between) throws Exception {
        return run(name, options, sides, between, null);
    }

    /** As above; with a {@link CpuMeter}, every round also says where its CPU went. */
    static Outcome run(String name, BenchOptions options, List<Side> sides, Between between, CpuMeter cpu)
            throws Exception {
        if (options.warmupSeconds() > 0) {
            for (Side s : sides) {
                s.prepare();
                RoundResult r = s.run(options.warmupSeconds());
                System.out.printf(Locale.ROOT, "  %s warm-up %-20s %s%n", name, s.label(), r.summary());
                between.run();
            }
        }
        List<List<RoundResult>> rounds = new ArrayList<>();
        List<List<Double>> cpuMicros = new ArrayList<>();
        sides.forEach(s -> {
            rounds.add(new ArrayList<>());
            cpuMicros.add(new ArrayList<>());
        });
        for (int round = 1; round <= options.rounds(); round++) {
            for (int k = 0; k < sides.size(); k++) {
                // A B, then B A, ...: whatever the side that runs first (or second) in a round meets — a heap
                // the other side just filled, a broker still flushing its commit log — is shared alike.
                int i = round % 2 == 1 ? k : sides.size() - 1 - k;
                Side s = sides.get(i);
                s.prepare();
                Instant start = Instant.now();
                CpuMeter.Snapshot before = cpu == null ? null : cpu.snapshot();
                RoundResult r = s.run(options.secondsPerRound());
                CpuMeter.Snapshot after = cpu == null ? null : cpu.snapshot();
                rounds.get(i).add(r);
                System.out.printf(Locale.ROOT, "  %s round %d %-20s %s [%s..%s]%n", name, round, s.label(),
                        r.summary(), start, Instant.now());
                cpuMicros.get(i).add(cpu == null ? Double.NaN : CpuMeter.microsPerOp(before, after, r.ops()));
                if (cpu != null) {
                    System.out.printf(Locale.ROOT, "  %s round %d %-20s %s%n", name, round, s.label(),
                            CpuMeter.describe(before, after, r.ops()));
                }
                between.run();
            }
        }
        return new Outcome(List.copyOf(sides), rounds, cpuMicros);
    }

    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
