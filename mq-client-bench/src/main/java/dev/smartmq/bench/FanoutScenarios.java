package dev.smartmq.bench;

import static dev.smartmq.bench.BenchEnvironment.TOPIC;
import static dev.smartmq.bench.ProducerScenarios.side;

import dev.smartmq.api.Message;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.bench.BenchEnvironment.SmartClient;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import redis.clients.jedis.Jedis;

/**
 * fanout: degraded-sync with three consumer groups registered for the topic (every send is one append of the
 * value to each group's shard) against the same load with one group, two SmartMQ instances in two namespaces on
 * the same servers; ratio = 3-group throughput / 1-group throughput (target at least 0.8). Each round also
 * measures Redis memory per message: {@code INFO memory} {@code used_memory} after the round minus before it
 * (Redis emptied before every round), divided by the messages the round sent.
 */
final class FanoutScenarios {

    static final List<String> THREE_GROUPS = List.of("bench_group", "bench_group_2", "bench_group_3");

    private FanoutScenarios() {
    }

    static BenchLine fanout(BenchEnvironment env, BenchOptions o) throws Exception {
        byte[] body = ProducerScenarios.body(o.bodySize());
        SmartClient three = degradedClient(env, "bench-fanout-3", THREE_GROUPS);
        SmartClient one = degradedClient(env, "bench-fanout-1", THREE_GROUPS.subList(0, 1));
        List<Double> memThree = new ArrayList<>();
        List<Double> memOne = new ArrayList<>();
        Alternation.Outcome out = Alternation.run("fanout", o, List.of(
                memorySide(env, "smartmq-sync-3-groups", three.mq().producer(), body, o.threads(), memThree),
                memorySide(env, "smartmq-sync-1-group", one.mq().producer(), body, o.threads(), memOne)),
                env::flushRedis, env.cpu());
        out.printSummary("fanout");
        double bytes3 = Alternation.median(memThree.stream().mapToDouble(Double::doubleValue).toArray());
        double bytes1 = Alternation.median(memOne.stream().mapToDouble(Double::doubleValue).toArray());
        System.out.printf(Locale.ROOT, "  fanout Redis used_memory per message: 3 groups %.0f B, 1 group %.0f B "
                + "(body %d B; per round 3: %s; 1: %s)%n", bytes3, bytes1, o.bodySize(), memThree, memOne);
        return out.line("fanout", 1)
                .with("groups", 3)
                .with("redis_bytes_per_msg_3_groups", String.format(Locale.ROOT, "%.0f", bytes3))
                .with("redis_bytes_per_msg_1_group", String.format(Locale.ROOT, "%.0f", bytes1))
                .with("errors", out.errors(0) + out.errors(1));
    }

    /** A SmartMQ forced DEGRADED with {@code groups} registered for the topic. */
    static SmartClient degradedClient(BenchEnvironment env, String namespace, List<String> groups)
            throws InterruptedException {
        SmartClient smart = env.smartMQ(namespace, SmartMQConfig.custom());
        ZkDegradationSwitch operator = env.operator(namespace);
        for (String g : groups) {
            env.own(operator.registerConsumer(TOPIC, g, "bench-registry-" + g));
        }
        BenchEnvironment.force(operator, SwitchState.DEGRADED, SwitchMode.MANUAL);
        BenchEnvironment.await("SmartMQ to route DEGRADED", Duration.ofSeconds(30),
                () -> smart.mq().effectiveState() == SwitchState.DEGRADED);
        BenchEnvironment.await("the producer to see groups " + groups, Duration.ofSeconds(30),
                () -> smart.degradationSwitch().groups(TOPIC).containsAll(groups));
        return smart;
    }

    private static Alternation.Side memorySide(BenchEnvironment env, String label, SmartProducer producer,
                                               byte[] body, int threads, List<Double> bytesPerMessage) {
        return side(label, seconds -> {
            long before = usedMemory(env);
            RoundResult r = LoadGenerator.closedLoop(threads, seconds,
                    () -> producer.send(Message.builder(TOPIC).body(body).build()));
            long after = usedMemory(env);
            if (r.ops() > 0) {
                bytesPerMessage.add((double) (after - before) / r.ops());
            }
            return r;
        });
    }

    /** {@code used_memory} of {@code INFO memory}. */
    static long usedMemory(BenchEnvironment env) {
        try (Jedis j = env.redis().newClient()) {
            return infoField(j.info("memory"), "used_memory");
        }
    }

    static long infoField(String info, String field) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).trim());
            }
        }
        throw new IllegalStateException("INFO has no field " + field);
    }
}
