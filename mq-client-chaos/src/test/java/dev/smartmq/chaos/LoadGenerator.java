package dev.smartmq.chaos;

import dev.smartmq.api.DeliveryException;
import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.testkit.checker.DeliveryChecker;
import dev.smartmq.testkit.checker.SendRecorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small paced load: {@code threads} sender threads, each owning its own keys (so per-key send order is the
 * thread's order and the order checks mean something), sending one message at a time per thread with a pause
 * between sends. Every attempt and outcome goes into the {@link DeliveryChecker}; a send that ends with an
 * exception other than {@link DeliveryException} / {@link InvalidMessageException} is recorded as "unknown" and
 * kept in {@link #unexpectedErrors()} (the SDK promised not to throw anything else).
 *
 * <p>Bounded in count ({@code maxMessages}) and time ({@code maxDuration}); {@link #stop()} ends it earlier.
 * In async mode each thread calls {@code sendAsync} and does not wait for the future (per-key order is then not
 * meaningful); the time each {@code sendAsync} call took to return is measured separately from completion.
 */
final class LoadGenerator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LoadGenerator.class);

    /** What the producer acknowledged for one message: its key, its per-key send sequence and the route. */
    record Sent(String id, String key, long seq, Route route, long ackNanos) {
    }

    private final String name;
    private final String topic;
    private final List<SmartProducer> producers;
    private final DeliveryChecker checker;
    private final int threads;
    private final int keysPerThread;
    private final Duration pause;
    private final long maxMessages;
    private final Duration maxDuration;
    private final boolean async;
    private final boolean keyless;
    private final long slowCallNanos;

    private final List<Thread> workers = new ArrayList<>();
    private final List<CompletableFuture<?>> outstanding = new CopyOnWriteArrayList<>();
    private volatile boolean stopped;
    private final AtomicLong attempts = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong ackedMq = new AtomicLong();
    private final AtomicLong ackedFallback = new AtomicLong();
    private final AtomicLong failedDelivery = new AtomicLong();
    private final AtomicLong failedInput = new AtomicLong();
    private final LongAccumulator maxCallNanos = new LongAccumulator(Math::max, 0);
    private final LongAccumulator maxCompletionNanos = new LongAccumulator(Math::max, 0);
    private final AtomicLong slowCalls = new AtomicLong();
    private final List<Throwable> unexpected = new CopyOnWriteArrayList<>();
    private final Map<String, Sent> sent = new ConcurrentHashMap<>();

    private LoadGenerator(Builder b) {
        this.name = b.name;
        this.topic = b.topic;
        this.producers = List.copyOf(b.producers);
        this.checker = b.checker;
        this.threads = b.threads;
        this.keysPerThread = b.keysPerThread;
        this.pause = b.pause;
        this.maxMessages = b.maxMessages;
        this.maxDuration = b.maxDuration;
        this.async = b.async;
        this.keyless = b.keyless;
        this.slowCallNanos = b.slowCall.toNanos();
    }

    static Builder builder(String name, String topic, DeliveryChecker checker, SmartProducer... producers) {
        return new Builder(name, topic, checker, List.of(producers));
    }

    LoadGenerator start() {
        long deadline = System.nanoTime() + maxDuration.toNanos();
        long perThread = Math.max(1, maxMessages / threads);
        for (int t = 0; t < threads; t++) {
            int index = t;
            SmartProducer producer = producers.get(t % producers.size());
            Thread th = new Thread(() -> run(index, producer, perThread, deadline), "chaos-load-" + name + "-" + t);
            th.setDaemon(true);
            workers.add(th);
            th.start();
        }
        return this;
    }

    private void run(int index, SmartProducer producer, long budget, long deadline) {
        String[] keys = new String[keysPerThread];
        long[] seq = new long[keysPerThread];
        for (int k = 0; k < keysPerThread; k++) {
            keys[k] = name + "-k" + (index * keysPerThread + k);
        }
        long n = 0;
        while (!stopped && n < budget && System.nanoTime() < deadline) {
            int k = (int) (n % keysPerThread);
            send(producer, keys[k], seq[k]++);
            n++;
            try {
                Thread.sleep(pause.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void send(SmartProducer producer, String key, long seq) {
        // A keyless load still tracks a logical key per message (the checker's order bookkeeping), but the
        // message itself carries none, so the transport picks its queue freely.
        Message message = Message.builder(topic).key(keyless ? null : key).tags("chaos")
                .property("seq", Long.toString(seq))
                .body("{\"key\":\"" + key + "\",\"seq\":" + seq + "}")
                .build();
        SendRecorder.Attempt attempt = checker.beginSend(key);
        attempts.incrementAndGet();
        long t0 = System.nanoTime();
        if (async) {
            CompletableFuture<SendReceipt> f;
            try {
                f = producer.sendAsync(message);
            } catch (RuntimeException e) {
                // sendAsync reports through the future; a throw is a broken promise.
                maxCallNanos.accumulate(System.nanoTime() - t0);
                unexpected.add(e);
                attempt.unknown(e);
                return;
            }
            maxCallNanos.accumulate(System.nanoTime() - t0);
            CompletableFuture<?> done = f.whenComplete((receipt, error) -> {
                long took = System.nanoTime() - t0;
                maxCompletionNanos.accumulate(took);
                if (took >= slowCallNanos) {
                    slowCalls.incrementAndGet();
                }
                outcome(attempt, key, seq, receipt, error);
            });
            outstanding.add(done);
            done.whenComplete((r, e) -> outstanding.remove(done));
            return;
        }
        SendReceipt receipt = null;
        Throwable error = null;
        try {
            receipt = producer.send(message);
        } catch (RuntimeException e) {
            error = e;
        }
        long took = System.nanoTime() - t0;
        maxCallNanos.accumulate(took);
        if (took >= slowCallNanos) {
            slowCalls.incrementAndGet();
        }
        maxCompletionNanos.accumulate(took);
        outcome(attempt, key, seq, receipt, error);
    }

    private void outcome(SendRecorder.Attempt attempt, String key, long seq, SendReceipt receipt, Throwable error) {
        if (error == null) {
            attempt.ok(receipt);
            acked.incrementAndGet();
            (receipt.route() == Route.MQ ? ackedMq : ackedFallback).incrementAndGet();
            sent.put(receipt.messageId(), new Sent(receipt.messageId(), key, seq, receipt.route(), System.nanoTime()));
            return;
        }
        Throwable cause = unwrap(error);
        if (cause instanceof DeliveryException) {
            failedDelivery.incrementAndGet();
            attempt.failed(cause);
        } else if (cause instanceof InvalidMessageException) {
            failedInput.incrementAndGet();
            attempt.failed(cause);
        } else {
            unexpected.add(cause);
            attempt.unknown(cause);
        }
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof java.util.concurrent.CompletionException
                || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** Stops sending and waits for the sender threads and for outstanding async sends. */
    void stop() {
        stopped = true;
        for (Thread t : workers) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (t.isAlive()) {
                log.error("load thread {} did not stop within 30 s", t.getName());
            }
        }
        try {
            CompletableFuture.allOf(outstanding.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.error("async sends still outstanding 30 s after the load stopped: {}", outstanding.size());
        }
    }

    boolean isRunning() {
        return workers.stream().anyMatch(Thread::isAlive);
    }

    long attempts() {
        return attempts.get();
    }

    long acked() {
        return acked.get();
    }

    long ackedMq() {
        return ackedMq.get();
    }

    long ackedFallback() {
        return ackedFallback.get();
    }

    long failedDelivery() {
        return failedDelivery.get();
    }

    long failedInput() {
        return failedInput.get();
    }

    /** Longest time a {@code send}/{@code sendAsync} call took to return to its caller. */
    Duration maxCall() {
        return Duration.ofNanos(maxCallNanos.get());
    }

    /** Longest time from the call to the outcome (the same as {@link #maxCall()} for sync sends). */
    Duration maxCompletion() {
        return Duration.ofNanos(maxCompletionNanos.get());
    }

    /** Sends whose outcome took at least the builder's {@code slowCall} (sync: the call; async: the completion). */
    long slowCalls() {
        return slowCalls.get();
    }

    List<Throwable> unexpectedErrors() {
        return List.copyOf(unexpected);
    }

    /** Acknowledged messages by id. */
    Map<String, Sent> sent() {
        return Map.copyOf(sent);
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "load " + name + ": attempts=" + attempts + " acked=" + acked + " (mq=" + ackedMq + " fallback="
                + ackedFallback + ") failed=" + failedDelivery + " invalid=" + failedInput + " unexpected="
                + unexpected.size() + " maxCall=" + maxCall().toMillis() + "ms maxCompletion="
                + maxCompletion().toMillis() + "ms";
    }

    static final class Builder {
        private final String name;
        private final String topic;
        private final DeliveryChecker checker;
        private final List<SmartProducer> producers;
        private int threads = 4;
        private int keysPerThread = 2;
        private Duration pause = Duration.ofMillis(20);
        private long maxMessages = 20_000L * ChaosSettings.factor();
        private Duration maxDuration = Duration.ofMinutes(3).multipliedBy(ChaosSettings.factor());
        private boolean async;
        private boolean keyless;
        private Duration slowCall = Duration.ofDays(1);

        private Builder(String name, String topic, DeliveryChecker checker, List<SmartProducer> producers) {
            this.name = name;
            this.topic = topic;
            this.checker = checker;
            this.producers = producers;
        }

        Builder threads(int v) {
            this.threads = v;
            return this;
        }

        Builder keysPerThread(int v) {
            this.keysPerThread = v;
            return this;
        }

        /** Pause of each thread between two sends. */
        Builder pause(Duration v) {
            this.pause = v;
            return this;
        }

        Builder maxMessages(long v) {
            this.maxMessages = v;
            return this;
        }

        Builder maxDuration(Duration v) {
            this.maxDuration = v;
            return this;
        }

        Builder async(boolean v) {
            this.async = v;
            return this;
        }

        /** Messages carry no key (the checker still tracks each thread's logical keys). */
        Builder keyless(boolean v) {
            this.keyless = v;
            return this;
        }

        /** Outcomes at least this slow are counted in {@link LoadGenerator#slowCalls()}. */
        Builder slowCall(Duration v) {
            this.slowCall = v;
            return this;
        }

        LoadGenerator start() {
            return new LoadGenerator(this).start();
        }
    }
}
