package dev.smartmq.samples;

import dev.smartmq.api.internal.NamedThreadFactory;
import dev.smartmq.api.DeliveryException;
import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.testkit.checker.SendRecorder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The order service's steady, paced load of {@code OrderPaid} events. Each sending thread owns a fixed
 * partition of the order ids ({@code k mod threads}) and sends synchronously, so the send order of each order id
 * is well defined and the checker can judge per-key order. Every attempt and outcome is recorded.
 *
 * <p>Pacing: each thread targets {@code rate / threads} messages per second. A send that blocks (a dead broker
 * before the switch degrades) delays the thread; missed slots older than a second are dropped instead of being
 * sent in a burst afterwards.
 */
final class OrderLoad {
    private final NamedThreadFactory senderThreads = new NamedThreadFactory("drill-sender");

    static final String TAG = "OrderPaid";
    /** User property carrying the per-order-id send sequence (1, 2, 3...). */
    static final String SEQ_PROPERTY = "seq";
    private static final Logger LOG = LoggerFactory.getLogger(OrderLoad.class);
    private static final long MAX_LAG_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final SmartProducer producer;
    private final SendRecorder recorder;
    private final String topic;
    private final int rate;
    private final int keys;
    private final int threads;
    private final List<Thread> senders = new ArrayList<>();
    private volatile boolean running;

    final LongAdder sent = new LongAdder();
    final LongAdder viaMq = new LongAdder();
    final LongAdder viaFallback = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder unknown = new LongAdder();

    OrderLoad(SmartProducer producer, SendRecorder recorder, String topic, int rate, int keys, int threads) {
        this.producer = producer;
        this.recorder = recorder;
        this.topic = topic;
        this.rate = rate;
        this.keys = keys;
        this.threads = threads;
    }

    /** The key of order number {@code k}. */
    static String orderId(int k) {
        return String.format("ORD-%06d", k);
    }

    synchronized void start() {
        running = true;
        for (int t = 0; t < threads; t++) {
            List<String> own = new ArrayList<>();
            for (int k = t; k < keys; k += threads) {
                own.add(orderId(k));
            }
            Thread sender = senderThreads.newThread(() -> sendLoop(own));
            senders.add(sender);
            sender.start();
        }
    }

    /**
     * Stops sending and waits for the sends in progress.
     *
     * @return whether every sender ended within {@code timeout}
     */
    synchronized boolean stop(Duration timeout) {
        running = false;
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread sender : senders) {
            long left = deadline - System.nanoTime();
            try {
                TimeUnit.NANOSECONDS.timedJoin(sender, Math.max(1, left));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            if (sender.isAlive()) {
                return false;
            }
        }
        return true;
    }

    long acked() {
        return viaMq.sum() + viaFallback.sum();
    }

    private void sendLoop(List<String> ownKeys) {
        long interval = TimeUnit.SECONDS.toNanos(1) * threads / rate;
        long[] sequence = new long[ownKeys.size()];
        int next = 0;
        long due = System.nanoTime();
        while (running) {
            long now = System.nanoTime();
            if (due - now > 0) {
                LockSupport.parkNanos(this, due - now);
                continue;
            }
            if (now - due > MAX_LAG_NANOS) {
                due = now;
            }
            due += interval;
            int i = next;
            next = (next + 1) % ownKeys.size();
            sendOne(ownKeys.get(i), ++sequence[i]);
        }
    }

    private void sendOne(String orderId, long seq) {
        Message message = Message.builder(topic)
                .key(orderId)
                .tags(TAG)
                .property(SEQ_PROPERTY, Long.toString(seq))
                .body(body(orderId, seq))
                .build();
        SendRecorder.Attempt attempt = recorder.beginSend(orderId);
        sent.increment();
        try {
            SendReceipt receipt = producer.send(message);
            attempt.ok(receipt);
            (receipt.route() == Route.MQ ? viaMq : viaFallback).increment();
        } catch (DeliveryException | InvalidMessageException e) {
            // The SDK says: not stored. Honest, never lost; the drill reports it.
            attempt.failed(e);
            failed.increment();
            LOG.warn("send of {} #{} not stored: {}", orderId, seq, e.getMessage());
        } catch (RuntimeException e) {
            attempt.unknown(e);
            unknown.increment();
            LOG.warn("send of {} #{} ended with an unexpected exception", orderId, seq, e);
        }
    }

    private static String body(String orderId, long seq) {
        // Deterministic amounts: the same order id and sequence always carry the same payload.
        long cents = 100 + Math.floorMod((orderId.hashCode() * 31L + seq) * 7919L, 99_900L);
        return "{\"event\":\"OrderPaid\",\"orderId\":\"" + orderId + "\",\"seq\":" + seq + ",\"amountCents\":"
                + cents + ",\"currency\":\"EUR\",\"paidAt\":\"" + Instant.now() + "\"}";
    }
}
