package dev.smartmq.core.internal;

import static dev.smartmq.api.internal.Closeables.closeQuietly;

import dev.smartmq.api.internal.NamedThreadFactory;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import dev.smartmq.api.SmartConsumer;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.core.event.SmartMQEventPublisher;
import dev.smartmq.spi.ConsumerRegistry;
import dev.smartmq.spi.Coordination;
import dev.smartmq.spi.Leadership;
import dev.smartmq.spi.SwitchStore;
import dev.smartmq.spi.FallbackStore;
import dev.smartmq.spi.IdempotencyGuard;
import dev.smartmq.spi.PrimaryTransport;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the engine of one SmartMQ instance and owns its threads. Not API: use {@code dev.smartmq.core.SmartMQ}.
 *
 * <p>Threads (all daemons, all ended by {@link #close()}):
 * <ul>
 *   <li>{@code smartmq-switch-1}: switch callbacks and switch writes of the failure detector;</li>
 *   <li>{@code smartmq-prober-1}: prober and drain decision (leader work; may block for probeTimeout), and the
 *       re-admission probes of brokers the transport isolated locally (every instance);</li>
 *   <li>{@code smartmq-maintenance-1}: orphan reaper, backlog gauges, ORDERED gates, retries of store writes;</li>
 *   <li>{@code smartmq-timer-1}: sweeps the time-outs of async sends and hands a drill's expiry to the switch
 *       thread, nothing else (never blocks);</li>
 *   <li>{@code smartmq-callback-1..n}: complete callers' {@code sendAsync} futures and run their callbacks, unless
 *       the caller passed its own completion executor (then none are started, and that executor stays the
 *       caller's to shut down);</li>
 *   <li>{@code smartmq-consumer-1..n}: fallback workers, started by the first subscription;</li>
 *   <li>{@code smartmq-events-1}: delivers {@link SmartMQEventPublisher} events, started by the first event
 *   that has a subscriber.</li>
 * </ul>
 */
public final class Engine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);

    private enum State { LATENT, STARTED, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final SmartMQConfig config;
    private final PrimaryTransport transport;
    private final FallbackStore store;
    private final Coordination coordination;
    private final SwitchStore sw;
    private final ConsumerRegistry consumerRegistry;
    private final Leadership leadership;
    private final MetricRegistry registry;
    private final EngineMetrics metrics;
    private final FailureDetector detector;
    private final SwitchTracker tracker;
    private final String instanceId;
    /** Set once the switch answered the shard-count check (maintenance thread, or start). */
    private volatile boolean shardCountChecked;

    private final NamedThreadFactory switchThreads = new NamedThreadFactory("switch");
    private final NamedThreadFactory proberThreads = new NamedThreadFactory("prober");
    private final NamedThreadFactory maintenanceThreads = new NamedThreadFactory("maintenance");
    private final NamedThreadFactory timerThreads = new NamedThreadFactory("timer");
    private final NamedThreadFactory callbackThreads = new NamedThreadFactory("callback");
    private final ExecutorService switchExecutor;
    private final ScheduledThreadPoolExecutor proberExecutor;
    private final ScheduledThreadPoolExecutor maintenanceExecutor;
    private final ScheduledThreadPoolExecutor timer;
    /** The engine's own completion executor, or null when the caller supplied one (then it is theirs). */
    private final ExecutorService ownedCompletions;

    private final Router router;
    private final CallerCompletions producer;
    private final DualPathConsumer consumer;
    private final Prober prober;
    private final DrillExpiry drillExpiry;
    private final DrainDecision drain;
    private final InstanceReporter reporter;
    private final EventBus events;
    private final Republisher republisher;

    /**
     * Builds the engine; registers its metrics (fails if {@code registry} already holds them) but starts
     * nothing. {@code guard} may be null.
     */
    public Engine(SmartMQConfig config, PrimaryTransport transport, FallbackStore store, Coordination coordination,
                  IdempotencyGuard guard, Duration idempotencyTtl, Duration idempotencyLease, MetricRegistry registry,
                  String metricPrefix, Clock clock) {
        this(config, transport, store, coordination, guard, idempotencyTtl, idempotencyLease, registry, metricPrefix, clock, null);
    }

    /**
     * As above; {@code completionExecutor} completes callers' {@code sendAsync} futures. Null: the engine's own
     * {@code smartmq-callback-<n>} threads (one per callback running at that moment, idle ones end after 60 s),
     * shut down by {@link #close()}. A caller's executor is never shut down here.
     */
    public Engine(SmartMQConfig config, PrimaryTransport transport, FallbackStore store, Coordination coordination,
                  IdempotencyGuard guard, Duration idempotencyTtl, Duration idempotencyLease, MetricRegistry registry,
                  String metricPrefix, Clock clock, Executor completionExecutor) {
        this.config = config;
        this.transport = transport;
        this.store = store;
        this.coordination = coordination;
        this.sw = coordination.switchStore();
        this.consumerRegistry = coordination.registry();
        this.leadership = coordination.leadership();
        this.registry = registry;
        String host = hostName();
        long pid = ProcessHandle.current().pid();
        String uuid = UUID.randomUUID().toString();
        this.instanceId = host + "/" + pid + "/" + uuid.substring(0, 8);
        String consumerId = host + "-" + pid + "-" + uuid;

        this.metrics = new EngineMetrics(registry, metricPrefix);
        this.detector = new FailureDetector(config);
        this.tracker = new SwitchTracker(sw, config, clock, instanceId, metrics, detector);

        this.switchExecutor = Executors.newSingleThreadExecutor(switchThreads);
        this.proberExecutor = new ScheduledThreadPoolExecutor(1, proberThreads);
        this.maintenanceExecutor = new ScheduledThreadPoolExecutor(1, maintenanceThreads);
        this.timer = new ScheduledThreadPoolExecutor(1, timerThreads);
        // Unbounded on purpose: a callback that blocks holds its own thread and nobody else's completion.
        this.ownedCompletions = completionExecutor != null ? null
                : new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
                        callbackThreads);

        this.router = new Router(config, transport, store, consumerRegistry, tracker, detector, new MessageIds(clock), clock,
                metrics, timer);
        CompletionDispatcher completions = new CompletionDispatcher(
                completionExecutor != null ? completionExecutor : ownedCompletions, System::nanoTime);
        timer.scheduleWithFixedDelay(SurvivingJob.of("completion stall check", completions::checkStalled),
                CompletionDispatcher.CHECK_NANOS, CompletionDispatcher.CHECK_NANOS, TimeUnit.NANOSECONDS);
        this.producer = new CallerCompletions(router, completions);
        this.consumer = new DualPathConsumer(config, transport, store, consumerRegistry, tracker, metrics,
                new HandlerIdempotency(guard, idempotencyTtl, idempotencyLease), consumerId, maintenanceExecutor);
        this.drillExpiry = new DrillExpiry(config, leadership, tracker, clock, this::probeSuccesses);
        this.prober = new Prober(config, transport, leadership, tracker, clock, metrics, drillExpiry);
        this.drain = new DrainDecision(config, leadership, consumerRegistry, store, tracker, clock, metrics);
        this.republisher = new Republisher(config, transport, store, consumerRegistry, tracker, consumerId);
        tracker.addObserver(consumer);
        this.events = new EventBus(config.namespace(), clock);
        tracker.addObserver(events);
        this.reporter = new InstanceReporter(consumerRegistry, tracker, metrics, consumer::subscriptionNames, clock, instanceId,
                host, pid);
        tracker.addObserver(reporter);
        transport.brokerHealthListener(new BrokerHealthRecorder(metrics, config.namespace(), events));
        try {
            registerGauges();
        } catch (RuntimeException e) {
            metrics.close();
            shutdownThreads(System.nanoTime());
            throw e;
        }
    }

    private int probeSuccesses() {
        return prober.consecutiveSuccesses();
    }

    private void registerGauges() {
        metrics.gauge("detector.consecutive-failures", (Gauge<Integer>) detector::consecutiveFailures);
        metrics.gauge("detector.failure-rate", (Gauge<Integer>) detector::failureRate);
        metrics.gauge("detector.slow-call-rate", (Gauge<Integer>) detector::slowCallRate);
        metrics.gauge("transport.brokers.isolated", (Gauge<Integer>) () -> transport.isolatedBrokers().size());
        metrics.gauge("migration.unregistered-groups", (Gauge<Integer>) transport::unregisteredConsumerGroups);
        metrics.gauge("switch.state", (Gauge<Integer>) () -> tracker.status().state().ordinal());
        metrics.gauge("switch.effective-state", (Gauge<Integer>) () -> tracker.effectiveState().ordinal());
        metrics.gauge("switch.epoch", (Gauge<Long>) () -> tracker.status().epoch());
        metrics.gauge("switch.reachable", (Gauge<Integer>) () -> sw.isReachable() ? 1 : 0);
        metrics.gauge("switch.leader", (Gauge<Integer>) () -> leadership.isLeader() ? 1 : 0);
    }

    /**
     * The probe topic, created at start if the MQ allows ({@link PrimaryTransport#ensureTopic}); a topic that does not
     * exist and cannot be created fails the start ({@code ConfigurationException} naming the fix); an MQ that cannot
     * be asked now does not (SmartMQ starts degraded if it must; the prober finds the MQ later).
     */
    private void ensureProbeTopic() {
        try {
            if (transport.ensureTopic(config.probeTopic(), config.probeTimeout())) {
                log.info("SmartMQ: probe topic {} created", config.probeTopic());
            }
        } catch (dev.smartmq.spi.TransportException e) {
            log.warn("SmartMQ: probe topic {} not checked at start ({}); the prober needs it to find the MQ healthy"
                    + " again after a degrade", config.probeTopic(), e.getMessage());
        }
    }

    /** Starts the ports (switch, fallback store, transport, in this order), then the engine's loops. */
    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("SmartMQ engine already started");
        }
        int started = 0;
        try {
            coordination.start();
            started++;
            store.start();
            started++;
            checkShardCount(true);
            transport.start();
            started++;
            ensureProbeTopic();
        } catch (RuntimeException e) {
            log.error("SmartMQ: starting the ports failed; closing what was started", e);
            if (started >= 3) {
                closeQuietly(transport, "transport");
            }
            if (started >= 2) {
                closeQuietly(store, "fallback store");
            }
            if (started >= 1) {
                closeQuietly(coordination, "switch");
            }
            metrics.close();
            shutdownThreads(System.nanoTime());
            state.set(State.CLOSED);
            throw e;
        }
        tracker.bind(switchExecutor);
        sw.addListener(tracker, switchExecutor);
        sw.addListener(drillExpiry, switchExecutor);
        leadership.addListener(tracker, switchExecutor);
        leadership.addListener(drillExpiry, switchExecutor);
        drillExpiry.bind(timer, switchExecutor);
        // Every periodic job is wrapped: a Throwable of one run (an Error included) must not cancel the later runs.
        proberExecutor.scheduleWithFixedDelay(SurvivingJob.of("prober", prober::tick),
                config.probeInterval().toNanos(), config.probeInterval().toNanos(), TimeUnit.NANOSECONDS);
        proberExecutor.scheduleWithFixedDelay(SurvivingJob.of("drain decision", drain::tick),
                config.drainCheckInterval().toNanos(), config.drainCheckInterval().toNanos(), TimeUnit.NANOSECONDS);
        maintenanceExecutor.scheduleWithFixedDelay(SurvivingJob.of("maintenance", this::maintain),
                config.drainCheckInterval().toNanos(), config.drainCheckInterval().toNanos(), TimeUnit.NANOSECONDS);
        maintenanceExecutor.scheduleWithFixedDelay(SurvivingJob.of("orphan reaper", consumer::reapOrphans),
                config.orphanReapInterval().toNanos(), config.orphanReapInterval().toNanos(), TimeUnit.NANOSECONDS);
        proberExecutor.scheduleWithFixedDelay(SurvivingJob.of("isolated-broker probe", prober::probeIsolatedBrokers),
                config.probeInterval().toNanos(), config.probeInterval().toNanos(), TimeUnit.NANOSECONDS);
        if (!config.republishTopics().isEmpty()) {
            republisher.start();
            maintenanceExecutor.scheduleWithFixedDelay(SurvivingJob.of("republisher", republisher::tick),
                    config.drainCheckInterval().toNanos(), config.drainCheckInterval().toNanos(), TimeUnit.NANOSECONDS);
        }
        reporter.report();
        SwitchStatus s = tracker.status();
        log.info("SmartMQ {} started: namespace '{}', switch {} (epoch {}, {}), {} fallback shards",
                instanceId, config.namespace(), s.state(), s.epoch(), s.mode(), store.shardCount());
    }

    /**
     * The namespace's shard count is fixed (DESIGN.md §5): the first instance stores it in the switch, and an
     * instance whose store has another one would strand shards. At start a mismatch refuses to start; if the
     * switch could not answer, the maintenance loop checks again and reports a late mismatch at ERROR.
     */
    private void checkShardCount(boolean starting) {
        if (shardCountChecked) {
            return;
        }
        int mine = store.shardCount();
        java.util.OptionalInt stored = sw.recordShardCount(mine);
        if (stored == null || stored.isEmpty()) {
            if (starting) {
                log.warn("SmartMQ: cannot check the shard count of namespace '{}' now (the switch does not answer); "
                        + "checking again when it does", config.namespace());
            }
            return;
        }
        shardCountChecked = true;
        if (stored.getAsInt() != mine) {
            String msg = "the fallback store has " + mine + " shards, but namespace '" + config.namespace()
                    + "' was created with " + stored.getAsInt() + " shards (stored in the switch at its first use); "
                    + "every instance of a namespace must use the same shard count, or messages in the other "
                    + "shards are stranded";
            if (starting) {
                throw new dev.smartmq.api.ConfigurationException(msg);
            }
            log.error("SmartMQ: STOP THIS INSTANCE: {}", msg);
        }
    }

    private void maintain() {
        try {
            checkShardCount(false);
            tracker.status();
            if (tracker.isLocallyDegraded() && sw.isReachable()) {
                tracker.schedulePublish();
            }
            consumer.maintain();
            reporter.report();
        } catch (RuntimeException e) {
            log.warn("SmartMQ maintenance failed: {}", e.toString());
        }
    }

    public SmartProducer producer() {
        return producer;
    }

    public SmartConsumer consumer() {
        return consumer;
    }

    public SwitchStatus switchStatus() {
        return tracker.status();
    }

    public SwitchState effectiveState() {
        return tracker.effectiveState();
    }

    /** Subscriptions to this instance's events (delivered on {@code smartmq-events-1}). */
    public SmartMQEventPublisher events() {
        return events;
    }

    public MetricRegistry metricRegistry() {
        return registry;
    }

    /** {@code host/pid/id}: the actor named in switch transitions this instance makes. */
    public String instanceId() {
        return instanceId;
    }

    /** The id this instance's consumers register and claim with. */
    public String consumerId() {
        return consumer.consumerId();
    }

    /**
     * Closes consumers (handlers finish, claims return), then the producer (sends in progress finish), then
     * the engine's threads, then the transport, the fallback store and the switch. Idempotent.
     */
    @Override
    public void close() {
        State previous = state.getAndSet(State.CLOSED);
        if (previous == State.CLOSED) {
            return;
        }
        long start = System.nanoTime();
        if (previous == State.STARTED) {
            consumer.close();
            republisher.close();
            router.close();
            try {
                sw.removeListener(tracker);
                sw.removeListener(drillExpiry);
                leadership.removeListener(tracker);
                leadership.removeListener(drillExpiry);
            } catch (RuntimeException e) {
                log.warn("SmartMQ: removing the switch listener failed", e);
            }
        }
        shutdownThreads(System.nanoTime() + config.shutdownTimeout().toNanos());
        events.close(System.nanoTime() + config.shutdownTimeout().toNanos());
        if (previous == State.STARTED) {
            closeQuietly(transport, "transport");
            closeQuietly(store, "fallback store");
            closeQuietly(coordination, "switch");
        }
        metrics.close();
        log.info("SmartMQ {} closed in {} ms", instanceId, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    private void shutdownThreads(long deadlineNanos) {
        NamedThreadFactory.shutdown(proberExecutor, proberThreads, deadlineNanos, 1000);
        NamedThreadFactory.shutdown(maintenanceExecutor, maintenanceThreads, deadlineNanos, 1000);
        NamedThreadFactory.shutdown(timer, timerThreads, deadlineNanos, 1000);
        NamedThreadFactory.shutdown(switchExecutor, switchThreads, deadlineNanos, 1000);
        if (ownedCompletions != null) {
            // Last: completions of sends that finished while the other threads stopped still reach callers.
            NamedThreadFactory.shutdown(ownedCompletions, callbackThreads, deadlineNanos, 1000);
        }
    }

    private static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }
}
