package dev.smartmq.core.internal;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.Meter;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.Route;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every metric one SmartMQ instance registers (names in mq-client-core/README.md). The registry may be the
 * user's: this class only adds and, on {@link #close()}, removes the names it registered itself, and never
 * starts a reporter. Gauges read cached values only: a scrape never causes I/O.
 */
final class EngineMetrics implements AutoCloseable {

    private final MetricRegistry registry;
    private final String prefix;
    private final Set<String> registered = ConcurrentHashMap.newKeySet();
    private final ConcurrentMap<String, AtomicLong> backlogs = new ConcurrentHashMap<>();
    /** Set by {@link #close()}: nothing is registered after it. */
    private boolean closed;

    final Meter sendsMq;
    final Meter sendsFallback;
    final Meter sendsFailed;
    final Meter sendsRejected;
    final Meter failovers;
    final Meter sendsIsolated;
    final Meter sendsNoRoute;
    final Meter sendsKindRefused;
    final Meter brokerFailures;
    final Counter brownoutTrips;
    final Counter brokerIsolations;
    final Counter brokerReadmissions;
    final Timer latencyMq;
    final Timer latencyFallback;

    final Counter transitionsSeen;
    final Counter transitionsMade;
    final Counter localDegradations;

    final Counter probeSuccesses;
    final Counter probeFailures;

    final Meter consumedMq;
    final Meter consumedFallback;
    final Meter retriedMq;
    final Meter retriedFallback;
    final Meter deadLettered;
    final Meter deadLetteredMq;
    final Meter duplicates;
    final Meter drained;
    final Counter orphansRecovered;
    /** Sends per topic and deliveries per (topic, group), beside the totals above. */
    final TopicTraffic traffic;

    /**
     * A timer with the lock-free variant of Dropwizard's default (exponentially decaying) reservoir: the same
     * statistics, without the read-write lock every send of every thread takes in the default one.
     */
    private static Timer latencyTimer() {
        return new Timer(LockFreeExponentiallyDecayingReservoir.builder().build());
    }

    EngineMetrics(MetricRegistry registry, String prefix) {
        this.registry = registry;
        this.prefix = prefix;
        try {
            sendsMq = add("producer.sends.mq", new Meter());
            sendsFallback = add("producer.sends.fallback", new Meter());
            sendsFailed = add("producer.sends.failed", new Meter());
            sendsRejected = add("producer.sends.rejected", new Meter());
            failovers = add("producer.failovers", new Meter());
            sendsIsolated = add("producer.sends.isolated", new Meter());
            sendsNoRoute = add("producer.sends.no-route", new Meter());
            sendsKindRefused = add("producer.sends.kind-refused", new Meter());
            brokerFailures = add("producer.failures.broker", new Meter());
            brownoutTrips = add("detector.brownout-trips", new Counter());
            brokerIsolations = add("transport.brokers.isolations", new Counter());
            brokerReadmissions = add("transport.brokers.readmissions", new Counter());
            latencyMq = add("producer.latency.mq", latencyTimer());
            latencyFallback = add("producer.latency.fallback", latencyTimer());
            transitionsSeen = add("switch.transitions", new Counter());
            transitionsMade = add("switch.transitions.made", new Counter());
            localDegradations = add("switch.local-degradations", new Counter());
            probeSuccesses = add("prober.probes.success", new Counter());
            probeFailures = add("prober.probes.failure", new Counter());
            consumedMq = add("consumer.consumed.mq", new Meter());
            consumedFallback = add("consumer.consumed.fallback", new Meter());
            retriedMq = add("consumer.retried.mq", new Meter());
            retriedFallback = add("consumer.retried.fallback", new Meter());
            deadLettered = add("consumer.dead-lettered.fallback", new Meter());
            deadLetteredMq = add("consumer.dead-lettered.mq", new Meter());
            duplicates = add("consumer.duplicates", new Meter());
            drained = add("fallback.drained", new Meter());
            orphansRecovered = add("fallback.orphans-recovered", new Counter());
            traffic = new TopicTraffic(this);
        } catch (IllegalArgumentException e) {
            close();
            throw new ConfigurationException("metricRegistry already holds SmartMQ metrics under '" + prefix
                    + ".' (" + e.getMessage() + "); give each SmartMQ instance its own registry or metricPrefix");
        }
    }

    String name(String suffix) {
        return prefix + "." + suffix;
    }

    /**
     * Registers {@code metric}; after {@link #close()} it is returned unregistered, so a late first send of a topic
     * (a per-topic counter) cannot leave a metric behind in the user's registry.
     */
    synchronized <T extends Metric> T add(String suffix, T metric) {
        if (closed) {
            return metric;
        }
        String name = name(suffix);
        registry.register(name, metric);
        registered.add(name);
        return metric;
    }

    <T> void gauge(String suffix, Gauge<T> gauge) {
        try {
            add(suffix, gauge);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("metricRegistry already holds " + name(suffix)
                    + "; give each SmartMQ instance its own registry or metricPrefix");
        }
    }

    Meter consumed(Route route) {
        return route == Route.MQ ? consumedMq : consumedFallback;
    }

    Meter retried(Route route) {
        return route == Route.MQ ? retriedMq : retriedFallback;
    }

    /** Caches the fallback backlog of (topic, group) for its gauge; the first value registers the gauge. */
    void backlog(String topic, String group, long value) {
        String suffix = "fallback.backlog." + topic + "." + group;
        backlogs.computeIfAbsent(suffix, s -> {
            AtomicLong holder = new AtomicLong(-1);
            try {
                add(s, (Gauge<Long>) holder::get);
            } catch (IllegalArgumentException e) {
                // Someone else owns the name; keep the value for ourselves rather than fail a drain loop.
                return holder;
            }
            return holder;
        }).set(value);
    }

    @Override
    public synchronized void close() {
        closed = true;
        for (String name : registered) {
            registry.remove(name);
        }
        registered.clear();
        backlogs.clear();
    }
}
