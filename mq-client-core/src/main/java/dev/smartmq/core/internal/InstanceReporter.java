package dev.smartmq.core.internal;

import dev.smartmq.api.SwitchState;
import dev.smartmq.spi.ConsumerRegistry;
import dev.smartmq.spi.InstanceReport;
import java.time.Clock;
import java.time.Instant;
import java.util.SortedSet;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds this instance's {@link InstanceReport} and hands it to the switch (issue 22) when it differs from the last
 * one handed over: at start, on every effective-state change, and from the maintenance loop (which picks up new
 * subscriptions and the first send). The switch adapter writes only on change too, so an idle instance costs no
 * ZooKeeper writes.
 *
 * <p>Thread rules: {@link #report()} may be called from any engine thread; it is serialised on this object.
 */
final class InstanceReporter implements SwitchTracker.EffectiveStateObserver {
    private static final Logger log = LoggerFactory.getLogger(InstanceReporter.class);

    private final ConsumerRegistry sw;
    private final SwitchTracker tracker;
    private final EngineMetrics metrics;
    private final Supplier<SortedSet<String>> consumerGroups;
    private final Clock clock;
    private final String instanceId;
    private final String host;
    private final long pid;
    private final String sdkVersion;
    private final Instant startedAt;
    private volatile Instant effectiveSince;
    private InstanceReport last;

    InstanceReporter(ConsumerRegistry sw, SwitchTracker tracker, EngineMetrics metrics,
                     Supplier<SortedSet<String>> consumerGroups, Clock clock, String instanceId, String host,
                     long pid) {
        this.sw = sw;
        this.tracker = tracker;
        this.metrics = metrics;
        this.consumerGroups = consumerGroups;
        this.clock = clock;
        this.instanceId = instanceId;
        this.host = host;
        this.pid = pid;
        String v = InstanceReporter.class.getPackage().getImplementationVersion();
        this.sdkVersion = v == null ? "development" : v;
        this.startedAt = clock.instant();
        this.effectiveSince = startedAt;
    }

    @Override
    public void onEffectiveStateChanged(SwitchState previous, SwitchState current) {
        effectiveSince = clock.instant();
        report();
    }

    synchronized void report() {
        try {
            boolean producer = metrics.sendsMq.getCount() + metrics.sendsFallback.getCount()
                    + metrics.sendsFailed.getCount() > 0;
            InstanceReport r = new InstanceReport(instanceId, host, pid, sdkVersion, startedAt,
                    tracker.effectiveState(), effectiveSince, tracker.status().epoch(), producer,
                    consumerGroups.get());
            if (r.equals(last)) {
                return;
            }
            last = r;
            sw.reportInstance(r);
        } catch (RuntimeException e) {
            log.warn("SmartMQ: reporting this instance to the registry failed: {}", e.toString());
        }
    }
}
