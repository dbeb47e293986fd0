package dev.smartmq.chaos.campaign;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Every operation of a campaign as the client processes recorded it ({@link HistoryWriter} files, one per
 * process, all incarnations of the process appended), parsed into events. The checkers judge this, never
 * counters.
 *
 * <p>Event lines ({@code time TAB TYPE TAB fields}):
 * <ul>
 *   <li>{@code START pid role [group]} — an incarnation of the process began;</li>
 *   <li>producer: {@code INVOKE cid key mode} before {@code send}/{@code sendAsync} is called (key {@code -} for
 *       keyless; mode {@code sync|async} + {@code -keyed|-keyless}), {@code OK cid route messageId latencyMs} after
 *       it returned a receipt (the only thing that makes a message acknowledged), {@code FAIL cid exception
 *       latencyMs detail} after it threw;</li>
 *   <li>consumer: {@code BEGIN group cid route attempt messageId} when the handler is entered, {@code DONE group
 *       cid} right before it returns {@code SUCCESS};</li>
 *   <li>consumer: {@code SUBSCRIBED group} once {@code subscribe} returned (the group is registered from then on);</li>
 *   <li>{@code LEADER 1|0} when the instance's {@code isLeader()} changed (polled every few milliseconds);</li>
 *   <li>{@code CLOSED} after a graceful close; {@code LEFT_BEHIND threads} if the JVM did not exit after it.</li>
 * </ul>
 *
 * <p>Immutable once built; not thread-safe while {@link Builder#add} is called.
 */
final class History {

    /** One line of one process's history. {@code seq} is the global line order of the parse (ties: file order). */
    record Event(String process, long pid, long time, String type, List<String> fields, long seq) {
        String field(int i) {
            return i < fields.size() ? fields.get(i) : "";
        }
    }

    /**
     * One send as the producer saw it. {@code outcome} is OK, FAIL or null (no outcome recorded). {@code okSeq}
     * orders the OK events of the whole history; {@code invokeLine} and {@code outcomeLine} are the positions of
     * the INVOKE and the outcome line in the parse (file order within a process: comparable for one sender).
     */
    record Send(String cid, String process, long pid, String key, String mode, long invokedAt, String outcome,
                String route, long completedAt, long latencyMs, String detail, long okSeq, long invokeLine,
                long outcomeLine) {
        boolean acked() {
            return "OK".equals(outcome);
        }

        boolean keyed() {
            return !"-".equals(key);
        }

        boolean sync() {
            return mode.startsWith("sync");
        }
    }

    /** One handler invocation. {@code done} whether the handler completed (recorded DONE). */
    record Delivery(String group, String cid, String process, long pid, long time, String route, int attempt,
                    boolean done, long seq) {
    }

    /**
     * One incarnation (one JVM) of a client process. {@code group} is a consumer's group ("-" for a producer);
     * {@code subscribedAt} when its subscribe returned (0: never).
     */
    record Incarnation(String process, long pid, String role, String group, long startedAt, long lastEventAt,
                       boolean closed, String leftBehind, long subscribedAt) {
    }

    /** An instance's {@code isLeader()} changed to {@code leader} at {@code time} (its own clock). */
    record LeaderChange(String process, long pid, long time, boolean leader) {
    }

    private final Map<String, Send> sends;
    private final Map<String, Map<String, List<Delivery>>> deliveriesByGroup;
    private final List<Incarnation> incarnations;
    private final List<LeaderChange> leaderChanges;

    private History(Map<String, Send> sends, Map<String, Map<String, List<Delivery>>> deliveries,
                    List<Incarnation> incarnations, List<LeaderChange> leaderChanges) {
        this.sends = sends;
        this.deliveriesByGroup = deliveries;
        this.incarnations = incarnations;
        this.leaderChanges = leaderChanges;
    }

    /** Parses every {@code *.history} file of {@code dir}. */
    static History read(Path dir) {
        Builder b = new Builder();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".history")).sorted().toList()) {
                String process = f.getFileName().toString().replace(".history", "");
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    b.addLine(process, line);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read histories in " + dir, e);
        }
        return b.build();
    }

    static Builder builder() {
        return new Builder();
    }

    /** Every send, by cid. */
    Map<String, Send> sends() {
        return sends;
    }

    /** Deliveries of one group, by cid, in delivery order. */
    Map<String, List<Delivery>> deliveries(String group) {
        return deliveriesByGroup.getOrDefault(group, Map.of());
    }

    /** Groups that recorded at least one delivery. */
    java.util.Set<String> groups() {
        return deliveriesByGroup.keySet();
    }

    List<Incarnation> incarnations() {
        return incarnations;
    }

    /** Every recorded change of an instance's leadership, in time order. */
    List<LeaderChange> leaderChanges() {
        return leaderChanges;
    }

    long ackedCount() {
        return sends.values().stream().filter(Send::acked).count();
    }

    /**
     * Collects events; lines of one process must be added in file order. Lines that do not parse (a line
     * half-written by a process killed mid-write has no newline and is the file's last) are skipped.
     */
    static final class Builder {
        private final List<Event> events = new ArrayList<>();
        private final Map<String, Long> currentPid = new HashMap<>();
        private long seq;

        Builder addLine(String process, String line) {
            String[] parts = line.split("\t", -1);
            if (parts.length < 2) {
                return this;
            }
            long time;
            try {
                time = Long.parseLong(parts[0]);
            } catch (NumberFormatException e) {
                return this;
            }
            String type = parts[1];
            List<String> fields = List.of(parts).subList(2, parts.length);
            if ("START".equals(type)) {
                currentPid.put(process, Long.parseLong(fields.get(0)));
            }
            long pid = currentPid.getOrDefault(process, 0L);
            events.add(new Event(process, pid, time, type, List.copyOf(fields), seq++));
            return this;
        }

        /** Adds one event directly (synthetic histories in tests). */
        Builder add(String process, long time, String type, Object... fields) {
            StringBuilder sb = new StringBuilder().append(time).append('\t').append(type);
            for (Object f : fields) {
                sb.append('\t').append(f);
            }
            return addLine(process, sb.toString());
        }

        History build() {
            Map<String, Send> sends = new LinkedHashMap<>();
            Map<String, Map<String, List<Delivery>>> deliveries = new LinkedHashMap<>();
            Map<String, Integer> deliveryIndex = new HashMap<>();
            Map<String, Incarnation> incarnations = new LinkedHashMap<>();
            List<LeaderChange> leaderChanges = new ArrayList<>();
            List<Event> ordered = new ArrayList<>(events);
            // Processes write their own files; across files the millisecond clock orders events (stable: file order).
            ordered.sort((a, b) -> a.time != b.time ? Long.compare(a.time, b.time) : Long.compare(a.seq, b.seq));
            long okSeq = 0;
            for (Event e : ordered) {
                String incKey = e.process + "/" + e.pid;
                Incarnation inc = incarnations.get(incKey);
                switch (e.type) {
                    case "START" -> incarnations.put(incKey, new Incarnation(e.process, e.pid, e.field(1),
                            e.field(2).isEmpty() ? "-" : e.field(2), e.time, e.time, false, null, 0));
                    case "INVOKE" -> sends.put(e.field(0), new Send(e.field(0), e.process, e.pid, e.field(1),
                            e.field(2), e.time, null, null, 0, 0, null, -1, e.seq, -1));
                    case "LEADER" -> leaderChanges.add(new LeaderChange(e.process, e.pid, e.time, "1".equals(e.field(0))));
                    case "OK", "FAIL" -> {
                        Send s = sends.get(e.field(0));
                        if (s != null) {
                            boolean ok = "OK".equals(e.type);
                            sends.put(s.cid(), new Send(s.cid(), s.process(), s.pid(), s.key(), s.mode(), s.invokedAt(),
                                    e.type, ok ? e.field(1) : null, e.time,
                                    Long.parseLong(ok ? e.field(3) : e.field(2)), ok ? e.field(2) : e.field(1) + " " + e.field(3),
                                    ok ? okSeq++ : -1, s.invokeLine(), e.seq));
                        }
                    }
                    case "BEGIN" -> {
                        List<Delivery> list = deliveries.computeIfAbsent(e.field(0), g -> new LinkedHashMap<>())
                                .computeIfAbsent(e.field(1), c -> new ArrayList<>());
                        list.add(new Delivery(e.field(0), e.field(1), e.process, e.pid, e.time, e.field(2),
                                Integer.parseInt(e.field(3)), false, e.seq));
                        deliveryIndex.put(e.process + "/" + e.pid + "/" + e.field(0) + "/" + e.field(1), list.size() - 1);
                    }
                    case "DONE" -> {
                        List<Delivery> list = deliveries.getOrDefault(e.field(0), Map.of()).get(e.field(1));
                        Integer idx = deliveryIndex.remove(e.process + "/" + e.pid + "/" + e.field(0) + "/" + e.field(1));
                        if (list != null && idx != null) {
                            Delivery d = list.get(idx);
                            list.set(idx, new Delivery(d.group(), d.cid(), d.process(), d.pid(), d.time(), d.route(),
                                    d.attempt(), true, d.seq()));
                        }
                    }
                    default -> {
                        // CLOSED, LEFT_BEHIND and anything newer: handled below
                    }
                }
                inc = incarnations.get(incKey);
                if (inc != null) {
                    boolean closed = inc.closed() || "CLOSED".equals(e.type);
                    String left = "LEFT_BEHIND".equals(e.type) ? e.field(0) : inc.leftBehind();
                    long subscribed = inc.subscribedAt() == 0 && "SUBSCRIBED".equals(e.type) ? e.time : inc.subscribedAt();
                    incarnations.put(incKey, new Incarnation(inc.process(), inc.pid(), inc.role(), inc.group(),
                            inc.startedAt(), Math.max(inc.lastEventAt(), e.time), closed, left, subscribed));
                }
            }
            deliveries.values().forEach(m -> m.replaceAll((k, v) -> Collections.unmodifiableList(v)));
            return new History(Collections.unmodifiableMap(sends), deliveries, List.copyOf(incarnations.values()),
                    List.copyOf(leaderChanges));
        }
    }
}
