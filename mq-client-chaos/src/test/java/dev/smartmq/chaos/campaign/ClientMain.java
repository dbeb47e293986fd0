package dev.smartmq.chaos.campaign;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Message;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.api.Subscription;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.rocketmq.ConsumeFrom;
import dev.smartmq.rocketmq.RocketMQTransport;
import dev.smartmq.spi.FallbackStore;
import dev.smartmq.testkit.process.JvmProcess;
import dev.smartmq.testkit.process.ParentLink;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One SmartMQ client process of a campaign (run by {@link JvmProcess} with the test classpath): a producer that
 * sends at a steady rate from a few sender threads (sync or async, keyed or keyless), or a consumer of one group
 * (ordered or not). It records every operation in its history file as it goes ({@link HistoryWriter}: one line,
 * flushed, per event), so a {@code kill -9} loses nothing it had recorded: a message is acknowledged in the history
 * only once {@code send} returned its receipt, and consumed only once its handler completed.
 *
 * <p>Configuration from system properties {@code smartmq.client.*} (see {@link ClientSpec}). Stops on
 * {@link JvmProcess#STOP_COMMAND}: senders finish their current send, async sends are awaited, SmartMQ is closed,
 * {@code CLOSED} is recorded and {@code main} returns: the JVM then exits only if SmartMQ left no non-daemon
 * thread behind (if it did, a watchdog records {@code LEFT_BEHIND} with their names after {@value #LEFT_BEHIND_AFTER_MS} ms
 * and halts with code 3).
 */
public final class ClientMain {

    /** How long after its close the JVM may still run before its non-daemon threads are recorded as left behind. */
    static final long LEFT_BEHIND_AFTER_MS = 10_000;
    /** How often the leadership recorder polls {@code isLeader()}. */
    static final long LEADER_POLL_MS = 10;

    private ClientMain() {
    }

    public static void main(String[] args) throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        ParentLink.start(line -> {
            if (JvmProcess.STOP_COMMAND.equals(line)) {
                stop.countDown();
            }
        });
        ClientSpec spec = ClientSpec.fromSystemProperties();
        HistoryWriter history = new HistoryWriter(Path.of(spec.historyFile()));
        long pid = ProcessHandle.current().pid();
        history.record("START", pid, spec.role(), spec.group());
        ZkDegradationSwitch zkSwitch = zkSwitch(spec);
        SmartMQ mq = build(spec, zkSwitch);
        startLeadershipRecorder(zkSwitch, history);
        List<Thread> senders = new ArrayList<>();
        AtomicInteger running = new AtomicInteger(1);
        AtomicLong outstanding = new AtomicLong();
        if ("consumer".equals(spec.role())) {
            subscribe(mq, spec, history, pid);
        } else {
            String[] modes = spec.senders().split(",");
            for (int i = 0; i < modes.length; i++) {
                String mode = modes[i].trim();
                String key = mode.endsWith("-keyed") ? spec.name() + "-" + mode.charAt(0) + i : "-";
                Sender s = new Sender(mq.producer(), spec, history, pid, key, mode, running, outstanding);
                Thread t = new Thread(s::run, "smartmq-campaign-sender-" + (i + 1));
                senders.add(t);
            }
            senders.forEach(Thread::start);
        }
        System.out.println("CAMPAIGN CLIENT READY " + spec.name() + " pid=" + pid);
        System.out.flush();
        stop.await();
        running.set(0);
        for (Thread t : senders) {
            t.join(CampaignSettings.CALLER_BUDGET.toMillis() + 1_000);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (outstanding.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        mq.close();
        history.record("CLOSED", outstanding.get());
        startLeftBehindWatchdog(history);
    }

    private static ZkDegradationSwitch zkSwitch(ClientSpec spec) {
        return ZkDegradationSwitch.builder()
                .connectString(spec.zooKeeper())
                .namespace(spec.namespace())
                .sessionTimeout(CampaignSettings.ZK_SESSION_TIMEOUT)
                .connectionTimeout(Duration.ofSeconds(2))
                .operationTimeout(CampaignSettings.ZK_OPERATION_TIMEOUT)
                .historySize(CampaignSettings.HISTORY_SIZE)
                .instanceId(spec.name() + "/" + ProcessHandle.current().pid())
                .build();
    }

    private static SmartMQ build(ClientSpec spec, ZkDegradationSwitch zkSwitch) {
        String[] redis = spec.redis().split(":");
        FallbackStore store = RedisFallbackStore.builder()
                .standalone(redis[0], Integer.parseInt(redis[1]))
                .namespace(spec.namespace())
                .shards(CampaignSettings.SHARDS)
                .timeouts(CampaignSettings.REDIS_TIMEOUT, CampaignSettings.REDIS_TIMEOUT)
                .poolSize(8)
                .writerThreads(1)
                .build();
        int drop = PlantedDefects.dropFallbackEvery();
        if (drop > 0) {
            store = PlantedDefects.droppingFallbackWrites(store, drop);
        }
        RocketMQTransport transport = RocketMQTransport.builder()
                .nameServer(spec.nameServer())
                .producerGroup("campaign-" + spec.name())
                .sendTimeout(CampaignSettings.SEND_TIMEOUT)
                .nameServerTimeout(CampaignSettings.NAME_SERVER_TIMEOUT)
                .routeRefreshInterval(Duration.ofSeconds(1))
                .consumeFrom(ConsumeFrom.FIRST_OFFSET)
                .consumeThreads(2)
                .asyncSendThreads(2)
                .build();
        return SmartMQ.builder()
                .config(CampaignSettings.config(spec.namespace()))
                .transport(transport)
                .fallbackStore(store)
                .degradationSwitch(zkSwitch)
                .build();
    }

    private static void subscribe(SmartMQ mq, ClientSpec spec, HistoryWriter history, long pid) {
        Subscription.Builder sub = Subscription.builder(spec.topic(), spec.group());
        if (spec.ordered()) {
            sub.ordered();
        }
        mq.consumer().subscribe(sub.build(), m -> {
            String cid = m.properties().getOrDefault("cid", "?");
            history.record("BEGIN", spec.group(), cid, m.route(), m.deliveryAttempt(), m.id());
            if (spec.slowEvery() > 0 && ThreadLocalRandom.current().nextInt(spec.slowEvery()) == 0) {
                Thread.sleep(spec.slowMillis()); // a slow handler: a kill -9 now lands mid-handler
            }
            history.record("DONE", spec.group(), cid);
            return ConsumeResult.SUCCESS;
        });
        history.record("SUBSCRIBED", spec.group());
    }

    /**
     * Records {@code LEADER 1|0} whenever the instance's {@code isLeader()} changes (polled every
     * {@value #LEADER_POLL_MS} ms; the engine's leader work checks the same method), for the leader-writer checker.
     */
    private static void startLeadershipRecorder(ZkDegradationSwitch zkSwitch, HistoryWriter history) {
        Thread t = new Thread(() -> {
            boolean last = false;
            while (true) {
                boolean now = zkSwitch.isLeader();
                if (now != last) {
                    history.record("LEADER", now ? 1 : 0);
                    last = now;
                }
                try {
                    Thread.sleep(LEADER_POLL_MS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "smartmq-campaign-leadership-1");
        t.setDaemon(true);
        t.start();
    }

    private static void startLeftBehindWatchdog(HistoryWriter history) {
        Thread w = new Thread(() -> {
            try {
                Thread.sleep(LEFT_BEHIND_AFTER_MS);
            } catch (InterruptedException e) {
                return;
            }
            List<String> names = new ArrayList<>();
            Thread.getAllStackTraces().forEach((t, stack) -> {
                if (t.isAlive() && !t.isDaemon() && t != Thread.currentThread()) {
                    names.add(t.getName());
                    System.err.println("LEFT BEHIND after close: thread " + t.getName() + " (" + t.getState() + ")");
                    for (StackTraceElement e : stack) {
                        System.err.println("    at " + e);
                    }
                }
            });
            names.sort(null);
            System.err.flush();
            history.record("LEFT_BEHIND", String.join(",", names));
            Runtime.getRuntime().halt(3);
        }, "smartmq-campaign-watchdog-1");
        w.setDaemon(true);
        w.start();
    }

    /** One sender thread: one mode, one key (or keyless), a steady pace. */
    private static final class Sender {
        private final SmartProducer producer;
        private final ClientSpec spec;
        private final HistoryWriter history;
        private final long pid;
        private final String key;
        private final String mode;
        private final AtomicInteger running;
        private final AtomicLong outstanding;
        private final int reorderEvery = PlantedDefects.reorderEvery();
        private long seq;

        Sender(SmartProducer producer, ClientSpec spec, HistoryWriter history, long pid, String key, String mode,
               AtomicInteger running, AtomicLong outstanding) {
            this.producer = producer;
            this.spec = spec;
            this.history = history;
            this.pid = pid;
            this.key = key;
            this.mode = mode;
            this.running = running;
            this.outstanding = outstanding;
        }

        void run() {
            boolean async = mode.startsWith("async");
            while (running.get() == 1) {
                long began = System.nanoTime();
                if (async) {
                    if (outstanding.get() < 500) {
                        sendAsync(nextCid());
                    }
                } else if (reorderEvery > 0 && !"-".equals(key) && seq % reorderEvery == reorderEvery - 1) {
                    sendSwapped(nextCid(), nextCid());
                } else {
                    sendSync(nextCid());
                }
                long pause = spec.intervalMillis() - (System.nanoTime() - began) / 1_000_000;
                if (pause > 0) {
                    try {
                        Thread.sleep(pause);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }

        private String nextCid() {
            return spec.name() + "." + pid + "." + Thread.currentThread().getName().replace("smartmq-campaign-sender-", "s")
                    + "." + (seq++);
        }

        private Message message(String cid) {
            Message.Builder b = Message.builder(spec.topic()).property("cid", cid).body(cid);
            if (!"-".equals(key)) {
                b.key(key);
            }
            return b.build();
        }

        private void sendSync(String cid) {
            history.record("INVOKE", cid, key, mode);
            long t0 = System.nanoTime();
            try {
                SendReceipt r = producer.send(message(cid));
                history.record("OK", cid, r.route(), r.messageId(), millisSince(t0));
            } catch (RuntimeException e) {
                history.record("FAIL", cid, e.getClass().getSimpleName(), millisSince(t0), e.getMessage());
            }
        }

        /** The planted reorder: B is stored before A, the history says A then B. */
        private void sendSwapped(String a, String b) {
            history.record("INVOKE", a, key, mode);
            long t0 = System.nanoTime();
            try {
                SendReceipt rb = producer.send(message(b));
                SendReceipt ra = producer.send(message(a));
                history.record("OK", a, ra.route(), ra.messageId(), millisSince(t0));
                history.record("INVOKE", b, key, mode);
                history.record("OK", b, rb.route(), rb.messageId(), 0);
            } catch (RuntimeException e) {
                history.record("FAIL", a, e.getClass().getSimpleName(), millisSince(t0), e.getMessage());
            }
        }

        private void sendAsync(String cid) {
            history.record("INVOKE", cid, key, mode);
            long t0 = System.nanoTime();
            outstanding.incrementAndGet();
            try {
                producer.sendAsync(message(cid)).whenComplete((r, e) -> {
                    try {
                        if (e == null) {
                            history.record("OK", cid, r.route(), r.messageId(), millisSince(t0));
                        } else {
                            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                            history.record("FAIL", cid, cause.getClass().getSimpleName(), millisSince(t0),
                                    cause.getMessage());
                        }
                    } finally {
                        outstanding.decrementAndGet();
                    }
                });
            } catch (RuntimeException e) {
                outstanding.decrementAndGet();
                history.record("FAIL", cid, e.getClass().getSimpleName(), millisSince(t0), e.getMessage());
            }
        }

        private static long millisSince(long t0) {
            return (System.nanoTime() - t0) / 1_000_000;
        }
    }
}
