package dev.smartmq.spring.boot.autoconfigure;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Counting;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.MetricRegistryListener;
import com.codahale.metrics.Timer;
import dev.smartmq.api.SwitchState;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Exposes one SmartMQ instance's engine metrics (its Dropwizard registry, names in mq-client-core/README.md)
 * as Micrometer meters with tags instead of names with the topic inside: {@code namespace} on every meter,
 * {@code route} ({@code mq}, {@code fallback}, {@code none}), {@code outcome}, {@code topic} and {@code group}
 * (backlog), {@code state} and {@code view} (switch). In Prometheus, e.g.
 * {@code smartmq_sends_total{namespace="orders",topic="ORDER_PAID",route="fallback",outcome="success"}} and
 * {@code smartmq_consumed_total{namespace,topic,group,route,outcome}} (from the engine's per-topic counters; the
 * instance totals are {@code smartmq_sends_all_total} and {@code smartmq_consumed_all_total}). The full table is
 * in the module README.
 *
 * <p>No metric is lost: a Dropwizard name this class does not know is exported under
 * {@code smartmq.<name with - as .>} with the namespace tag, and metrics registered later (backlog gauges of a
 * new group) or removed (on close) are followed through a registry listener. Meters read the Dropwizard
 * values on scrape; nothing is copied or polled.
 *
 * <p>Threads: {@link #bindTo} may be called for several registries from any thread; the listener runs on
 * whichever thread registers a Dropwizard metric (an engine thread for backlog gauges).
 */
public class SmartMQMeterBinder implements MeterBinder {

    private record Counted(String name, Tags tags) {
    }

    private static final Map<String, Counted> COUNTED = Map.ofEntries(
            // The instance totals; smartmq.sends (per topic) comes from producer.sends.topic.*.
            Map.entry("producer.sends.mq", counted("smartmq.sends.all", "route", "mq", "outcome", "success")),
            Map.entry("producer.sends.fallback", counted("smartmq.sends.all", "route", "fallback", "outcome", "success")),
            Map.entry("producer.sends.failed", counted("smartmq.sends.all", "route", "none", "outcome", "failed")),
            Map.entry("producer.sends.rejected", counted("smartmq.sends.all", "route", "none", "outcome", "rejected")),
            Map.entry("producer.failovers", counted("smartmq.failovers")),
            Map.entry("transport.brokers.isolations", counted("smartmq.broker.isolations")),
            Map.entry("transport.brokers.readmissions", counted("smartmq.broker.readmissions")),
            Map.entry("switch.transitions", counted("smartmq.switch.transitions.seen")),
            Map.entry("switch.transitions.made", counted("smartmq.switch.transitions.made")),
            Map.entry("switch.local-degradations", counted("smartmq.switch.local.degradations")),
            Map.entry("prober.probes.success", counted("smartmq.probes", "outcome", "success")),
            Map.entry("prober.probes.failure", counted("smartmq.probes", "outcome", "failure")),
            // The instance totals; smartmq.consumed (per topic and group) comes from consumer.deliveries.*.
            Map.entry("consumer.consumed.mq", counted("smartmq.consumed.all", "route", "mq")),
            Map.entry("consumer.consumed.fallback", counted("smartmq.consumed.all", "route", "fallback")),
            Map.entry("consumer.retried.mq", counted("smartmq.retried", "route", "mq")),
            Map.entry("consumer.retried.fallback", counted("smartmq.retried", "route", "fallback")),
            Map.entry("consumer.dead-lettered.fallback", counted("smartmq.dead.lettered", "route", "fallback")),
            Map.entry("consumer.dead-lettered.mq", counted("smartmq.dead.lettered", "route", "mq")),
            Map.entry("consumer.duplicates", counted("smartmq.duplicates")),
            Map.entry("fallback.drained", counted("smartmq.fallback.drained")),
            Map.entry("fallback.orphans-recovered", counted("smartmq.fallback.orphans.recovered")));

    private static final String SENDS_BY_TOPIC = "producer.sends.topic.";
    private static final String DELIVERIES = "consumer.deliveries.";

    private static final Map<String, Counted> TIMERS = Map.of(
            "producer.latency.mq", counted("smartmq.send.latency", "route", "mq"),
            "producer.latency.fallback", counted("smartmq.send.latency", "route", "fallback"));

    private static final Map<String, String> GAUGES = Map.of(
            "detector.consecutive-failures", "smartmq.detector.consecutive.failures",
            "switch.epoch", "smartmq.switch.epoch",
            "switch.reachable", "smartmq.switch.reachable",
            "switch.leader", "smartmq.switch.leader",
            "transport.brokers.isolated", "smartmq.broker.isolated");

    private final MetricRegistry dropwizard;
    private final String prefix;
    private final Tags common;
    /** Per bound registry: Dropwizard name → the Micrometer meters made from it. */
    private final Map<MeterRegistry, Map<String, List<io.micrometer.core.instrument.Meter>>> bridged =
            new ConcurrentHashMap<>();

    /**
     * @param dropwizard   the SmartMQ's registry ({@code SmartMQ.metrics()})
     * @param metricPrefix the prefix its metrics were registered under ({@code smartmq} by default)
     * @param namespace    the SmartMQ namespace, the {@code namespace} tag of every meter
     */
    public SmartMQMeterBinder(MetricRegistry dropwizard, String metricPrefix, String namespace) {
        this.dropwizard = dropwizard;
        this.prefix = metricPrefix + ".";
        this.common = Tags.of("namespace", namespace);
    }

    private static Counted counted(String name, String... tags) {
        return new Counted(name, Tags.of(tags));
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Map<String, List<io.micrometer.core.instrument.Meter>> meters = new ConcurrentHashMap<>();
        if (bridged.putIfAbsent(registry, meters) != null) {
            return;
        }
        // addListener replays every metric already registered, then follows additions and removals.
        dropwizard.addListener(new Listener(registry, meters));
    }

    /**
     * The Dropwizard names under the prefix that have at least one meter in {@code registry} (for the
     * "nothing lost" check).
     */
    public Set<String> bridgedNames(MeterRegistry registry) {
        Map<String, List<io.micrometer.core.instrument.Meter>> m = bridged.get(registry);
        Set<String> names = new TreeSet<>();
        if (m != null) {
            m.forEach((name, list) -> {
                if (!list.isEmpty()) {
                    names.add(name);
                }
            });
        }
        return names;
    }

    private final class Listener implements MetricRegistryListener {
        private final MeterRegistry registry;
        private final Map<String, List<io.micrometer.core.instrument.Meter>> meters;

        Listener(MeterRegistry registry, Map<String, List<io.micrometer.core.instrument.Meter>> meters) {
            this.registry = registry;
            this.meters = meters;
        }

        private void added(String name, Metric metric) {
            if (!name.startsWith(prefix)) {
                return;
            }
            List<io.micrometer.core.instrument.Meter> made = bridge(registry, name.substring(prefix.length()), metric);
            meters.put(name, made);
        }

        private void removed(String name) {
            List<io.micrometer.core.instrument.Meter> made = meters.remove(name);
            if (made != null) {
                made.forEach(registry::remove);
            }
        }

        @Override
        public void onGaugeAdded(String name, Gauge<?> gauge) {
            added(name, gauge);
        }

        @Override
        public void onGaugeRemoved(String name) {
            removed(name);
        }

        @Override
        public void onCounterAdded(String name, Counter counter) {
            added(name, counter);
        }

        @Override
        public void onCounterRemoved(String name) {
            removed(name);
        }

        @Override
        public void onHistogramAdded(String name, Histogram histogram) {
            added(name, histogram);
        }

        @Override
        public void onHistogramRemoved(String name) {
            removed(name);
        }

        @Override
        public void onMeterAdded(String name, Meter meter) {
            added(name, meter);
        }

        @Override
        public void onMeterRemoved(String name) {
            removed(name);
        }

        @Override
        public void onTimerAdded(String name, Timer timer) {
            added(name, timer);
        }

        @Override
        public void onTimerRemoved(String name) {
            removed(name);
        }
    }

    private List<io.micrometer.core.instrument.Meter> bridge(MeterRegistry r, String suffix, Metric metric) {
        List<io.micrometer.core.instrument.Meter> made = new ArrayList<>();
        Counted c = COUNTED.get(suffix);
        if (c == null && metric instanceof Counting) {
            c = perTopic(suffix);
        }
        if (c != null && metric instanceof Counting counting) {
            made.add(counter(r, c.name(), c.tags(), counting));
            return made;
        }
        Counted t = TIMERS.get(suffix);
        if (t != null && metric instanceof Timer timer) {
            timer(r, t.name(), t.tags(), timer, made);
            return made;
        }
        if (metric instanceof Gauge<?> gauge) {
            if (suffix.equals("switch.state") || suffix.equals("switch.effective-state")) {
                String view = suffix.equals("switch.state") ? "published" : "effective";
                for (SwitchState s : SwitchState.values()) {
                    made.add(io.micrometer.core.instrument.Gauge.builder("smartmq.switch.state", gauge,
                                    g -> number(g) == s.ordinal() ? 1 : 0)
                            .tags(common).tags("view", view, "state", s.name()).strongReference(true)
                            .description("1 for the switch state this instance sees (view=published: the switch "
                                    + "document; view=effective: what it routes by), 0 for the others")
                            .register(r));
                }
                if (view.equals("effective")) {
                    made.add(io.micrometer.core.instrument.Gauge.builder("smartmq.switch.divergent", gauge,
                                    g -> divergent())
                            .tags(common).strongReference(true)
                            .description("1 while this instance routes by another state than the switch's")
                            .register(r));
                }
                return made;
            }
            if (suffix.startsWith("fallback.backlog.")) {
                String topicGroup = suffix.substring("fallback.backlog.".length());
                int dot = topicGroup.lastIndexOf('.');
                if (dot > 0) {
                    made.add(io.micrometer.core.instrument.Gauge.builder("smartmq.fallback.backlog", gauge,
                                    g -> {
                                        double v = number(g);
                                        return v < 0 ? Double.NaN : v;
                                    })
                            .tags(common).tags("topic", topicGroup.substring(0, dot), "group",
                                    topicGroup.substring(dot + 1))
                            .strongReference(true)
                            .description("messages of (topic, group) waiting in the fallback store")
                            .register(r));
                    return made;
                }
            }
            String name = GAUGES.getOrDefault(suffix, generic(suffix));
            made.add(io.micrometer.core.instrument.Gauge.builder(name, gauge, SmartMQMeterBinder::number)
                    .tags(common).strongReference(true).register(r));
            return made;
        }
        // Not in the tables: keep it under a generic name rather than lose it.
        String name = generic(suffix);
        if (metric instanceof Timer timer) {
            timer(r, name, Tags.empty(), timer, made);
        } else if (metric instanceof Counting counting) {
            made.add(counter(r, name, Tags.empty(), counting));
            if (metric instanceof Histogram h) {
                made.add(io.micrometer.core.instrument.Gauge.builder(name + ".mean", h,
                        x -> x.getSnapshot().getMean()).tags(common).strongReference(true).register(r));
            }
        }
        return made;
    }

    /**
     * {@code producer.sends.topic.<topic>.<route>.<outcome>} → {@code smartmq.sends{topic, route, outcome}};
     * {@code consumer.deliveries.<topic>.<group>.<route>.<outcome>} → {@code smartmq.consumed{topic, group,
     * route, outcome}} (topic and group names hold no dot); anything else {@code null}.
     */
    private static Counted perTopic(String suffix) {
        if (suffix.startsWith(SENDS_BY_TOPIC)) {
            String[] p = suffix.substring(SENDS_BY_TOPIC.length()).split("\\.");
            if (p.length == 3) {
                return counted("smartmq.sends", "topic", p[0], "route", p[1], "outcome", p[2]);
            }
        } else if (suffix.startsWith(DELIVERIES)) {
            String[] p = suffix.substring(DELIVERIES.length()).split("\\.");
            if (p.length == 4) {
                return counted("smartmq.consumed", "topic", p[0], "group", p[1], "route", p[2], "outcome",
                        p[3].replace('-', '_'));
            }
        }
        return null;
    }

    private io.micrometer.core.instrument.Meter counter(MeterRegistry r, String name, Tags tags, Counting counting) {
        // Function meters hold their object weakly; the Dropwizard registry holds it until it is removed.
        return FunctionCounter.builder(name, counting, x -> x.getCount())
                .tags(common).tags(tags).register(r);
    }

    private void timer(MeterRegistry r, String name, Tags tags, Timer timer,
                       List<io.micrometer.core.instrument.Meter> made) {
        // Dropwizard keeps no total; count × mean of the decaying reservoir is the closest sum it can give.
        made.add(FunctionTimer.builder(name, timer, Timer::getCount,
                        x -> x.getSnapshot().getMean() * x.getCount(), TimeUnit.NANOSECONDS)
                .tags(common).tags(tags).register(r));
        for (double q : new double[] {0.5, 0.99}) {
            made.add(TimeGauge.builder(name + ".quantile", timer, TimeUnit.NANOSECONDS,
                            x -> x.getSnapshot().getValue(q))
                    .tags(common).tags(tags).tag("quantile", Double.toString(q)).strongReference(true)
                    .register(r));
        }
    }

    private double divergent() {
        Gauge<?> published = dropwizard.getGauges().get(prefix + "switch.state");
        Gauge<?> effective = dropwizard.getGauges().get(prefix + "switch.effective-state");
        if (published == null || effective == null) {
            return Double.NaN;
        }
        return number(published) == number(effective) ? 0 : 1;
    }

    private static String generic(String suffix) {
        return "smartmq." + suffix.replace('-', '.');
    }

    private static double number(Gauge<?> g) {
        Object v = g.getValue();
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
