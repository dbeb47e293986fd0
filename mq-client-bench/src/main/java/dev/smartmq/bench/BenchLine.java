package dev.smartmq.bench;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The one machine-readable line a scenario prints:
 * {@code BENCH <name> smartmq=<ops/s> baseline=<ops/s> ratio=<smartmq/baseline> p99_ms=<n>}, optionally
 * followed by extra {@code key=value} fields (scenarios whose four fields mean something else say so in
 * their extras and in BENCHMARKS.md). Numbers use a dot as decimal separator whatever the locale.
 */
public record BenchLine(String name, double smartmq, double baseline, double ratio, double p99Millis,
                        Map<String, String> extras) {

    public BenchLine {
        if (name == null || name.isBlank() || name.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("name must be one word, but was '" + name + "'");
        }
        extras = Collections.unmodifiableMap(new LinkedHashMap<>(extras));
    }

    /** A throughput comparison: ratio = smartmq / baseline (0 when the baseline is 0). */
    public static BenchLine of(String name, double smartmq, double baseline, double ratio, double p99Millis) {
        return new BenchLine(name, smartmq, baseline, ratio, p99Millis, Map.of());
    }

    /** This line with an extra {@code key=value} field appended (value must be one word). */
    public BenchLine with(String key, Object value) {
        String v = String.valueOf(value);
        if (key.isBlank() || key.chars().anyMatch(Character::isWhitespace) || v.isEmpty()
                || v.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("extra field must be key=value without blanks, but was '"
                    + key + "=" + v + "'");
        }
        LinkedHashMap<String, String> more = new LinkedHashMap<>(extras);
        more.put(key, v);
        return new BenchLine(name, smartmq, baseline, ratio, p99Millis, more);
    }

    /** Formats the line. */
    public String format() {
        StringBuilder sb = new StringBuilder("BENCH ").append(name)
                .append(" smartmq=").append(number(smartmq))
                .append(" baseline=").append(number(baseline))
                .append(" ratio=").append(String.format(Locale.ROOT, "%.3f", ratio))
                .append(" p99_ms=").append(String.format(Locale.ROOT, "%.2f", p99Millis));
        extras.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        return sb.toString();
    }

    /** Ops/s and milliseconds: integers when large, one decimal below 100. */
    static String number(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "NaN";
        }
        return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    /** smartmq / baseline, or 0 when the baseline is not positive. */
    public static double ratio(double smartmq, double baseline) {
        return baseline > 0 ? smartmq / baseline : 0;
    }
}
