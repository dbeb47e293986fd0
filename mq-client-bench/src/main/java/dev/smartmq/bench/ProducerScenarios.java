package dev.smartmq.bench;

import static dev.smartmq.bench.BenchEnvironment.SEND_TIMEOUT;
import static dev.smartmq.bench.BenchEnvironment.TOPIC;

import dev.smartmq.api.Message;
import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.bench.BenchEnvironment.SmartClient;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;

/**
 * normal-sync, normal-async and degraded-sync: SmartProducer against a raw {@link DefaultMQProducer} on the same
 * broker and topic. Both sides build a new message per send from the same body array (SmartMQ's builder
 * copies and validates it; RocketMQ's constructor does neither), send keyless messages (both then use
 * RocketMQ's default queue choice with latency fault tolerance) with the same 3 s budget and 2 retries.
 */
final class ProducerScenarios {

    /** Group registered for the topic in degraded scenarios, so fallback sends fan out to one real group. */
    static final String GROUP = "bench_group";

    private ProducerScenarios() {
    }

    static byte[] body(int size) {
        byte[] b = new byte[size];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    static BenchLine normalSync(BenchEnvironment env, BenchOptions o) throws Exception {
        byte[] body = body(o.bodySize());
        SmartClient smart = env.smartMQ("bench-normal-sync", SmartMQConfig.custom());
        DefaultMQProducer raw = env.rawProducer("normal-sync");
        RouteCounter routes = new RouteCounter();
        Alternation.Outcome out = Alternation.run("normal-sync", o, List.of(
                smartSync(smart.mq().producer(), body, o.threads(), routes),
                rawSync(raw, body, o.threads())), () -> { }, env.cpu());
        return finish("normal-sync", out, routes);
    }

    static BenchLine normalAsync(BenchEnvironment env, BenchOptions o) throws Exception {
        byte[] body = body(o.bodySize());
        SmartClient smart = env.smartMQ("bench-normal-async", SmartMQConfig.custom());
        DefaultMQProducer raw = env.rawProducer("normal-async");
        RouteCounter routes = new RouteCounter();
        SmartProducer producer = smart.mq().producer();
        Alternation.Side smartSide = side("smartmq-async", seconds -> LoadGenerator.boundedAsync(o.threads(),
                o.inflight(), seconds, done -> producer.sendAsync(Message.builder(TOPIC).body(body).build())
                        .whenComplete((r, e) -> {
                            if (e == null) {
                                routes.count(r);
                            }
                            done.accept(e);
                        })));
        Alternation.Side rawSide = side("rocketmq-async", seconds -> LoadGenerator.boundedAsync(o.threads(),
                o.inflight(), seconds, done -> raw.send(new org.apache.rocketmq.common.message.Message(TOPIC, body),
                        new SendCallback() {
                            @Override
                            public void onSuccess(SendResult r) {
                                done.accept(r.getSendStatus() == SendStatus.SEND_OK ? null
                                        : new IllegalStateException("send status " + r.getSendStatus()));
                            }

                            @Override
                            public void onException(Throwable e) {
                                done.accept(e);
                            }
                        }, SEND_TIMEOUT.toMillis())));
        Alternation.Outcome out = Alternation.run("normal-async", o, List.of(smartSide, rawSide), () -> { },
                env.cpu());
        return finish("normal-async", out, routes).with("inflight", o.inflight());
    }

    static BenchLine degradedSync(BenchEnvironment env, BenchOptions o) throws Exception {
        byte[] body = body(o.bodySize());
        String ns = "bench-degraded-sync";
        SmartClient smart = degradedClient(env, ns);
        DefaultMQProducer raw = env.rawProducer("degraded-sync");
        RouteCounter routes = new RouteCounter();
        Alternation.Outcome out = Alternation.run("degraded-sync", o, List.of(
                smartSync(smart.mq().producer(), body, o.threads(), routes),
                rawSync(raw, body, o.threads())), env::flushRedis, env.cpu());
        return finish("degraded-sync", out, routes);
    }

    /**
     * A SmartMQ whose switch an operator forced to DEGRADED (MANUAL, one hour), with one group registered for
     * the topic, so every send is one fallback append to that group's shard.
     */
    static SmartClient degradedClient(BenchEnvironment env, String namespace) throws InterruptedException {
        return degradedClient(env, namespace, b -> b);
    }

    static SmartClient degradedClient(BenchEnvironment env, String namespace,
                                      java.util.function.UnaryOperator<dev.smartmq.redis.RedisFallbackStore.Builder>
                                              storeOptions) throws InterruptedException {
        SmartClient smart = env.smartMQ(namespace, SmartMQConfig.custom(), storeOptions);
        ZkDegradationSwitch operator = env.operator(namespace);
        env.own(operator.registerConsumer(TOPIC, GROUP, "bench-registry"));
        BenchEnvironment.force(operator, SwitchState.DEGRADED, SwitchMode.MANUAL);
        BenchEnvironment.await("SmartMQ to route DEGRADED", Duration.ofSeconds(30),
                () -> smart.mq().effectiveState() == SwitchState.DEGRADED);
        BenchEnvironment.await("the producer to see group " + GROUP, Duration.ofSeconds(30),
                () -> smart.degradationSwitch().groups(TOPIC).contains(GROUP));
        return smart;
    }

    static Alternation.Side smartSync(SmartProducer producer, byte[] body, int threads, RouteCounter routes) {
        return side("smartmq-sync", seconds -> LoadGenerator.closedLoop(threads, seconds,
                () -> routes.count(producer.send(Message.builder(TOPIC).body(body).build()))));
    }

    static Alternation.Side rawSync(DefaultMQProducer raw, byte[] body, int threads) {
        return side("rocketmq-sync", seconds -> LoadGenerator.closedLoop(threads, seconds, () -> {
            SendResult r = raw.send(new org.apache.rocketmq.common.message.Message(TOPIC, body), SEND_TIMEOUT.toMillis());
            if (r.getSendStatus() != SendStatus.SEND_OK) {
                throw new IllegalStateException("send status " + r.getSendStatus());
            }
        }));
    }

    static BenchLine finish(String name, Alternation.Outcome out, RouteCounter routes) {
        out.printSummary(name);
        System.out.printf(Locale.ROOT, "  %s SmartMQ receipts by route: MQ %d, FALLBACK %d%n", name, routes.mq.get(),
                routes.fallback.get());
        System.out.printf(Locale.ROOT, "  %s baseline p99 %.2f ms, SmartMQ p99 %.2f ms (%+.1f%%)%n", name,
                out.p99Millis(1), out.p99Millis(0), 100 * (out.p99Millis(0) / out.p99Millis(1) - 1));
        return out.line(name, 1)
                .with("baseline_p99_ms", String.format(Locale.ROOT, "%.2f", out.p99Millis(1)))
                .with("errors", out.errors(0));
    }

    /** Counts SmartMQ receipts by route: a NORMAL benchmark that fell back would not measure the MQ path. */
    static final class RouteCounter {
        final AtomicLong mq = new AtomicLong();
        final AtomicLong fallback = new AtomicLong();

        void count(SendReceipt r) {
            (r.route() == Route.MQ ? mq : fallback).incrementAndGet();
        }
    }

    interface RoundFn {
        RoundResult run(double seconds) throws Exception;
    }

    /** A round whose length is already bound. */
    interface RoundFn0 {
        RoundResult run() throws Exception;
    }

    static Alternation.Side side(String label, RoundFn fn) {
        return side(label, () -> { }, fn);
    }

    static Alternation.Side side(String label, Alternation.Between prepare, RoundFn fn) {
        return new Alternation.Side() {
            @Override
            public String label() {
                return label;
            }

            @Override
            public void prepare() throws Exception {
                prepare.run();
            }

            @Override
            public RoundResult run(double seconds) throws Exception {
                return fn.run(seconds);
            }
        };
    }
}
