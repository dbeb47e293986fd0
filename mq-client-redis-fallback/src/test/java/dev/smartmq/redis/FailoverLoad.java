package dev.smartmq.redis;

import dev.smartmq.api.DeliveryException;
import dev.smartmq.api.Message;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.testkit.checker.DeliveryChecker;
import dev.smartmq.testkit.checker.SendRecorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Load for the failover ITs: a SmartMQ engine held DEGRADED (stub switch, dead MQ) so every send goes to the
 * real {@link RedisFallbackStore}; {@code producers} threads send keyed messages synchronously and record every
 * outcome in a {@link DeliveryChecker}; one consumer thread claims every shard in turn, reports each delivery
 * to the checker and acks. Bounded: at most {@code maxSends} sends, and {@link #stop()} ends it. Thread rules:
 * start/stop from the test thread; the counters may be read from any thread.
 */
final class FailoverLoad implements AutoCloseable {

    static final String TOPIC = "paid";
    static final String GROUP = "billing";
    /** How long a producer waits after a failed send before the next one. */
    static final long FAILURE_BACKOFF_MILLIS = 10;

    final DeliveryChecker checker = DeliveryChecker.create();
    final AtomicLong acked = new AtomicLong();
    /** Acknowledged sends per shard of the store. */
    final AtomicLongArray ackedPerShard;
    final AtomicLong failed = new AtomicLong();
    final AtomicLong consumed = new AtomicLong();
    final AtomicLong consumerErrors = new AtomicLong();
    /** Causes of outcomes that were neither an acknowledgement nor a DeliveryException (must stay empty). */
    final Queue<Throwable> unexpected = new ConcurrentLinkedQueue<>();

    private final RedisFallbackStore store;
    private final SmartMQ mq;
    private final List<Thread> threads = new ArrayList<>();
    private final long maxSends;
    private final String padding;
    private final AtomicLong sends = new AtomicLong();
    private volatile boolean stopSending;
    private volatile boolean stopConsuming;

    FailoverLoad(RedisFallbackStore store, String namespace, int producers, long maxSends) {
        this(store, namespace, producers, maxSends, 0);
    }

    /** @param padding extra body bytes per message (to fill replication buffers faster) */
    FailoverLoad(RedisFallbackStore store, String namespace, int producers, long maxSends, int padding) {
        this.store = store;
        this.padding = "x".repeat(padding);
        this.ackedPerShard = new AtomicLongArray(store.shardCount());
        this.maxSends = maxSends;
        this.mq = SmartMQ.builder()
                .config(SmartMQConfig.custom().namespace(namespace).shutdownTimeout(Duration.ofSeconds(2)).build())
                .transport(DegradedEngineStubs.deadMq())
                .fallbackStore(store)
                .degradationSwitch(DegradedEngineStubs.degradedSwitch(namespace, GROUP))
                .build();
        checker.expectGroups(GROUP);
        SmartProducer producer = mq.producer();
        for (int i = 0; i < producers; i++) {
            int id = i;
            threads.add(new Thread(() -> produce(producer, id), "failover-producer-" + i));
        }
        threads.add(new Thread(this::consume, "failover-consumer"));
    }

    /** Send attempts so far. */
    long sends() {
        return Math.min(sends.get(), maxSends);
    }

    @Override
    public String toString() {
        return "sends=" + sends() + "/" + maxSends + ", acked=" + acked + ", failed=" + failed + ", consumed="
                + consumed + ", consumerErrors=" + consumerErrors + ", unexpected=" + unexpected.size();
    }

    void start() {
        threads.forEach(Thread::start);
    }

    private void produce(SmartProducer producer, int id) {
        long n = 0;
        while (!stopSending && sends.incrementAndGet() <= maxSends) {
            String key = "k" + id + "-" + (n++ % 16);
            Message m = Message.builder(TOPIC).key(key).body("m" + n + padding).build();
            SendRecorder.Attempt attempt = checker.beginSend(key);
            try {
                SendReceipt r = producer.send(m);
                attempt.ok(r);
                acked.incrementAndGet();
                ackedPerShard.incrementAndGet(store.shardFor(m));
            } catch (DeliveryException e) {
                attempt.failed(e);
                failed.incrementAndGet();
                pause(FAILURE_BACKOFF_MILLIS); // a caller that got an error waits a little before the next send
            } catch (RuntimeException e) {
                attempt.unknown(e);
                unexpected.add(e);
            }
        }
    }

    private void consume() {
        while (!stopConsuming) {
            int found = 0;
            for (int s = 0; s < store.shardCount() && !stopConsuming; s++) {
                try {
                    List<ClaimedMessage> batch = store.claim(TOPIC, GROUP, s, "consumer-1", 100);
                    for (ClaimedMessage c : batch) {
                        checker.delivered(GROUP, c.envelope().id(), "FALLBACK");
                    }
                    found += batch.size();
                    consumed.addAndGet(batch.size());
                    store.ackAll(batch);
                } catch (FallbackStoreException e) {
                    consumerErrors.incrementAndGet(); // an unacked claim comes back after its lease
                }
            }
            if (found == 0) {
                pause(20); // poll interval of an idle consumer
            }
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the producers (the consumer keeps draining). */
    void stopSending() throws InterruptedException {
        stopSending = true;
        for (Thread t : threads) {
            if (t.getName().startsWith("failover-producer")) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
        }
    }

    /** Stops everything; closes the engine (and with it the store). */
    @Override
    public void close() throws InterruptedException {
        stopSending = true;
        stopConsuming = true;
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
        mq.close();
    }
}
