package dev.smartmq.testkit.checker;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.DeliveryException;
import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Route;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Counts every send and every delivery of a drill and reports what got lost, duplicated, reordered or
 * invented — the quantities the OpenMessaging chaos checkers report — plus how long the MQ was unavailable.
 *
 * <p>Over 400 lines because the judging rules (lost, duplicates, order by acknowledgement, invented,
 * unavailability) share one record of sends and deliveries and are documented here in full; the attempt and the
 * builder are nested types.
 *
 * <pre>{@code
 * DeliveryChecker checker = DeliveryChecker.create();
 * checker.expectGroups("billing", "shipping");
 * consumer.subscribe(sub("billing"), m -> { checker.delivered("billing", m); return SUCCESS; });
 * ... // one sending thread per key
 * SendRecorder.Attempt a = checker.beginSend(key);
 * try { a.ok(producer.send(msg)); } catch (DeliveryException | InvalidMessageException e) { a.failed(e); }
 * ...
 * checker.mark("broker-killed"); ... checker.mark("degraded"); ... checker.mark("recovered");
 * checker.awaitAllDelivered(Duration.ofMinutes(2));
 * CheckReport report = checker.report();
 * System.out.println(report.toTable());
 * assertTrue(report.isClean(), report.lostIds().toString());
 * }</pre>
 *
 * <h2>What is judged</h2>
 * <ul>
 *   <li><b>lost</b>: an acknowledged message (attempt {@code ok}) that an expected group never received.
 *       Failed and unknown sends are never lost.</li>
 *   <li><b>duplicates</b>: deliveries of an id to a group beyond the first.</li>
 *   <li><b>order violations</b>: judged per key by <em>acknowledgement order</em>: each acknowledged message
 *       with a key gets the key's next sequence number when {@code ok} is recorded. That is the send order when
 *       one thread sends each key, as drills should (send concurrently across keys, never within one). A
 *       message is a violation when its first delivery to a group comes after the first delivery of a
 *       message of the same key with a higher sequence number; each late message counts once, redeliveries
 *       never count. Only meaningful for ordered subscriptions.</li>
 *   <li><b>unexpected</b> (phantoms): delivered ids that were never acknowledged and are not explained by an
 *       unknown send; an id the SDK said neither path stored ({@link DeliveryException#messageId()} with
 *       {@link DeliveryException#mayHaveBeenStored()} {@code false}) always is. One it said may have been stored is
 *       indeterminate, like an unknown send: never lost, never a phantom.</li>
 *   <li><b>windows</b>: see {@link WindowKind}; <b>marks</b>: named events, with the time between
 *       consecutive ones.</li>
 * </ul>
 *
 * <h2>Cost</h2>
 * Thread-safe and lock-free on the hot paths except for one uncontended monitor per message id: a delivery or
 * acknowledgement is a concurrent-map lookup and a few atomic updates. Memory is about 200 bytes per message
 * id (most of it the id string) plus 16 bytes per send attempt, so a million messages take about 200 MB. The
 * attempt log keeps at most {@value #MAX_ATTEMPTS_LOGGED} attempts for the windows (counts stay exact beyond).
 * A report is computed from a snapshot and may be taken at any time; take the final one after
 * {@link #awaitAllDelivered(Duration)}.
 *
 * <p>Times come from the checker's clock: by default wall-clock milliseconds that never go backwards (the
 * wall clock at creation plus monotonic time since).
 */
public final class DeliveryChecker implements SendRecorder {

    /** Consumer groups a checker can follow. */
    public static final int MAX_GROUPS = 64;
    /** Lost ids kept per group (and in {@link CheckReport#lostIds()}). */
    public static final int DEFAULT_LOST_SAMPLE_SIZE = 100;
    /** Windows listed per kind in a report (the counts and durations are exact beyond). */
    public static final int MAX_WINDOWS_LISTED = 1000;
    /** Marks a checker keeps. */
    public static final int MAX_MARKS = 10_000;
    /** Send attempts kept for the windows. */
    public static final long MAX_ATTEMPTS_LOGGED = 33_554_432L;
    /** How often {@link #awaitAllDelivered(Duration)} looks. */
    public static final Duration POLL_INTERVAL = Duration.ofMillis(50);
    private static final int MAX_ERROR_SAMPLES = 20;

    private final LongSupplier clock;
    private final int lostSampleSize;

    private final ConcurrentHashMap<String, Tracked> messages = new ConcurrentHashMap<>(1 << 12);
    private final ConcurrentHashMap<String, KeySequence> keys = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, GroupState> groups = new ConcurrentHashMap<>();
    private final AtomicReferenceArray<GroupState> groupsByIndex = new AtomicReferenceArray<>(MAX_GROUPS);
    private final AtomicInteger groupCount = new AtomicInteger();
    private final Set<String> expected = ConcurrentHashMap.newKeySet();
    private final AttemptLog attempts = new AttemptLog();

    private final LongAdder sent = new LongAdder();
    private final LongAdder ackedViaMq = new LongAdder();
    private final LongAdder ackedViaFallback = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder failedInput = new LongAdder();
    private final LongAdder unknown = new LongAdder();
    private final LongAdder unknownWithoutId = new LongAdder();
    private final AtomicLong ackedDistinct = new AtomicLong();
    private final List<Mark> marks = new ArrayList<>();
    private final List<String> errorSamples = new ArrayList<>();

    private DeliveryChecker(Builder b) {
        this.clock = b.clock != null ? b.clock : defaultClock();
        this.lostSampleSize = b.lostSampleSize;
    }

    /** A checker with the default clock and settings. */
    public static DeliveryChecker create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- recording

    @Override
    public Attempt beginSend(String key) {
        sent.increment();
        return new AttemptImpl(key, clock.getAsLong());
    }

    /**
     * Records that {@code group}'s handler received {@code messageId} by {@code route} ({@code "MQ"} or
     * {@code "FALLBACK"}, case-insensitive). Call it for every delivery, redeliveries included; it may run
     * before the producer's {@code ok} for the same id is recorded.
     *
     * @throws IllegalArgumentException if an argument is null or the route is not MQ/FALLBACK
     * @throws IllegalStateException    if this would be group number {@value #MAX_GROUPS} + 1
     */
    public void delivered(String group, String messageId, String route) {
        ConfigurationException.check(group != null && !group.isEmpty(), "group", group, "must not be null or empty");
        ConfigurationException.check(messageId != null, "messageId", null, "must not be null");
        Route r = parseRoute(route);
        GroupState g = group(group);
        (r == Route.MQ ? g.viaMq : g.viaFallback).increment();
        Tracked t = messages.computeIfAbsent(messageId, id -> new Tracked());
        synchronized (t) {
            if (t.deliver(g.index, g.firstDeliveries::incrementAndGet) && t.state == Tracked.ACKED) {
                g.ackedDelivered.incrementAndGet();
            }
        }
    }

    /** Same as {@link #delivered(String, String, String)} with the message's id and route. */
    public void delivered(String group, ReceivedMessage message) {
        delivered(group, message.id(), message.route().name());
    }

    /**
     * Declares the groups that must each receive every acknowledged message ({@code lost} is counted for
     * them). May be called more than once; the sets add up. If it is never called, every group that received
     * something is expected.
     */
    public void expectGroups(String... groupNames) {
        for (String name : groupNames) {
            ConfigurationException.check(name != null && !name.isEmpty(), "group", name, "must not be null or empty");
            group(name);
            expected.add(name);
        }
    }

    /**
     * Marks a drill event now ({@code "broker-killed"}, {@code "degraded"}, {@code "recovered"}...); the
     * report gives the time between consecutive marks. Names may repeat.
     *
     * @return the mark's time in the checker's clock
     * @throws IllegalStateException past {@value #MAX_MARKS} marks
     */
    public long mark(String name) {
        ConfigurationException.check(name != null && !name.isBlank(), "name", name, "must not be null or blank");
        long now = clock.getAsLong();
        synchronized (marks) {
            if (marks.size() >= MAX_MARKS) {
                throw new IllegalStateException("at most " + MAX_MARKS + " marks, dropping '" + name + "'");
            }
            marks.add(new Mark(name, now));
        }
        return now;
    }

    // ---------------------------------------------------------------- waiting

    /**
     * Whether nothing is left to arrive: no send attempt is pending and every expected group (every observed
     * group if none was declared) has received every acknowledged message.
     */
    public boolean allDelivered() {
        if (pending() > 0) {
            return false;
        }
        long acked = ackedDistinct.get();
        List<GroupState> targets = expectedGroupStates();
        if (targets.isEmpty()) {
            return acked == 0;
        }
        for (GroupState g : targets) {
            if (g.ackedDelivered.get() < acked) {
                return false;
            }
        }
        return true;
    }

    /**
     * Waits until {@link #allDelivered()}, looking every {@link #POLL_INTERVAL} (the thread parks in
     * between; nothing spins).
     *
     * @return {@code true} if everything arrived, {@code false} on timeout or interruption (the interrupt
     *         flag is kept)
     */
    public boolean awaitAllDelivered(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!allDelivered()) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || Thread.currentThread().isInterrupted()) {
                return false;
            }
            LockSupport.parkNanos(this, Math.min(left, POLL_INTERVAL.toNanos()));
        }
        return true;
    }

    /** Send attempts begun and not yet given an outcome. */
    public long pending() {
        return sent.sum() - ackedViaMq.sum() - ackedViaFallback.sum() - failed.sum() - unknown.sum();
    }

    // ---------------------------------------------------------------- report

    /** Computes a report from what has been recorded so far. Safe to call while recording goes on. */
    public CheckReport report() {
        // Producer counters first: a message acknowledged after this point may show as delivered but not yet
        // counted, never the other way round.
        long sentNow = sent.sum();
        long mq = ackedViaMq.sum();
        long fb = ackedViaFallback.sum();
        long failedNow = failed.sum();
        long failedInputNow = failedInput.sum();
        long unknownNow = unknown.sum();
        long unknownNoId = unknownWithoutId.sum();

        int gc = Math.min(groupCount.get(), MAX_GROUPS);
        GroupState[] gs = new GroupState[gc];
        for (int i = 0; i < gc; i++) {
            gs[i] = groupsByIndex.get(i);
        }
        boolean anyDeclared = !expected.isEmpty();
        boolean[] isExpected = new boolean[gc];
        for (int i = 0; i < gc; i++) {
            isExpected[i] = gs[i] != null && (!anyDeclared || expected.contains(gs[i].name));
        }
        long[] consumed = new long[gc];
        long[] duplicates = new long[gc];
        long[] lost = new long[gc];
        long[] failedDelivered = new long[gc];
        long[] unackedDelivered = new long[gc];
        List<List<String>> lostSample = new ArrayList<>();
        List<Map<KeySequence, LongList>> orderData = new ArrayList<>();
        for (int i = 0; i < gc; i++) {
            lostSample.add(new ArrayList<>());
            orderData.add(new HashMap<>());
        }

        int[] counts = new int[gc];
        long[] orders = new long[gc];
        for (Map.Entry<String, Tracked> e : messages.entrySet()) {
            Tracked t = e.getValue();
            byte state;
            KeySequence key;
            int seq;
            synchronized (t) {
                state = t.state;
                key = t.key;
                seq = t.seq;
                for (int g = 0; g < gc; g++) {
                    counts[g] = t.count(g);
                    orders[g] = t.firstOrder(g);
                }
            }
            for (int g = 0; g < gc; g++) {
                if (gs[g] == null) {
                    continue;
                }
                if (counts[g] > 0) {
                    consumed[g]++;
                    duplicates[g] += counts[g] - 1;
                    if (state == Tracked.FAILED) {
                        failedDelivered[g]++;
                    } else if (state == Tracked.NONE) {
                        unackedDelivered[g]++;
                    } else if (state == Tracked.ACKED && key != null) {
                        // order < 2^32 and seq < 2^31: sorting the packed value sorts by delivery order.
                        orderData.get(g).computeIfAbsent(key, k -> new LongList()).add((orders[g] << 31) | seq);
                    }
                } else if (state == Tracked.ACKED && isExpected[g]) {
                    lost[g]++;
                    if (lostSample.get(g).size() < lostSampleSize) {
                        lostSample.get(g).add(e.getKey());
                    }
                }
            }
        }

        List<GroupReport> groupReports = new ArrayList<>();
        for (int g = 0; g < gc; g++) {
            if (gs[g] == null) {
                continue;
            }
            long violations = 0;
            for (LongList list : orderData.get(g).values()) {
                violations += orderViolations(list);
            }
            long unexpected = failedDelivered[g] + Math.max(0, unackedDelivered[g] - unknownNoId);
            List<String> sample = lostSample.get(g);
            Collections.sort(sample);
            groupReports.add(new GroupReport(gs[g].name, isExpected[g], sentNow, mq + fb, failedNow, unknownNow,
                    consumed[g], lost[g], duplicates[g], violations, unexpected, gs[g].viaMq.sum(),
                    gs[g].viaFallback.sum(), sample));
        }
        groupReports.sort((a, b) -> a.group().compareTo(b.group()));

        AttemptLog.Snapshot snapshot = attempts.snapshot();
        int[] order = Windows.byCompletion(snapshot);
        Map<WindowKind, WindowSummary> windows = new EnumMap<>(WindowKind.class);
        for (WindowKind kind : WindowKind.values()) {
            windows.put(kind, Windows.compute(kind, snapshot, order, MAX_WINDOWS_LISTED));
        }
        List<Mark> marksNow;
        synchronized (marks) {
            marksNow = new ArrayList<>(marks);
        }
        List<String> errorsNow;
        synchronized (errorSamples) {
            errorsNow = new ArrayList<>(errorSamples);
        }
        return new CheckReport(sentNow, mq, fb, failedNow, failedInputNow, unknownNow, pendingOf(sentNow, mq, fb,
                failedNow, unknownNow), groupReports, windows, attempts.dropped(), marksNow, errorsNow,
                lostSampleSize);
    }

    private static long pendingOf(long sent, long mq, long fb, long failed, long unknown) {
        return Math.max(0, sent - mq - fb - failed - unknown);
    }

    /** Counts messages whose first delivery came after that of a higher sequence number of the same key. */
    private static long orderViolations(LongList list) {
        long[] packed = list.sorted();
        long violations = 0;
        long maxSeq = 0;
        for (int i = 0; i < list.size(); i++) {
            long seq = packed[i] & 0x7FFF_FFFFL;
            if (seq < maxSeq) {
                violations++;
            } else {
                maxSeq = seq;
            }
        }
        return violations;
    }

    // ---------------------------------------------------------------- internals

    private GroupState group(String name) {
        GroupState g = groups.get(name);
        if (g != null) {
            return g;
        }
        return groups.computeIfAbsent(name, n -> {
            int index = groupCount.getAndIncrement();
            if (index >= MAX_GROUPS) {
                throw new IllegalStateException("a checker follows at most " + MAX_GROUPS + " groups, refusing '"
                        + n + "'");
            }
            GroupState created = new GroupState(n, index);
            groupsByIndex.set(index, created);
            return created;
        });
    }

    private List<GroupState> expectedGroupStates() {
        List<GroupState> result = new ArrayList<>();
        if (expected.isEmpty()) {
            result.addAll(groups.values());
        } else {
            for (String name : expected) {
                result.add(groups.get(name));
            }
        }
        return result;
    }

    private static Route parseRoute(String route) {
        if (route != null) {
            String r = route.trim().toUpperCase(Locale.ROOT);
            if (r.equals("MQ")) {
                return Route.MQ;
            }
            if (r.equals("FALLBACK")) {
                return Route.FALLBACK;
            }
        }
        throw new ConfigurationException("route must be MQ or FALLBACK, but was " + route);
    }

    private void sampleError(String outcome, Throwable cause) {
        synchronized (errorSamples) {
            if (errorSamples.size() < MAX_ERROR_SAMPLES) {
                errorSamples.add(outcome + ": " + (cause == null ? "(no exception)" : cause.toString()));
            }
        }
    }

    private static LongSupplier defaultClock() {
        long wallAtStart = System.currentTimeMillis();
        long nanoAtStart = System.nanoTime();
        return () -> wallAtStart + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanoAtStart);
    }

    private final class AttemptImpl implements Attempt {
        private final String key;
        private final long beginMillis;
        private final AtomicBoolean done = new AtomicBoolean();

        AttemptImpl(String key, long beginMillis) {
            this.key = key;
            this.beginMillis = beginMillis;
        }

        private void once(String outcome) {
            if (!done.compareAndSet(false, true)) {
                throw new IllegalStateException("this send attempt already has an outcome; cannot also be "
                        + outcome);
            }
        }

        @Override
        public void ok(String messageId, String route) {
            ConfigurationException.check(messageId != null, "messageId", null, "must not be null");
            Route r = parseRoute(route);
            once("ok");
            long end = clock.getAsLong();
            Tracked t = messages.computeIfAbsent(messageId, id -> new Tracked());
            synchronized (t) {
                if (t.state != Tracked.ACKED) {
                    t.state = Tracked.ACKED;
                    if (key != null) {
                        t.key = keys.computeIfAbsent(key, KeySequence::new);
                        t.seq = t.key.next();
                    }
                    ackedDistinct.incrementAndGet();
                    // Deliveries that beat the acknowledgement now count as arrived.
                    for (int g = 0; g < t.groupSlots(); g++) {
                        if (t.count(g) > 0) {
                            groupsByIndex.get(g).ackedDelivered.incrementAndGet();
                        }
                    }
                }
            }
            (r == Route.MQ ? ackedViaMq : ackedViaFallback).increment();
            attempts.add(beginMillis, end, r == Route.MQ ? AttemptLog.OK_MQ : AttemptLog.OK_FALLBACK);
        }

        @Override
        public void failed(Throwable cause) {
            once("failed");
            long end = clock.getAsLong();
            boolean input = Causes.find(cause, InvalidMessageException.class) != null;
            DeliveryException de = Causes.find(cause, DeliveryException.class);
            if (de != null) {
                Tracked t = messages.computeIfAbsent(de.messageId(), id -> new Tracked());
                synchronized (t) {
                    if (t.state == Tracked.NONE) {
                        // "May have been stored": indeterminate like an unknown send (never lost, may be delivered).
                        t.state = de.mayHaveBeenStored() ? Tracked.UNKNOWN : Tracked.FAILED;
                    }
                }
            }
            if (input) {
                failedInput.increment();
            }
            failed.increment();
            sampleError("failed", cause);
            attempts.add(beginMillis, end, input ? AttemptLog.FAILED_INPUT : AttemptLog.FAILED);
        }

        @Override
        public void unknown(Throwable cause) {
            unknown(null, cause);
        }

        @Override
        public void unknown(String messageId, Throwable cause) {
            once("unknown");
            long end = clock.getAsLong();
            if (messageId == null) {
                unknownWithoutId.increment();
            } else {
                Tracked t = messages.computeIfAbsent(messageId, id -> new Tracked());
                synchronized (t) {
                    if (t.state != Tracked.ACKED) {
                        t.state = Tracked.UNKNOWN;
                    }
                }
            }
            unknown.increment();
            sampleError("unknown", cause);
            attempts.add(beginMillis, end, AttemptLog.UNKNOWN);
        }
    }

    /** Settings of a {@link DeliveryChecker}. */
    public static final class Builder {
        private LongSupplier clock;
        private int lostSampleSize = DEFAULT_LOST_SAMPLE_SIZE;

        private Builder() {
        }

        /**
         * The clock, in milliseconds (default: wall clock at creation plus monotonic time since). Tests use a
         * manual clock to build exact scenarios.
         */
        public Builder clock(LongSupplier clockMillis) {
            this.clock = Objects.requireNonNull(clockMillis, "clockMillis");
            return this;
        }

        /** How many lost ids a report keeps per group (default {@value DeliveryChecker#DEFAULT_LOST_SAMPLE_SIZE}). */
        public Builder lostSampleSize(int lostSampleSize) {
            ConfigurationException.check(lostSampleSize >= 0 && lostSampleSize <= 100_000, "lostSampleSize",
                    lostSampleSize, "must be between 0 and 100000");
            this.lostSampleSize = lostSampleSize;
            return this;
        }

        public DeliveryChecker build() {
            return new DeliveryChecker(this);
        }
    }
}
