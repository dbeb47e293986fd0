package dev.smartmq.bench;

import dev.smartmq.api.Message;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.testkit.redis.RedisServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The {@code degraded-sync-replica-acks} scenario (issue 17): the degraded-sync load (8 sync senders, switch forced
 * DEGRADED/MANUAL, one group) on a store with {@code replicaAcks(1, 500 ms)} — a {@code WAIT 1} after each
 * group-commit flush — against the same load on a store without it, same master, one {@code redis-server}
 * replica on loopback started for the scenario; both sides alternate round by round in one run. The BENCH line's
 * ratio is the throughput kept with replica acknowledgement; it also carries each side's CPU per message (this
 * JVM, the master, the replica, in µs) and p99. Not thread-safe: run by the bench's main thread.
 */
final class ReplicaAcksScenario {

    static final String NAME = "degraded-sync-replica-acks";
    static final Duration ACK_TIMEOUT = Duration.ofMillis(500);

    private ReplicaAcksScenario() {
    }

    static BenchLine run(BenchEnvironment env, BenchOptions o) throws Exception {
        byte[] body = ProducerScenarios.body(o.bodySize());
        RedisServer replica = env.redisReplica();
        BenchEnvironment.SmartClient acks = ProducerScenarios.degradedClient(env, "bench-degraded-acks",
                b -> b.replicaAcks(1, ACK_TIMEOUT));
        BenchEnvironment.SmartClient plain = ProducerScenarios.degradedClient(env, "bench-degraded-noacks", b -> b);
        ProducerScenarios.RouteCounter routes = new ProducerScenarios.RouteCounter();
        SmartProducer acksProducer = acks.mq().producer();
        SmartProducer plainProducer = plain.mq().producer();
        CpuMeter cpu = env.cpu();
        CpuTally acksCpu = new CpuTally(cpu, replica, o.warmupSeconds() > 0);
        CpuTally plainCpu = new CpuTally(cpu, replica, o.warmupSeconds() > 0);
        Alternation.Outcome out = Alternation.run(NAME, o, List.of(
                ProducerScenarios.side("smartmq-sync-replica-acks", seconds -> acksCpu.measure(() ->
                        LoadGenerator.closedLoop(o.threads(), seconds,
                                () -> routes.count(acksProducer.send(Message.builder(BenchEnvironment.TOPIC)
                                        .body(body).build()))))),
                ProducerScenarios.side("smartmq-sync-no-acks", seconds -> plainCpu.measure(() ->
                        LoadGenerator.closedLoop(o.threads(), seconds,
                                () -> plainProducer.send(Message.builder(BenchEnvironment.TOPIC)
                                        .body(body).build()))))),
                env::flushRedis, cpu);
        System.out.printf(Locale.ROOT, "  %s cpu per message: with acks %s; without %s%n", NAME, acksCpu, plainCpu);
        return ProducerScenarios.finish(NAME, out, routes)
                .with("jvm_us_acks", fmt(acksCpu.jvmMicrosPerOp()))
                .with("jvm_us_noacks", fmt(plainCpu.jvmMicrosPerOp()))
                .with("master_us_acks", fmt(acksCpu.masterMicrosPerOp()))
                .with("master_us_noacks", fmt(plainCpu.masterMicrosPerOp()))
                .with("replica_us_acks", fmt(acksCpu.replicaMicrosPerOp()))
                .with("replica_us_noacks", fmt(plainCpu.replicaMicrosPerOp()))
                .with("baseline_errors", out.errors(1));
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "NaN" : String.format(Locale.ROOT, "%.1f", v);
    }

    /** CPU seconds of the measured rounds of one side: this JVM, the master, the replica; and their operations. */
    private static final class CpuTally {
        private final CpuMeter meter;
        private final RedisServer replica;
        private double jvm;
        private double master;
        private double replicaSeconds;
        private long ops;
        /** Calls not counted: the warm-up round. */
        private int skip;

        CpuTally(CpuMeter meter, RedisServer replica, boolean warmup) {
            this.meter = meter;
            this.replica = replica;
            this.skip = warmup ? 1 : 0;
        }

        RoundResult measure(Round round) throws Exception {
            CpuMeter.Snapshot a = meter.snapshot();
            double ra = cpuSeconds(replica.pid());
            RoundResult r = round.run();
            if (skip > 0) {
                skip--;
                return r;
            }
            CpuMeter.Snapshot b = meter.snapshot();
            double rb = cpuSeconds(replica.pid());
            jvm += b.jvm() - a.jvm();
            master += b.redis() - a.redis();
            replicaSeconds += rb - ra;
            ops += r.ops();
            return r;
        }

        double jvmMicrosPerOp() {
            return perOp(jvm);
        }

        double masterMicrosPerOp() {
            return perOp(master);
        }

        double replicaMicrosPerOp() {
            return perOp(replicaSeconds);
        }

        private double perOp(double seconds) {
            return ops == 0 ? Double.NaN : seconds * 1e6 / ops;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "jvm %.1f us, master %.1f us, replica %.1f us (%d msgs of the measured rounds)",
                    jvmMicrosPerOp(), masterMicrosPerOp(), replicaMicrosPerOp(), ops);
        }

        /** utime + stime of a process, in seconds (NaN if unreadable). */
        private static double cpuSeconds(long pid) {
            try {
                String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
                return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // USER_HZ
            } catch (IOException | RuntimeException e) {
                return Double.NaN;
            }
        }
    }

    /** One measured round. */
    @FunctionalInterface
    private interface Round {
        RoundResult run() throws Exception;
    }
}
