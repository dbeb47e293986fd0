package dev.smartmq.testkit.checker;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.TreeSet;

/**
 * An immutable snapshot of a {@link DeliveryChecker}: the producer's counts, one {@link GroupReport} per
 * consumer group, the unavailability windows and the drill's marks.
 *
 * <p>Producer quantities: <b>sent</b> = send attempts begun; <b>acked</b> = attempts the SDK acknowledged
 * ({@link #ackedViaMq()} + {@link #ackedViaFallback()}); <b>failed</b> = attempts the SDK said were not
 * stored, of which {@link #failedInvalidInput()} were bad input; <b>unknown</b> = attempts whose outcome is
 * unknown; <b>pending</b> = attempts without an outcome yet. The group quantities are described on
 * {@link GroupReport}; totals add them up over the groups.
 */
public final class CheckReport {

    private final long sent;
    private final long ackedViaMq;
    private final long ackedViaFallback;
    private final long failed;
    private final long failedInvalidInput;
    private final long unknown;
    private final long pending;
    private final List<GroupReport> groups;
    private final Map<WindowKind, WindowSummary> windows;
    private final long attemptsNotLogged;
    private final List<Mark> marks;
    private final List<String> errorSamples;
    private final int lostSampleSize;

    CheckReport(long sent, long ackedViaMq, long ackedViaFallback, long failed, long failedInvalidInput,
                long unknown, long pending, List<GroupReport> groups, Map<WindowKind, WindowSummary> windows,
                long attemptsNotLogged, List<Mark> marks, List<String> errorSamples, int lostSampleSize) {
        this.sent = sent;
        this.ackedViaMq = ackedViaMq;
        this.ackedViaFallback = ackedViaFallback;
        this.failed = failed;
        this.failedInvalidInput = failedInvalidInput;
        this.unknown = unknown;
        this.pending = pending;
        this.groups = List.copyOf(groups);
        this.windows = Collections.unmodifiableMap(new EnumMap<>(windows));
        this.attemptsNotLogged = attemptsNotLogged;
        List<Mark> sorted = new ArrayList<>(marks);
        sorted.sort((a, b) -> Long.compare(a.atMillis(), b.atMillis())); // stable: equal times keep call order
        this.marks = List.copyOf(sorted);
        this.errorSamples = List.copyOf(errorSamples);
        this.lostSampleSize = lostSampleSize;
    }

    public long sent() {
        return sent;
    }

    public long acked() {
        return ackedViaMq + ackedViaFallback;
    }

    public long ackedViaMq() {
        return ackedViaMq;
    }

    public long ackedViaFallback() {
        return ackedViaFallback;
    }

    /** Sends the SDK said were not stored, bad input included. */
    public long failed() {
        return failed;
    }

    /** The part of {@link #failed()} rejected as bad input ({@code InvalidMessageException}). */
    public long failedInvalidInput() {
        return failedInvalidInput;
    }

    public long unknown() {
        return unknown;
    }

    /** Send attempts begun without an outcome when the report was taken. */
    public long pending() {
        return pending;
    }

    /** One entry per group (expected or observed), sorted by name. */
    public List<GroupReport> groups() {
        return groups;
    }

    /** The report of {@code group}. */
    public GroupReport group(String group) {
        for (GroupReport g : groups) {
            if (g.group().equals(group)) {
                return g;
            }
        }
        throw new IllegalArgumentException("no group '" + group + "' in this report; groups are " + groupNames());
    }

    /** Lost messages over all (expected) groups; a message lost to two groups counts twice. */
    public long totalLost() {
        return groups.stream().mapToLong(GroupReport::lost).sum();
    }

    public long totalDuplicates() {
        return groups.stream().mapToLong(GroupReport::duplicates).sum();
    }

    public long totalOrderViolations() {
        return groups.stream().mapToLong(GroupReport::orderViolations).sum();
    }

    public long totalUnexpected() {
        return groups.stream().mapToLong(GroupReport::unexpected).sum();
    }

    /** A bounded, sorted sample of lost ids over all groups, for debugging. */
    public List<String> lostIds() {
        TreeSet<String> all = new TreeSet<>();
        for (GroupReport g : groups) {
            all.addAll(g.lostIds());
        }
        List<String> result = new ArrayList<>(all);
        return List.copyOf(result.subList(0, Math.min(result.size(), lostSampleSize)));
    }

    /**
     * No acknowledged message was lost. Also {@code false} if messages were acknowledged but no group was
     * there to check them against (nothing declared, nothing delivered): silence is not success.
     */
    public boolean isClean() {
        boolean checked = groups.stream().anyMatch(GroupReport::expected);
        return totalLost() == 0 && (acked() == 0 || checked);
    }

    /** The windows of {@code kind}. */
    public WindowSummary windows(WindowKind kind) {
        return windows.get(Objects.requireNonNull(kind, "kind"));
    }

    /** Send attempts past the attempt log's capacity: windows ignore them (counts do not). */
    public long attemptsNotLogged() {
        return attemptsNotLogged;
    }

    /** The marks in time order. */
    public List<Mark> marks() {
        return marks;
    }

    /** The time between each pair of consecutive marks. */
    public List<MarkInterval> markIntervals() {
        List<MarkInterval> result = new ArrayList<>();
        for (int i = 1; i < marks.size(); i++) {
            Mark a = marks.get(i - 1);
            Mark b = marks.get(i);
            result.add(new MarkInterval(a.name(), b.name(), b.atMillis() - a.atMillis()));
        }
        return List.copyOf(result);
    }

    /**
     * Milliseconds from the first mark named {@code from} to the first mark named {@code to} at or after it,
     * or empty if either is missing.
     */
    public OptionalLong millisBetween(String from, String to) {
        for (int i = 0; i < marks.size(); i++) {
            if (marks.get(i).name().equals(from)) {
                for (int j = i + 1; j < marks.size(); j++) {
                    if (marks.get(j).name().equals(to)) {
                        return OptionalLong.of(marks.get(j).atMillis() - marks.get(i).atMillis());
                    }
                }
                return OptionalLong.empty();
            }
        }
        return OptionalLong.empty();
    }

    /** The first few failure and unknown causes, as text. */
    public List<String> errorSamples() {
        return errorSamples;
    }

    /**
     * The one-line summary drills print, exactly:
     * {@code RESULT sent=<n> acked=<n> lost=<n> duplicates=<n> order_violations=<n> degrade_ms=<n> recover_ms=<n>}
     * — sent and acked are the producer's; lost, duplicates and order violations are totals over the groups.
     */
    public String resultLine(long degradeMs, long recoverMs) {
        return "RESULT sent=" + sent + " acked=" + acked() + " lost=" + totalLost() + " duplicates="
                + totalDuplicates() + " order_violations=" + totalOrderViolations() + " degrade_ms=" + degradeMs
                + " recover_ms=" + recoverMs;
    }

    /** A short human-readable table: one row per group, a total row, then producer, windows and marks. */
    public String toTable() {
        StringBuilder sb = new StringBuilder();
        String head = "%-24s %10s %10s %10s %8s %10s %8s %10s%n";
        String row = "%-24s %10d %10d %10d %8s %10d %8d %10d%n";
        sb.append(String.format(head, "group", "sent", "acked", "consumed", "lost", "duplicates", "order",
                "unexpected"));
        for (GroupReport g : groups) {
            sb.append(String.format(row, g.group(), g.sent(), g.acked(), g.consumed(),
                    g.expected() ? Long.toString(g.lost()) : "-", g.duplicates(), g.orderViolations(),
                    g.unexpected()));
        }
        sb.append(String.format(head, "TOTAL", sent, acked(), "", totalLost(), totalDuplicates(),
                totalOrderViolations(), totalUnexpected()));
        sb.append(String.format("producer: sent=%d acked=%d (mq=%d fallback=%d) failed=%d (bad input=%d) "
                        + "unknown=%d pending=%d%n", sent, acked(), ackedViaMq, ackedViaFallback, failed,
                failedInvalidInput, unknown, pending));
        for (WindowKind kind : WindowKind.values()) {
            WindowSummary w = windows.get(kind);
            sb.append(String.format("%s windows: %d, longest %d ms, total %d ms%s%n", kind.name().toLowerCase(Locale.ROOT),
                    w.count(), w.longestMillis(), w.totalMillis(), w.openAtEnd() ? " (last still open)" : ""));
        }
        for (MarkInterval m : markIntervals()) {
            sb.append(String.format("%s -> %s: %d ms%n", m.from(), m.to(), m.millis()));
        }
        if (isClean()) {
            sb.append("CLEAN: nothing lost");
        } else if (totalLost() > 0) {
            sb.append("NOT CLEAN: ").append(totalLost()).append(" lost, e.g. ").append(lostIds());
        } else {
            sb.append("NOT CLEAN: messages were acknowledged but no consumer group was expected or seen");
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return toTable();
    }

    private List<String> groupNames() {
        List<String> names = new ArrayList<>();
        for (GroupReport g : groups) {
            names.add(g.group());
        }
        return names;
    }
}
