package dev.smartmq.chaos;

import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.testkit.checker.DeliveryChecker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * Samples every node every 20 ms (reads only cached values; never blocks a node) and records:
 * <ul>
 *   <li>the first time any node saw each switch epoch, as a checker mark {@code switch:<STATE>@<epoch>} — the
 *       times the row's degrade/recover figures are measured to;</li>
 *   <li>every change of each node's <em>effective</em> state (the state it routes by), so a row can prove there
 *       was no flip-flop.</li>
 * </ul>
 */
final class StateWatcher implements AutoCloseable {

    /** One node's effective state changed at {@code nanos}. */
    record Change(String node, SwitchState from, SwitchState to, long nanos) {
    }

    private final Supplier<List<ChaosNode>> nodes;
    private final DeliveryChecker checker;
    private final Thread thread;
    private final Map<Long, SwitchStatus> epochsSeen = new ConcurrentHashMap<>();
    private final Map<String, SwitchState> lastEffective = new ConcurrentHashMap<>();
    private final List<Change> changes = new CopyOnWriteArrayList<>();
    private volatile boolean running = true;

    StateWatcher(Supplier<List<ChaosNode>> nodes, DeliveryChecker checker) {
        this.nodes = nodes;
        this.checker = checker;
        sample();
        this.thread = new Thread(this::run, "chaos-state-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running) {
            sample();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void sample() {
        long now = System.nanoTime();
        for (ChaosNode n : nodes.get()) {
            SwitchStatus s;
            SwitchState effective;
            try {
                s = n.status();
                effective = n.effectiveState();
            } catch (RuntimeException e) {
                continue; // a node being closed
            }
            if (s.epoch() > 0 && epochsSeen.putIfAbsent(s.epoch(), s) == null) {
                checker.mark("switch:" + s.state() + "@" + s.epoch());
            }
            SwitchState before = lastEffective.put(n.name(), effective);
            if (before != null && before != effective) {
                changes.add(new Change(n.name(), before, effective, now));
            }
        }
    }

    /** Mark name of the first sighting of {@code epoch} in {@code state}. */
    static String mark(SwitchState state, long epoch) {
        return "switch:" + state + "@" + epoch;
    }

    /** Every effective-state change seen so far, in order. */
    List<Change> changes() {
        return new ArrayList<>(changes);
    }

    /** Effective-state changes of any node at or after {@code sinceNanos}. */
    List<Change> changesSince(long sinceNanos) {
        return changes.stream().filter(c -> c.nanos() >= sinceNanos).toList();
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
