package dev.smartmq.testkit.fakes;

import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.ConsumerRegistration;
import dev.smartmq.spi.ConsumerRegistry;
import dev.smartmq.spi.Coordination;
import dev.smartmq.spi.Leadership;
import dev.smartmq.spi.LeadershipListener;
import dev.smartmq.spi.SwitchListener;
import dev.smartmq.spi.SwitchStore;
import dev.smartmq.spi.SwitchTransition;
import dev.smartmq.spi.SwitchUnavailableException;
import dev.smartmq.spi.TransitionResult;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory {@link Coordination}: the degradation switch, consumer registry and leader election of one
 * namespace, all three in this one object (each view returns {@code this}), with one reachability like one
 * ZooKeeper connection. For unit tests of engine logic, handlers and routing without a ZooKeeper server; tests
 * that claim ZooKeeper behaviour use a real one ({@code dev.smartmq.testkit.zookeeper}).
 *
 * <p>It separates the stored document ({@code truth}) from what the adapter last saw ({@code view}): while
 * unreachable, another writer can change the truth ({@link #force}) and this adapter's view stays stale until
 * {@link #setReachable(boolean)} brings it back. The test drives everything else: leadership
 * ({@link #setLeader}), failing or hanging writes ({@link #failTransitions}, {@link #hangTransitions}), other
 * processes' live consumers ({@link #addLiveConsumer}, {@link #removeLiveConsumer}) and a registry cache that has
 * not caught up ({@link #hideGroups}). Counters and {@link #history()} are for assertions.
 *
 * <pre>{@code
 * MutableClock clock = MutableClock.ticking();
 * FakeSwitch sw = new FakeSwitch(clock);
 * SmartMQ mq = SmartMQ.builder().config(config).transport(new FakeTransport())
 *         .fallbackStore(new FakeFallbackStore(4)).coordination(sw).clock(clock).build();
 * sw.force(SwitchState.DEGRADED, SwitchMode.MANUAL, null, "ops");   // the fleet degrades: sends go to the store
 * }</pre>
 *
 * <p>Thread rules: thread-safe. Listeners run on the executor they were added with, on the thread that made the
 * change (a test thread, or whoever called {@link #transition}); {@link #start()} and {@link #close()} only record
 * themselves in the event list.
 */
public final class FakeSwitch implements Coordination, SwitchStore, ConsumerRegistry, Leadership {
    private final Clock clock;
    private final List<String> events;
    private SwitchStatus truth;
    private volatile SwitchStatus view;
    private volatile boolean reachable = true;
    private volatile boolean leader = true;
    private volatile boolean failTransitions;
    private volatile boolean hideGroups;
    private volatile java.util.concurrent.CountDownLatch hangTransitions;
    private final Map<SwitchListener, Executor> listeners = new ConcurrentHashMap<>();
    private final Map<LeadershipListener, Executor> leadershipListeners = new ConcurrentHashMap<>();
    private final AtomicInteger applied = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger leaderCalls = new AtomicInteger();
    private final List<SwitchStatus> history = new CopyOnWriteArrayList<>();
    private final Map<String, Set<String>> groups = new HashMap<>();
    private final Map<String, Set<String>> live = new HashMap<>();

    /** A reachable switch at {@link SwitchStatus#initial()}, this instance the leader; {@code events} records calls. */
    public FakeSwitch(Clock clock, List<String> events) {
        this.clock = clock;
        this.events = events;
        this.truth = SwitchStatus.initial();
        this.view = truth;
    }

    /** As above, with a private event list. */
    public FakeSwitch(Clock clock) {
        this(clock, new CopyOnWriteArrayList<>());
    }

    /** Transitions applied through {@link #transition} (CAS writes that won). */
    public int appliedTransitions() {
        return applied.get();
    }

    /** Every call of {@link #transition}, won, lost or failed. */
    public int transitionRequests() {
        return requests.get();
    }

    /** Calls of {@link #isLeader()}. */
    public int leaderCalls() {
        return leaderCalls.get();
    }

    /** Every document written, in order (forced ones included). */
    public List<SwitchStatus> history() {
        return history;
    }

    /** This instance becomes or stops being the leader; leadership listeners hear of a change. */
    public void setLeader(boolean l) {
        boolean changed = leader != l;
        leader = l;
        if (changed) {
            leadershipListeners.forEach((x, e) -> e.execute(() -> x.leadershipChanged(l)));
        }
    }

    /** While true, every {@link #transition} throws {@link SwitchUnavailableException}. */
    public void failTransitions(boolean fail) {
        this.failTransitions = fail;
    }

    /** Every {@link #transition} blocks until {@code release} opens (a hung ZooKeeper); null: no hang. */
    public void hangTransitions(java.util.concurrent.CountDownLatch release) {
        this.hangTransitions = release;
    }

    /** Another writer (an operator, another service) writes the document, without CAS. */
    public void force(SwitchState state, SwitchMode mode, Instant expiresAt, String actor) {
        SwitchStatus previous;
        SwitchStatus next;
        synchronized (this) {
            previous = view;
            truth = truth.next(state, mode, "forced by test", actor, clock.instant(), expiresAt);
            history.add(truth);
            next = truth;
            if (!reachable) {
                return;
            }
            view = truth;
        }
        fire(x -> x.onStatusChanged(previous, next));
    }

    /**
     * ZooKeeper becomes unreachable or reachable again; on the way back the view catches up with the truth
     * (listeners hear the new document before they hear that the store is reachable).
     */
    public void setReachable(boolean r) {
        SwitchStatus previous;
        SwitchStatus next;
        synchronized (this) {
            if (reachable == r) {
                return;
            }
            reachable = r;
            previous = view;
            if (r) {
                view = truth;
            }
            next = view;
        }
        if (r && !previous.equals(next)) {
            fire(x -> x.onStatusChanged(previous, next));
        }
        fire(x -> x.onReachabilityChanged(r));
    }

    private void fire(java.util.function.Consumer<SwitchListener> call) {
        listeners.forEach((l, e) -> e.execute(() -> call.accept(l)));
    }

    @Override
    public SwitchStore switchStore() {
        return this;
    }

    @Override
    public ConsumerRegistry registry() {
        return this;
    }

    @Override
    public Leadership leadership() {
        return this;
    }

    @Override
    public void start() {
        events.add("switch.start");
    }

    @Override
    public SwitchStatus current() {
        return view;
    }

    @Override
    public boolean isReachable() {
        return reachable;
    }

    @Override
    public TransitionResult transition(SwitchTransition t) {
        requests.incrementAndGet();
        java.util.concurrent.CountDownLatch hang = hangTransitions;
        if (hang != null) {
            try {
                hang.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SwitchUnavailableException("fake switch: interrupted in a hung call", e);
            }
        }
        SwitchStatus previous;
        SwitchStatus next;
        synchronized (this) {
            if (!reachable || failTransitions) {
                throw new SwitchUnavailableException("fake switch: connection loss", null);
            }
            if (t.expectedEpoch() != truth.epoch()) {
                return new TransitionResult(false, truth);
            }
            previous = view;
            truth = truth.next(t.target(), t.mode(), t.reason(), t.actor(), clock.instant(), t.expiresAt());
            history.add(truth);
            view = truth;
            next = truth;
            applied.incrementAndGet();
        }
        fire(x -> x.onStatusChanged(previous, next));
        return new TransitionResult(true, next);
    }

    @Override
    public void addListener(SwitchListener listener, Executor executor) {
        listeners.put(listener, executor);
    }

    @Override
    public void removeListener(SwitchListener listener) {
        listeners.remove(listener);
    }

    @Override
    public synchronized ConsumerRegistration registerConsumer(String topic, String group, String consumerId) {
        groups.computeIfAbsent(topic, t -> new TreeSet<>()).add(group);
        live.computeIfAbsent(topic + "|" + group, k -> new TreeSet<>()).add(consumerId);
        events.add("switch.register");
        return new ConsumerRegistration() {
            @Override
            public String consumerId() {
                return consumerId;
            }

            @Override
            public void close() {
                synchronized (FakeSwitch.this) {
                    live.getOrDefault(topic + "|" + group, new HashSet<>()).remove(consumerId);
                }
                events.add("registration.close");
            }
        };
    }

    /** A consumer instance of another process that is alive (for shard allocation and orphan tests). */
    public synchronized void addLiveConsumer(String topic, String group, String consumerId) {
        groups.computeIfAbsent(topic, t -> new TreeSet<>()).add(group);
        live.computeIfAbsent(topic + "|" + group, k -> new TreeSet<>()).add(consumerId);
    }

    /**
     * While hidden, the cached reads ({@link #groups}, {@link #registeredGroups}) see no group, as a registry
     * cache that has not caught up yet (asynchronous registration, ZooKeeper unreachable at start);
     * {@code readGroups} still reads the truth.
     */
    public void hideGroups(boolean hide) {
        this.hideGroups = hide;
    }

    private Integer storedShards;

    /** The namespace's shard count, stored by the first caller (as ZooKeeper does); empty while unreachable. */
    @Override
    public synchronized java.util.OptionalInt recordShardCount(int shards) {
        if (!reachable) {
            return java.util.OptionalInt.empty();
        }
        if (storedShards == null) {
            storedShards = shards;
        }
        return java.util.OptionalInt.of(storedShards);
    }

    /** A consumer instance of another process dies (its group stays registered). */
    public synchronized void removeLiveConsumer(String topic, String group, String consumerId) {
        live.getOrDefault(topic + "|" + group, new HashSet<>()).remove(consumerId);
    }

    @Override
    public synchronized Set<String> groups(String topic) {
        return hideGroups ? Set.of() : Set.copyOf(groups.getOrDefault(topic, Set.of()));
    }

    @Override
    public synchronized Map<String, Set<String>> registeredGroups() {
        Map<String, Set<String>> copy = new HashMap<>();
        if (!hideGroups) {
            groups.forEach((t, g) -> copy.put(t, Set.copyOf(g)));
        }
        return copy;
    }

    /** Read from the "store", not the cache: empty while unreachable. */
    @Override
    public synchronized Optional<Set<String>> readGroups(String topic) {
        return reachable ? Optional.of(Set.copyOf(groups.getOrDefault(topic, Set.of()))) : Optional.empty();
    }

    @Override
    public synchronized Optional<Set<String>> liveConsumers(String topic, String group) {
        if (!reachable) {
            return Optional.empty();
        }
        return Optional.of(Set.copyOf(live.getOrDefault(topic + "|" + group, Set.of())));
    }

    @Override
    public void addListener(LeadershipListener listener, Executor executor) {
        leadershipListeners.put(listener, executor);
    }

    @Override
    public void removeListener(LeadershipListener listener) {
        leadershipListeners.remove(listener);
    }

    @Override
    public boolean isLeader() {
        leaderCalls.incrementAndGet();
        return leader;
    }

    @Override
    public void close() {
        events.add("switch.close");
    }

    /** For assertions: the live ids of (topic, group). */
    public synchronized List<String> live(String topic, String group) {
        return new ArrayList<>(live.getOrDefault(topic + "|" + group, Set.of()));
    }
}
