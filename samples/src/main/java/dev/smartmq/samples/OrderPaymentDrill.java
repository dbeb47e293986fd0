package dev.smartmq.samples;

import static dev.smartmq.api.internal.Closeables.closeQuietly;

import dev.smartmq.api.internal.NamedThreadFactory;
import com.codahale.metrics.MetricRegistry;
import dev.smartmq.metrics.SmartMQPrometheus;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.InetSocketAddress;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SwitchState;
import dev.smartmq.testkit.checker.CheckReport;
import dev.smartmq.testkit.checker.DeliveryChecker;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The order-payment drill (DESIGN.md §1): the order service publishes {@code OrderPaid} events keyed by order id
 * to {@value #TOPIC}; the groups {@code inventory}, {@code credit} and {@code warehouse} each consume every one
 * of them. Mid-stream the MQ fails; SmartMQ must degrade to Redis, keep every message flowing, come back when
 * the MQ is repaired and drain Redis — losing nothing it acknowledged.
 *
 * <p>Over 400 lines because the drill is one linear scenario: {@link #run()} walks the phases below in order so a
 * reader follows it top to bottom; the servers, the load, the watchers and the downstream groups are already their
 * own classes.
 *
 * <pre>{@code
 * DrillResult result = new OrderPaymentDrill(DrillOptions.parse(args), System.out).run();
 * System.out.println(result.summary());
 * System.out.println(result.resultLine());
 * }</pre>
 *
 * <p>Phases, each bounded in time; the first that fails is named in the result and the drill still repairs the
 * fault, stops the load, waits (bounded) for deliveries and closes everything: {@code start-servers},
 * {@code start-services}, {@code register-groups}, {@code inject-fault}, {@code await-degraded},
 * {@code repair}, {@code await-recovering}, {@code await-normal}, {@code stop-load}, {@code await-deliveries}.
 * {@link #run()} never calls {@code System.exit}; it returns when every server and client is closed.
 */
public final class OrderPaymentDrill {

    /** The business topic. */
    public static final String TOPIC = "ORDER_PAID";
    /** The topic SmartMQ's prober sends its probes to. */
    public static final String PROBE_TOPIC = "SMARTMQ_PROBE";
    /** The consumer groups, each a downstream service. */
    public static final List<String> GROUPS = List.of("inventory", "credit", "warehouse");

    static final String ORDER_SERVICE = "order-service";
    private static final int QUEUES = 8;
    private static final Duration REGISTER_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_LOAD_TIMEOUT = Service.SEND_TIMEOUT.multipliedBy(2).plusSeconds(10);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(25);
    private static final Logger LOG = LoggerFactory.getLogger(OrderPaymentDrill.class);

    private final DrillOptions options;
    private final PrintStream out;
    private final DeliveryChecker checker = DeliveryChecker.create();
    private final MetricRegistry registry = new MetricRegistry();
    private volatile SmartMQPrometheus.Endpoint metricsEndpoint;

    private volatile String phase = "start-servers";
    private volatile String display = "starting";
    private String failedPhase;
    private String failureDetail;
    private volatile long loadStartNanos;
    private long faultAtNanos;

    public OrderPaymentDrill(DrillOptions options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /** Runs the whole drill and returns its result once everything is closed. */
    public DrillResult run() {
        checker.expectGroups(GROUPS.toArray(String[]::new));
        Infrastructure infra = null;
        Service orderService = null;
        List<DownstreamService> downstream = new ArrayList<>();
        OrderLoad load = null;
        SwitchWatcher watcher = null;
        ScheduledExecutorService progress = null;
        boolean faultActive = false;
        try {
            out.println("== order-payment drill: " + options);
            infra = Infrastructure.start(options.fault().needsBrokerProxy(), QUEUES, TOPIC, PROBE_TOPIC);
            out.println("== servers up: " + infra.describe());

            enter("start-services", "starting");
            SmartMQConfig config = Service.drillConfig(PROBE_TOPIC);
            for (String group : GROUPS) {
                DownstreamService s = new DownstreamService(group, Service.start(group + "-service", infra, config,
                        registry), checker);
                downstream.add(s);
                s.subscribe(TOPIC, options.ordering());
            }
            orderService = Service.start(ORDER_SERVICE, infra, config, registry);
            if (options.prometheusPort() > 0) {
                // Loopback only: a demo does not publish its metrics to the network.
                metricsEndpoint = SmartMQPrometheus.serve(registry,
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), options.prometheusPort()));
                out.println("== metrics: http://127.0.0.1:" + options.prometheusPort()
                        + "/metrics (series *_switch_state and *_fallback_backlog_*)");
            }

            // A fallback write reaches the groups registered at that moment: start sending once all three are.
            enter("register-groups", "starting");
            Service producerSide = orderService;
            if (!await(() -> producerSide.coordination().registry().groups(TOPIC).containsAll(GROUPS),
                    deadline(REGISTER_TIMEOUT))) {
                fail("register-groups", "groups registered for " + TOPIC + " after " + REGISTER_TIMEOUT.toSeconds()
                        + " s: " + producerSide.coordination().registry().groups(TOPIC) + ", expected " + GROUPS);
                throw new PhaseAbort();
            }

            List<DownstreamService> groups = List.copyOf(downstream);
            watcher = new SwitchWatcher(orderService.mq(), checker, () -> totalBacklog(groups));
            watcher.start();
            load = new OrderLoad(orderService.mq().producer(), checker, TOPIC, options.rate(), options.keys(),
                    options.producerThreads());
            out.println("== progress every second: [time since the load started] drill phase, switch state the"
                    + " order service sees, sends (acknowledged via MQ / via Redis), Redis backlog per group,"
                    + " distinct messages consumed per group");
            progress = startProgress(load, watcher, groups);

            enter("load", options.fault() == Fault.NONE ? "steady" : "pre-fault");
            loadStartNanos = System.nanoTime();
            checker.mark("load-started");
            load.start();

            if (options.fault() != Fault.NONE) {
                sleepUntil(loadStartNanos + options.faultDelay().toNanos());
                enter("inject-fault", "fault-on");
                watcher.arm();
                checker.mark("fault-injected");
                faultAtNanos = System.nanoTime();
                out.println("== injecting fault: " + options.fault().optionName());
                faultActive = true;
                options.fault().inject(infra.rocketMQ());

                enter("await-degraded", "fault-on");
                SwitchWatcher w = watcher;
                boolean degraded = await(() -> w.seenSinceArmed(SwitchState.DEGRADED),
                        faultAtNanos + options.degradeTimeout().toNanos());
                if (!degraded) {
                    fail("await-degraded", "the switch was still " + w.state() + " "
                            + options.degradeTimeout().toSeconds() + " s after the fault");
                } else {
                    // the load goes on through Redis while the MQ is still broken
                    sleepUntil(w.firstSeenNanos(SwitchState.DEGRADED) + options.degradedHold().toNanos());
                }

                enter("repair", "repairing");
                out.println("== repairing: " + options.fault().optionName());
                options.fault().repair(infra.rocketMQ());
                faultActive = false;
                checker.mark("repaired");

                if (degraded) {
                    long recoverDeadline = deadline(options.recoverTimeout());
                    enter("await-recovering", "repaired");
                    if (!await(() -> w.seenSinceArmed(SwitchState.RECOVERING), recoverDeadline)) {
                        fail("await-recovering", "the switch was still " + w.state() + " "
                                + options.recoverTimeout().toSeconds() + " s after the repair");
                    } else {
                        enter("await-normal", "repaired");
                        if (!await(() -> w.seenSinceArmed(SwitchState.NORMAL) && w.state() == SwitchState.NORMAL,
                                recoverDeadline)) {
                            fail("await-normal", "the switch was still " + w.state() + " "
                                    + options.recoverTimeout().toSeconds() + " s after the repair");
                        }
                    }
                }
            }

            enter("load", options.fault() == Fault.NONE ? "steady" : "recovered");
            sleepUntil(loadStartNanos + options.duration().toNanos());
            if (options.fault() != Fault.NONE && failedPhase == null && watcher.state() != SwitchState.NORMAL) {
                // It flapped after coming back: let it settle (bounded) before judging.
                SwitchWatcher w = watcher;
                enter("await-normal", "repaired");
                if (!await(() -> w.state() == SwitchState.NORMAL, deadline(options.recoverTimeout()))) {
                    fail("await-normal", "the switch was " + w.state() + " at the end of the load");
                }
            }
        } catch (PhaseAbort e) {
            LOG.debug("drill aborted in phase {}", failedPhase);
        } catch (Infrastructure.StartFailure e) {
            fail(phase, e.getMessage());
            LOG.debug("drill servers did not start", e);
        } catch (RuntimeException | Error e) {
            fail(phase, e.toString());
            LOG.error("drill failed in phase {}", phase, e);
        } finally {
            finish(infra, faultActive, load, progress);
        }
        // Deliveries are judged after the load stopped and before anything is closed.
        if (load != null) {
            enter("await-deliveries", "draining");
            boolean all = checker.awaitAllDelivered(options.deliveryTimeout());
            checker.mark("all-delivered-check");
            if (!all) {
                fail("await-deliveries", "not every group had every acknowledged message "
                        + options.deliveryTimeout().toSeconds() + " s after the load stopped");
            }
        }
        if (progress != null) {
            progress.shutdownNow();
            awaitTermination(progress);
        }
        SwitchWatcher finalWatcher = watcher;
        long peak = watcher == null ? 0 : watcher.peakBacklog();
        List<SwitchWatcher.Change> changes = watcher == null ? List.of() : watcher.changes();
        printScrape();
        enter("shutdown", "closing");
        closeAll(orderService, downstream, finalWatcher, infra);

        CheckReport report = checker.report();
        long degradeMs = report.millisBetween("fault-injected", "degraded").orElse(-1);
        long recoverMs = report.millisBetween("repaired", "normal").orElse(-1);
        boolean sawDegraded = changes.stream().anyMatch(c -> c.to() == SwitchState.DEGRADED);
        boolean sawNormal = changes.stream().anyMatch(c -> c.to() == SwitchState.NORMAL);
        long localDegradeMs = watcher == null || watcher.firstLocalDegradeNanos() == 0 ? -1
                : TimeUnit.NANOSECONDS.toMillis(watcher.firstLocalDegradeNanos() - faultAtNanos);
        String summary = summarize(report, degradeMs, localDegradeMs, recoverMs, peak, changes, load, downstream);
        long samePath = downstream.stream().mapToLong(g -> g.lateSamePath.sum()).sum();
        long acrossPaths = downstream.stream().mapToLong(g -> g.lateAcrossPaths.sum()).sum();
        return new DrillResult(report, degradeMs, recoverMs, peak, sawDegraded, sawNormal, samePath, acrossPaths,
                failedPhase, failureDetail, summary);
    }

    // ---------------------------------------------------------------- phases

    private void finish(Infrastructure infra, boolean faultActive, OrderLoad load, ScheduledExecutorService progress) {
        if (faultActive && infra != null) {
            // A phase failed with the MQ still broken: repair it so the drain can finish.
            try {
                options.fault().repair(infra.rocketMQ());
                checker.mark("repaired");
            } catch (RuntimeException e) {
                LOG.warn("could not repair the fault {}: {}", options.fault().optionName(), e.toString());
            }
        }
        if (load != null) {
            enter("stop-load", "draining");
            boolean stopped = load.stop(STOP_LOAD_TIMEOUT);
            checker.mark("load-stopped");
            if (!stopped) {
                fail("stop-load", "sending threads still busy " + STOP_LOAD_TIMEOUT.toSeconds() + " s after stop");
            }
        }
    }

    private void closeAll(Service orderService, List<DownstreamService> downstream, SwitchWatcher watcher,
                          Infrastructure infra) {
        // Producer first, then consumers, then the servers: nobody talks to a server that is gone.
        closeQuietly(watcher, "watcher");
        closeQuietly(orderService, ORDER_SERVICE);
        for (DownstreamService s : downstream) {
            closeQuietly(s, s.service().name());
        }
        closeQuietly(infra, "servers");
        closeQuietly(metricsEndpoint, "metrics endpoint");
    }

    /** Shows what a scraper sees at the end: the switch state and backlog series of the endpoint. */
    private void printScrape() {
        if (metricsEndpoint == null) {
            return;
        }
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + options.prometheusPort() + "/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            out.println("== scraped /metrics (HTTP " + r.statusCode() + "), switch state and backlog series:");
            r.body().lines()
                    .filter(l -> !l.startsWith("#") && (l.contains("_switch_state") || l.contains("_fallback_backlog_")))
                    .limit(16)
                    .forEach(l -> out.println("   " + l));
        } catch (java.io.IOException e) {
            out.println("== scraping /metrics failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void enter(String newPhase, String newDisplay) {
        phase = newPhase;
        display = newDisplay;
        LOG.debug("drill phase {}", newPhase);
    }

    private void fail(String inPhase, String detail) {
        if (failedPhase == null) {
            failedPhase = inPhase;
            failureDetail = detail;
        }
        out.println("== DRILL PHASE FAILED: " + inPhase + ": " + detail);
    }

    /** Thrown to skip the rest of the timeline after {@link #fail}; the cleanup still runs. */
    private static final class PhaseAbort extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PhaseAbort() {
            super(null, null, false, false);
        }
    }

    // ---------------------------------------------------------------- progress

    private ScheduledExecutorService startProgress(OrderLoad load, SwitchWatcher watcher,
                                                   List<DownstreamService> groups) {
        ScheduledExecutorService ses = Executors.newSingleThreadScheduledExecutor(
                new NamedThreadFactory("drill-progress"));
        ses.scheduleAtFixedRate(() -> {
            try {
                out.println(progressLine(load, watcher, groups));
            } catch (RuntimeException e) {
                LOG.warn("progress line failed: {}", e.toString());
            }
        }, 1, 1, TimeUnit.SECONDS);
        return ses;
    }

    private String progressLine(OrderLoad load, SwitchWatcher watcher, List<DownstreamService> groups) {
        long secs = loadStartNanos == 0 ? 0 : Math.round((System.nanoTime() - loadStartNanos) / 1e9);
        StringBuilder backlog = new StringBuilder();
        StringBuilder consumed = new StringBuilder();
        for (DownstreamService g : groups) {
            long b = g.backlog(TOPIC);
            backlog.append(' ').append(g.group()).append('=').append(b < 0 ? "?" : Long.toString(b));
            consumed.append(' ').append(g.group()).append('=').append(g.effectsApplied.sum());
        }
        SwitchState published = watcher.state();
        SwitchState routing = watcher.effectiveState();
        String sw = published == routing ? published.name() : published + " (routing " + routing + " locally)";
        return String.format(Locale.ROOT, "[%4ds] %-10s switch=%-10s sent=%-6d acked=%-6d mq=%-6d fallback=%-6d"
                        + " | backlog%s | consumed%s", secs, display, sw, load.sent.sum(), load.acked(),
                load.viaMq.sum(), load.viaFallback.sum(), backlog, consumed);
    }

    private static long totalBacklog(List<DownstreamService> groups) {
        long total = 0;
        for (DownstreamService g : groups) {
            total += Math.max(0, g.backlog(TOPIC));
        }
        return total;
    }

    // ---------------------------------------------------------------- summary

    private String summarize(CheckReport report, long degradeMs, long localDegradeMs, long recoverMs, long peak,
                             List<SwitchWatcher.Change> changes, OrderLoad load, List<DownstreamService> groups) {
        StringBuilder sb = new StringBuilder();
        if (load == null) {
            // Nothing was sent, so nothing was checked: no table, and above all no "CLEAN".
            sb.append("== the drill did not run: ").append(failureDetail == null ? "it stopped before the load"
                    : failureDetail).append('\n');
            sb.append("DRILL INCOMPLETE: phase ").append(failedPhase).append(": ").append(failureDetail);
            return sb.toString();
        }
        sb.append("== drill report (").append(options).append(")\n");
        sb.append(report.toTable()).append('\n');
        long start = report.marks().isEmpty() ? 0 : report.marks().get(0).atMillis();
        if (!changes.isEmpty()) {
            sb.append("switch as the order service saw it:");
            for (SwitchWatcher.Change c : changes) {
                sb.append(String.format(Locale.ROOT, "%n  +%6.1fs %s -> %s (epoch %d: %s)",
                        (c.atMillis() - start) / 1000.0, c.from(), c.to(), c.epoch(), c.reason()));
            }
            sb.append('\n');
        }
        sb.append("time to degrade (fault injected -> DEGRADED seen): ").append(ms(degradeMs))
                .append("; the order service itself routed to Redis after ").append(ms(localDegradeMs)).append('\n');
        sb.append("time to recover (repaired -> NORMAL seen, Redis drained): ").append(ms(recoverMs)).append('\n');
        sb.append("peak Redis backlog (all groups, sampled every ").append(SwitchWatcher.POLL_MILLIS).append(" ms): ")
                .append(peak).append(" messages\n");
        if (load != null) {
            sb.append(String.format(Locale.ROOT, "order service: sent=%d acked via MQ=%d via Redis=%d failed=%d"
                            + " unknown=%d%n", load.sent.sum(), load.viaMq.sum(), load.viaFallback.sum(),
                    load.failed.sum(), load.unknown.sum()));
            if (load.failed.sum() + load.unknown.sum() > 0) {
                // Not lost: SmartMQ said so to the caller, who still owns the message (a real service retries).
                sb.append("sends SmartMQ reported as not stored (or unknown), e.g.: ")
                        .append(report.errorSamples().isEmpty() ? "-" : report.errorSamples().get(0)).append('\n');
            }
        }
        for (DownstreamService g : groups) {
            sb.append(String.format(Locale.ROOT, "%-9s deliveries=%d (MQ=%d Redis=%d), effects applied after"
                            + " dedupe=%d, duplicates skipped=%d, out of order: across paths=%d same path=%d%n",
                    g.group(), g.deliveries.sum(), g.viaMq.sum(), g.viaFallback.sum(), g.effectsApplied.sum(),
                    g.duplicatesSkipped.sum(), g.lateAcrossPaths.sum(), g.lateSamePath.sum()));
        }
        if (failedPhase != null) {
            sb.append("DRILL INCOMPLETE: phase ").append(failedPhase).append(": ").append(failureDetail);
        } else {
            sb.append("drill complete: every phase finished within its timeout");
        }
        return sb.toString();
    }

    private static String ms(long v) {
        return v < 0 ? "n/a" : v + " ms";
    }

    // ---------------------------------------------------------------- time

    private static long deadline(Duration d) {
        return System.nanoTime() + d.toNanos();
    }

    /** Polls {@code condition} every 25 ms until it holds or {@code deadlineNanos} passes. */
    private static boolean await(BooleanSupplier condition, long deadlineNanos) {
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadlineNanos >= 0 || Thread.currentThread().isInterrupted()) {
                return false;
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        return true;
    }

    /** The drill's own timeline: holding the load for a while is the scenario, not a wait for a condition. */
    private static void sleepUntil(long deadlineNanos) {
        long left;
        while ((left = deadlineNanos - System.nanoTime()) > 0 && !Thread.currentThread().isInterrupted()) {
            LockSupport.parkNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
        }
    }

    private static void awaitTermination(ScheduledExecutorService ses) {
        try {
            ses.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
