package dev.smartmq.core;

import com.codahale.metrics.Counting;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import dev.smartmq.api.Message;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.testkit.fakes.FakeFallbackStore;
import dev.smartmq.testkit.fakes.FakeGuard;
import dev.smartmq.testkit.fakes.FakeSwitch;
import dev.smartmq.testkit.fakes.FakeTransport;
import dev.smartmq.testkit.fakes.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** One SmartMQ over in-memory fakes, with a fast configuration. */
final class Rig implements AutoCloseable {
    final List<String> events = new CopyOnWriteArrayList<>();
    final MutableClock clock;
    final FakeTransport transport = new FakeTransport(events);
    final FakeFallbackStore store;
    final FakeSwitch sw;
    final MetricRegistry registry = new MetricRegistry();
    SmartMQ mq;

    Rig(int shards) {
        this(shards, MutableClock.startingNow(), null);
    }

    Rig(int shards, MutableClock clock, FakeSwitch shared) {
        this(shards, clock, shared, null);
    }

    Rig(int shards, MutableClock clock, FakeSwitch sharedSwitch, FakeFallbackStore sharedStore) {
        this.clock = clock;
        this.store = sharedStore != null ? sharedStore : new FakeFallbackStore(shards, events);
        this.sw = sharedSwitch != null ? sharedSwitch : new FakeSwitch(clock, events);
    }

    /** Whether a smartmq- thread is alive beyond those {@code running} is expected to own. */
    static boolean anySmartMqThreadAliveExcept(SmartMQ running) {
        long expected = 4; // switch, prober, maintenance, timer; no consumer threads without a subscription
        long alive = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("smartmq-")).count();
        return running != null && alive > expected;
    }

    static boolean anySmartMqThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.isAlive() && t.getName().startsWith("smartmq-"));
    }

    static SmartMQConfig.Builder fastConfig() {
        return SmartMQConfig.custom()
                .namespace("test")
                .failureThreshold(10)
                .probeInterval(Duration.ofMillis(20))
                .probeTimeout(Duration.ofMillis(10))
                .probeSuccessThreshold(3)
                .minDwellTime(Duration.ZERO)
                .sendTimeout(Duration.ofMillis(200))
                .drainCheckInterval(Duration.ofMillis(20))
                .orphanReapInterval(Duration.ofMillis(50))
                .pollBackoffMin(Duration.ofMillis(5))
                .pollBackoffMax(Duration.ofMillis(40))
                .normalSweepInterval(Duration.ofSeconds(1))
                .retryBackoffInitial(Duration.ofMillis(10))
                .retryBackoffMax(Duration.ofMillis(40))
                .shutdownTimeout(Duration.ofSeconds(5))
                .consumerThreads(2);
    }

    Rig start(SmartMQConfig config) {
        return start(config, b -> { });
    }

    Rig start(SmartMQConfig config, Consumer<SmartMQ.Builder> customizer) {
        SmartMQ.Builder b = SmartMQ.builder().config(config).transport(transport).fallbackStore(store)
                .degradationSwitch(sw).metricRegistry(registry).clock(clock);
        customizer.accept(b);
        mq = b.build();
        return this;
    }

    Rig startWithGuard(SmartMQConfig config, FakeGuard guard) {
        return start(config, b -> b.idempotencyGuard(guard));
    }

    long count(String name) {
        return ((Counting) registry.getMetrics().get(name)).getCount();
    }

    Object gauge(String name) {
        return ((Gauge<?>) registry.getGauges().get(name)).getValue();
    }

    static Message msg(String topic) {
        return Message.builder(topic).body("payload").build();
    }

    static Message msg(String topic, String key, String body) {
        return Message.builder(topic).key(key).body(body).build();
    }

    @Override
    public void close() {
        if (mq != null) {
            mq.close();
        }
        transport.releaseHang();
    }
}
