package dev.smartmq.bench;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Where the CPU of a round went, from Linux accounting: this JVM (load generator, SmartMQ or the raw client,
 * and the in-JVM broker and ZooKeeper), the {@code redis-server} child, finished child processes of this JVM
 * ({@code redis-benchmark}), and the whole machine (every process, other people's builds included). On a
 * 2-core machine that is what tells whether a number is limited by CPU or by round trips. Outside Linux the
 * figures are NaN.
 */
final class CpuMeter {

    /** CPU seconds at one instant. */
    record Snapshot(long wallNanos, double jvm, double redis, double children, double machineBusy, double machineTotal) {
    }

    private static final double TICKS_PER_SECOND = 100; // USER_HZ on Linux
    private final LongSupplier redisPid;

    /** {@code redisPid} returns the redis-server pid, or -1 when none runs. */
    CpuMeter(LongSupplier redisPid) {
        this.redisPid = redisPid;
    }

    Snapshot snapshot() {
        double jvm = Double.NaN;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
            jvm = os.getProcessCpuTime() / 1e9;
        }
        double[] self = procStat("self");
        long pid = redisPid.getAsLong();
        double[] redis = pid > 0 ? procStat(Long.toString(pid)) : null;
        double[] machine = machine();
        return new Snapshot(System.nanoTime(), jvm, redis == null ? Double.NaN : redis[0] + redis[1],
                self == null ? Double.NaN : self[2] + self[3], machine[0], machine[1]);
    }

    /** One line: CPU seconds and microseconds per operation of each part, and how busy the machine was. */
    static String describe(Snapshot a, Snapshot b, long ops) {
        double wall = (b.wallNanos() - a.wallNanos()) / 1e9;
        double jvm = b.jvm() - a.jvm();
        double redis = b.redis() - a.redis();
        double tool = b.children() - a.children();
        double busy = b.machineBusy() - a.machineBusy();
        double total = b.machineTotal() - a.machineTotal();
        int cpus = Runtime.getRuntime().availableProcessors();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "cpu: jvm %.2f s (%.0f us/op), redis-server %.2f s (%.0f us/op)", jvm, perOp(jvm, ops), redis,
                perOp(redis, ops)));
        if (tool > 0.005) {
            sb.append(String.format(Locale.ROOT, ", redis-benchmark %.2f s (%.0f us/op)", tool, perOp(tool, ops)));
        }
        sb.append(String.format(Locale.ROOT, "; machine %.0f%% busy of %d cores, of which ours %.0f%%",
                total > 0 ? 100 * busy / total : Double.NaN, cpus,
                100 * (jvm + (Double.isNaN(redis) ? 0 : redis) + tool) / (wall * cpus)));
        return sb.toString();
    }

    /**
     * CPU microseconds per operation of our processes between two snapshots: this JVM (load generator, client,
     * in-JVM broker and ZooKeeper) + {@code redis-server} + finished child tools; NaN without figures.
     */
    static double microsPerOp(Snapshot a, Snapshot b, long ops) {
        double jvm = b.jvm() - a.jvm();
        double redis = b.redis() - a.redis();
        double tool = b.children() - a.children();
        if (Double.isNaN(jvm)) {
            return Double.NaN;
        }
        return perOp(jvm + (Double.isNaN(redis) ? 0 : redis) + (Double.isNaN(tool) ? 0 : tool), ops);
    }

    private static double perOp(double seconds, long ops) {
        return ops > 0 ? seconds * 1e6 / ops : Double.NaN;
    }

    /** utime, stime, cutime, cstime of /proc/<pid>/stat, in seconds; null if unreadable. */
    private static double[] procStat(String pid) {
        try {
            String s = Files.readString(Path.of("/proc", pid, "stat"));
            // The command name (field 2) may contain blanks: parse after its closing parenthesis.
            String[] f = s.substring(s.lastIndexOf(')') + 2).trim().split("\\s+");
            // f[0] is field 3 (state); utime is field 14 -> f[11]
            return new double[] {Long.parseLong(f[11]) / TICKS_PER_SECOND, Long.parseLong(f[12]) / TICKS_PER_SECOND,
                    Long.parseLong(f[13]) / TICKS_PER_SECOND, Long.parseLong(f[14]) / TICKS_PER_SECOND};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Busy and total jiffies of the whole machine (first line of /proc/stat). */
    private static double[] machine() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            double total = 0;
            double idle = 0;
            for (int i = 1; i < f.length; i++) {
                double v = Double.parseDouble(f[i]);
                total += v;
                if (i == 4 || i == 5) { // idle, iowait
                    idle += v;
                }
            }
            return new double[] {total - idle, total};
        } catch (IOException | RuntimeException e) {
            return new double[] {Double.NaN, Double.NaN};
        }
    }
}
