package dev.smartmq.bench;

import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * One measured round of one side: operations completed inside the window, errors, the window length and
 * the latency histogram (microseconds; empty when the side reports no per-operation latency, e.g. an
 * external tool).
 */
public record RoundResult(long ops, long errors, double seconds, Histogram latencyMicros, double externalP99Millis) {

    /** Highest latency the histograms track: one minute, in microseconds. */
    public static final long MAX_LATENCY_MICROS = 60_000_000L;

    public static Histogram newHistogram() {
        return new Histogram(1, MAX_LATENCY_MICROS, 3);
    }

    /** A round measured here, with per-operation latencies. */
    public static RoundResult measured(long ops, long errors, double seconds, Histogram latencyMicros) {
        return new RoundResult(ops, errors, seconds, latencyMicros, Double.NaN);
    }

    /** A round measured by an external tool that reports its own p99 (NaN if unknown). */
    public static RoundResult external(long ops, double seconds, double p99Millis) {
        return new RoundResult(ops, 0, seconds, newHistogram(), p99Millis);
    }

    public double opsPerSecond() {
        return seconds > 0 ? ops / seconds : 0;
    }

    public double p50Millis() {
        return percentileMillis(50);
    }

    /** p99 in ms: measured, or the external tool's, or 0 when the side has no per-operation latency. */
    public double p99Millis() {
        if (!Double.isNaN(externalP99Millis)) {
            return externalP99Millis;
        }
        double p = percentileMillis(99);
        return Double.isNaN(p) ? 0 : p;
    }

    public double percentileMillis(double p) {
        return latencyMicros.getTotalCount() == 0 ? Double.NaN : latencyMicros.getValueAtPercentile(p) / 1000.0;
    }

    public double maxMillis() {
        return latencyMicros.getTotalCount() == 0 ? Double.NaN : latencyMicros.getMaxValue() / 1000.0;
    }

    /** A short human summary. */
    public String summary() {
        if (latencyMicros.getTotalCount() == 0) {
            return String.format(Locale.ROOT, "%,.0f ops/s (%,d in %.2f s%s)", opsPerSecond(), ops, seconds,
                    Double.isNaN(externalP99Millis) ? "" : String.format(Locale.ROOT, ", p99 %.2f ms", externalP99Millis));
        }
        return String.format(Locale.ROOT, "%,.0f ops/s (%,d in %.2f s, errors %d) p50 %.2f ms p99 %.2f ms max %.1f ms",
                opsPerSecond(), ops, seconds, errors, p50Millis(), p99Millis(), maxMillis());
    }
}
