package dev.smartmq.admin;

import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchStatus;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How results look: JSON documents (maps, stable field names) and human tables. */
final class Views {

    private Views() {
    }

    /** The switch document as JSON fields. Instants are ISO-8601 strings, absent ones {@code null}. */
    static Map<String, Object> status(SwitchStatus s, Instant now) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", s.state().name());
        m.put("mode", s.mode().name());
        m.put("reason", s.reason());
        m.put("changedBy", s.changedBy());
        m.put("changedAt", s.epoch() == 0 ? null : s.changedAt().toString());
        m.put("expiresAt", s.expiresAt() == null ? null : s.expiresAt().toString());
        m.put("epoch", s.epoch());
        m.put("manualExpired", s.mode() == SwitchMode.MANUAL && s.expiresAt() != null && !now.isBefore(s.expiresAt()));
        return m;
    }

    /** {@code 2026-11-21T19:40:00Z (5m 3s ago)}. */
    static String when(Instant t, Instant now) {
        if (t == null) {
            return "-";
        }
        Duration d = Duration.between(now, t);
        String rel = d.isNegative() ? Durations.format(d.negated()) + " ago" : "in " + Durations.format(d);
        return t + " (" + rel + ")";
    }

    static void printStatus(PrintWriter out, String namespace, SwitchStatus s, Instant now, Map<String, Object> extra) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"namespace", namespace});
        rows.add(new String[] {"state", s.state().name()});
        rows.add(new String[] {"mode", s.mode().name()});
        rows.add(new String[] {"reason", s.reason().isEmpty() ? "-" : s.reason()});
        rows.add(new String[] {"changedBy", s.changedBy().isEmpty() ? "-" : s.changedBy()});
        rows.add(new String[] {"changedAt", s.epoch() == 0 ? "-" : when(s.changedAt(), now)});
        String expires = when(s.expiresAt(), now);
        if (s.mode() == SwitchMode.MANUAL && s.expiresAt() != null && !now.isBefore(s.expiresAt())) {
            expires += "  EXPIRED: the SDK leader hands it back to AUTO";
        }
        rows.add(new String[] {"expiresAt", expires});
        rows.add(new String[] {"epoch", Long.toString(s.epoch())});
        extra.forEach((k, v) -> rows.add(new String[] {k, String.valueOf(v)}));
        printKeyValues(out, rows);
    }

    static void printKeyValues(PrintWriter out, List<String[]> rows) {
        int w = 0;
        for (String[] r : rows) {
            w = Math.max(w, r[0].length());
        }
        for (String[] r : rows) {
            out.println(pad(r[0], w) + "  " + r[1]);
        }
    }

    /** A left-aligned table with a header row. */
    static void printTable(PrintWriter out, List<String> header, List<List<String>> rows) {
        int[] w = new int[header.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = header.get(i).length();
        }
        for (List<String> r : rows) {
            for (int i = 0; i < w.length; i++) {
                w[i] = Math.max(w[i], r.get(i).length());
            }
        }
        out.println(line(header, w));
        for (List<String> r : rows) {
            out.println(line(r, w));
        }
    }

    private static String line(List<String> cells, int[] w) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < w.length; i++) {
            b.append(i == w.length - 1 ? cells.get(i) : pad(cells.get(i), w[i]) + "  ");
        }
        return b.toString().stripTrailing();
    }

    private static String pad(String s, int w) {
        return s.length() >= w ? s : s + " ".repeat(w - s.length());
    }

    /** Text for a table cell: one line, at most {@code max} characters. */
    static String cell(String s, int max) {
        if (s == null || s.isEmpty()) {
            return "-";
        }
        String one = s.replaceAll("[\\r\\n\\t]+", " ");
        return one.length() <= max ? one : one.substring(0, max - 3) + "...";
    }
}
