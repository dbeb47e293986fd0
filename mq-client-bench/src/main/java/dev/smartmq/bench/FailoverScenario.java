package dev.smartmq.bench;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Message;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.api.Subscription;
import dev.smartmq.api.SwitchState;
import dev.smartmq.bench.BenchEnvironment.SmartClient;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.testkit.checker.CheckReport;
import dev.smartmq.testkit.checker.DeliveryChecker;
import dev.smartmq.testkit.checker.SendRecorder;
import dev.smartmq.testkit.rocketmq.EmbeddedRocketMQ;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * failover: a paced load (default 1,000 msg/s, sync sends, default SmartMQ settings) while the broker is
 * stopped and started again; one consumer group checks that every acknowledged message arrives
 * ({@link DeliveryChecker}).
 *
 * <p>Timeline: NORMAL for a round, stop the broker (the embedded broker is in this JVM, so "kill" is its
 * shutdown; the name server stays up), wait for the switch document to say DEGRADED, keep sending for a
 * round, start the broker again (same port and store), wait for the switch to say NORMAL — which the leader
 * only writes once the fallback backlog of every registered group is zero — then a last round of NORMAL.
 */
final class FailoverScenario {

    static final String TOPIC = "bench_failover";
    static final String GROUP = "bench_failover_group";
    private static final String WARM = "warm";

    private FailoverScenario() {
    }

    static BenchLine run(BenchEnvironment env, BenchOptions o) throws Exception {
        EmbeddedRocketMQ rocketMQ = env.rocketMQ();
        rocketMQ.createTopic(TOPIC, 4);
        SmartClient smart = env.smartMQ("bench-failover", SmartMQConfig.custom());
        SmartMQ mq = smart.mq();
        SmartMQConfig c = mq.config();
        System.out.printf("  failover settings: failureThreshold %d, probeInterval %s, probeSuccessThreshold %d, "
                        + "minDwellTime %s, sendTimeout %s, drainCheckInterval %s; %d msg/s over %d threads%n",
                c.failureThreshold(), c.probeInterval(), c.probeSuccessThreshold(), c.minDwellTime(), c.sendTimeout(),
                c.drainCheckInterval(), o.failoverRate(), o.threads());
        DeliveryChecker checker = DeliveryChecker.create();
        checker.expectGroups(GROUP);
        AtomicLong warmDelivered = new AtomicLong();
        mq.consumer().subscribe(Subscription.of(TOPIC, GROUP), m -> {
            if (m.properties().containsKey(WARM)) {
                warmDelivered.incrementAndGet();
            } else {
                checker.delivered(GROUP, m);
            }
            return ConsumeResult.SUCCESS;
        });
        // A new group starts at the queue ends once its first rebalance is done: wait for that before counting.
        byte[] body = ProducerScenarios.body(o.bodySize());
        Message warm = Message.builder(TOPIC).property(WARM, "1").body(body).build();
        long warmDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (warmDelivered.get() == 0) {
            if (System.nanoTime() - warmDeadline > 0) {
                throw new IllegalStateException("the consumer received nothing from the MQ within 60 s");
            }
            mq.producer().send(warm);
            TimeUnit.MILLISECONDS.sleep(50);
        }

        Pacer pacer = new Pacer(mq.producer(), checker, Message.builder(TOPIC).body(body).build(), o.failoverRate(),
                o.threads());
        pacer.start();
        double phase = Math.max(3, o.secondsPerRound());
        sleep(phase);

        long kill = System.nanoTime();
        checker.mark("broker-killed");
        Thread stopper = new Thread(rocketMQ::stopBroker, "bench-broker-stop");
        stopper.start();
        long localDegraded = waitFor(() -> mq.effectiveState() == SwitchState.DEGRADED, 120);
        long degraded = waitFor(() -> mq.switchStatus().state() == SwitchState.DEGRADED, 120);
        checker.mark("degraded");
        stopper.join();
        long stopped = System.nanoTime();
        sleep(phase);

        long restart = System.nanoTime();
        checker.mark("broker-restart");
        rocketMQ.startBroker();
        long up = System.nanoTime();
        long recovering = waitFor(() -> mq.switchStatus().state() != SwitchState.DEGRADED, 300);
        long normal = waitFor(() -> mq.switchStatus().state() == SwitchState.NORMAL, 300);
        checker.mark("recovered");
        sleep(phase);
        pacer.stop();

        boolean all = checker.awaitAllDelivered(Duration.ofSeconds(120));
        CheckReport report = checker.report();
        Histogram h = pacer.latency();
        double degradeMs = (degraded - kill) / 1e6;
        double recoverMs = (normal - restart) / 1e6;
        long errors = pacer.errors.get();
        System.out.printf(Locale.ROOT, "  failover broker stop call took %.0f ms; local DEGRADED after %.0f ms, switch "
                        + "DEGRADED after %.0f ms%n", (stopped - kill) / 1e6, (localDegraded - kill) / 1e6, degradeMs);
        System.out.printf(Locale.ROOT, "  failover broker start call took %.0f ms; switch RECOVERING after %.0f ms, NORMAL "
                + "(backlog drained) after %.0f ms (from the start call)%n", (up - restart) / 1e6,
                (recovering - restart) / 1e6, recoverMs);
        System.out.printf(Locale.ROOT, "  failover sends: %d sent, %d acked (MQ %d, FALLBACK %d), %d caller-visible errors, "
                        + "p50 %.2f ms p99 %.2f ms max %.0f ms; all delivered: %s, lost %d, duplicates %d, unexpected %d%n",
                report.sent(), report.acked(), report.ackedViaMq(), report.ackedViaFallback(), errors,
                h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0,
                all, report.totalLost(), report.totalDuplicates(), report.totalUnexpected());
        System.out.printf(Locale.ROOT, "  failover achieved rate %.0f msg/s (target %d)%n", pacer.achievedRate(),
                o.failoverRate());
        return new BenchLine("failover", degradeMs, recoverMs, errors, h.getValueAtPercentile(99) / 1000.0,
                java.util.Map.of())
                .with("degrade_ms", Math.round(degradeMs))
                .with("recover_ms", Math.round(recoverMs))
                .with("errors", errors)
                .with("lost", report.totalLost())
                .with("duplicates", report.totalDuplicates())
                .with("acked", report.acked())
                .with("acked_fallback", report.ackedViaFallback())
                .with("max_send_ms", Math.round(h.getMaxValue() / 1000.0))
                .with("rate", o.failoverRate());
    }

    private static void sleep(double seconds) throws InterruptedException {
        TimeUnit.MILLISECONDS.sleep((long) (seconds * 1000));
    }

    private static long waitFor(java.util.function.BooleanSupplier condition, int timeoutSeconds)
            throws InterruptedException {
        BenchEnvironment.await("state change", Duration.ofSeconds(timeoutSeconds), condition);
        return System.nanoTime();
    }

    /** {@code threads} senders that together send {@code rate} messages per second on a fixed schedule. */
    static final class Pacer {
        private final SmartProducer producer;
        private final SendRecorder checker;
        private final Message message;
        private final long periodNanos;
        private final int threads;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Thread> workers = new ArrayList<>();
        private final Histogram[] latency;
        final AtomicLong errors = new AtomicLong();
        private final AtomicLong sent = new AtomicLong();
        private long started;
        private long stopped;

        Pacer(SmartProducer producer, SendRecorder checker, Message message, int rate, int threads) {
            this.producer = producer;
            this.checker = checker;
            this.message = message;
            this.periodNanos = 1_000_000_000L / rate;
            this.threads = threads;
            this.latency = new Histogram[threads];
        }

        void start() {
            started = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                int idx = t;
                latency[t] = RoundResult.newHistogram();
                Thread th = new Thread(() -> loop(idx), "bench-pacer-" + (t + 1));
                th.setDaemon(true);
                workers.add(th);
                th.start();
            }
        }

        private void loop(int idx) {
            ErrorSampler sampler = new ErrorSampler();
            for (long k = 0; running.get(); k++) {
                long due = started + (k * threads + idx) * periodNanos;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                SendRecorder.Attempt a = checker.beginSend(null);
                long t0 = System.nanoTime();
                try {
                    a.ok(producer.send(message));
                    latency[idx].recordValue(Math.min(RoundResult.MAX_LATENCY_MICROS,
                            Math.max(1, (System.nanoTime() - t0) / 1000)));
                } catch (RuntimeException e) {
                    a.failed(e);
                    errors.incrementAndGet();
                    sampler.note(e);
                }
                sent.incrementAndGet();
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread t : workers) {
                t.join();
            }
            stopped = System.nanoTime();
        }

        double achievedRate() {
            return sent.get() / ((stopped - started) / 1e9);
        }

        Histogram latency() {
            Histogram all = RoundResult.newHistogram();
            for (Histogram h : latency) {
                all.add(h);
            }
            return all;
        }
    }
}
