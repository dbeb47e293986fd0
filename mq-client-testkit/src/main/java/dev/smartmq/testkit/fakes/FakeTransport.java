package dev.smartmq.testkit.fakes;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Route;
import dev.smartmq.api.Subscription;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.PrimaryTransport;
import dev.smartmq.spi.TransportException;
import dev.smartmq.spi.TransportListener;
import dev.smartmq.spi.TransportReceipt;
import dev.smartmq.spi.TransportSubscription;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * An in-memory MQ ({@link PrimaryTransport}) whose failures the test controls: {@link #mode} makes every send
 * succeed, fail as an outage or hang; predicates reject chosen messages as bad input; a probe script decides the
 * prober's answers. Sent envelopes are kept for assertions, and subscriptions deliver what is sent to them. For
 * unit tests of handlers and routing: send through a {@code SmartMQ} built on it, then check {@link #wasSent} (the
 * MQ path) against a {@link FakeFallbackStore} (the fallback path).
 *
 * <p>Thread rules: thread-safe; deliveries run on the subscription's own thread.
 */
public final class FakeTransport implements PrimaryTransport {

    public enum Mode {
        /** Sends succeed. */
        OK,
        /** Every send fails as infrastructure, known not stored (connection refused). */
        FAIL_INFRA,
        /** Sync sends block until {@link #releaseHang()} (or their timeout); async futures never complete. */
        HANG
    }

    private final List<String> events;
    private volatile Mode mode = Mode.OK;
    private final AtomicInteger failNext = new AtomicInteger();
    private volatile Predicate<Message> rejectAsInput = m -> false;
    private volatile Predicate<Message> invalidOnValidate = m -> false;
    private final AtomicInteger sendCalls = new AtomicInteger();
    private final AtomicInteger asyncCalls = new AtomicInteger();
    private final AtomicInteger probeCalls = new AtomicInteger();
    private final Queue<Envelope> sent = new ConcurrentLinkedQueue<>();
    private final Queue<Boolean> probeScript = new ConcurrentLinkedQueue<>();
    private volatile boolean probeHealthy;
    private final CountDownLatch hang = new CountDownLatch(1);
    private final List<CompletableFuture<TransportReceipt>> hungFutures = new CopyOnWriteArrayList<>();
    private final List<FakeSubscription> subscriptions = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService delivery = Executors.newSingleThreadScheduledExecutor(
            r -> new Thread(r, "fake-mq-delivery"));

    public FakeTransport(List<String> events) {
        this.events = events;
    }

    public FakeTransport() {
        this(new CopyOnWriteArrayList<>());
    }

    public FakeTransport mode(Mode m) {
        this.mode = m;
        return this;
    }

    public void failNext(int n) {
        failNext.set(n);
    }

    public void rejectAsInput(Predicate<Message> p) {
        this.rejectAsInput = p;
    }

    public void invalidOnValidate(Predicate<Message> p) {
        this.invalidOnValidate = p;
    }

    public void probeHealthy(boolean healthy) {
        this.probeHealthy = healthy;
    }

    public void scriptProbes(Boolean... outcomes) {
        probeScript.addAll(List.of(outcomes));
    }

    public int sendCalls() {
        return sendCalls.get();
    }

    public int asyncCalls() {
        return asyncCalls.get();
    }

    public int mqCalls() {
        return sendCalls.get() + asyncCalls.get();
    }

    public int probeCalls() {
        return probeCalls.get();
    }

    public boolean wasSent(String id) {
        return sent.stream().anyMatch(e -> e.id().equals(id));
    }

    public List<FakeSubscription> subscriptions() {
        return subscriptions;
    }

    public void releaseHang() {
        hang.countDown();
    }

    @Override
    public void start() {
        events.add("transport.start");
    }

    @Override
    public void validate(Message message) {
        if (invalidOnValidate.test(message)) {
            throw new InvalidMessageException("fake MQ: invalid " + message);
        }
    }

    private void check(Envelope envelope) {
        if (rejectAsInput.test(envelope.message())) {
            throw TransportException.input("fake MQ: input rejected", null);
        }
        if (failNext.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0 || mode == Mode.FAIL_INFRA) {
            throw TransportException.infrastructure("fake MQ: connection refused", null).asNotStored();
        }
    }

    @Override
    public TransportReceipt send(Envelope envelope, Duration timeout) {
        sendCalls.incrementAndGet();
        if (mode == Mode.HANG) {
            try {
                hang.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw TransportException.infrastructure("fake MQ: timeout", null);
        }
        check(envelope);
        sent.add(envelope);
        return new TransportReceipt("mq-" + envelope.id());
    }

    @Override
    public CompletableFuture<TransportReceipt> sendAsync(Envelope envelope, Duration timeout) {
        asyncCalls.incrementAndGet();
        if (mode == Mode.HANG) {
            CompletableFuture<TransportReceipt> f = new CompletableFuture<>();
            hungFutures.add(f);
            return f;
        }
        try {
            check(envelope);
        } catch (TransportException e) {
            return CompletableFuture.failedFuture(e);
        }
        sent.add(envelope);
        return CompletableFuture.completedFuture(new TransportReceipt("mq-" + envelope.id()));
    }

    @Override
    public TransportSubscription subscribe(Subscription subscription, TransportListener listener) {
        FakeSubscription s = new FakeSubscription(subscription, listener);
        subscriptions.add(s);
        events.add("transport.subscribe");
        return s;
    }

    @Override
    public void probe(String probeTopic, Duration timeout) {
        probeCalls.incrementAndGet();
        Boolean scripted = probeScript.poll();
        boolean ok = scripted != null ? scripted : probeHealthy;
        if (!ok) {
            throw TransportException.infrastructure("fake MQ: probe failed", null);
        }
    }

    @Override
    public void close() {
        events.add("transport.close");
        hang.countDown();
        hungFutures.forEach(f -> f.completeExceptionally(TransportException.infrastructure("closed", null)));
        delivery.shutdownNow();
    }

    /** An MQ subscription: messages offered to it are delivered in order, only while it is not paused. */
    public final class FakeSubscription implements TransportSubscription {
        private final Subscription subscription;
        private final TransportListener listener;
        private final ArrayDeque<ReceivedMessage> pending = new ArrayDeque<>();
        private volatile boolean paused;
        private volatile boolean closed;
        private final AtomicInteger pauses = new AtomicInteger();

        FakeSubscription(Subscription subscription, TransportListener listener) {
            this.subscription = subscription;
            this.listener = listener;
        }

        public Subscription subscription() {
            return subscription;
        }

        /** Queues an MQ delivery of {@code message} with {@code id}. */
        public void offer(String id, Message message) {
            synchronized (pending) {
                pending.add(new ReceivedMessage(id, message, System.currentTimeMillis(), 1, Route.MQ));
            }
            delivery.execute(this::pump);
        }

        private void pump() {
            while (!paused && !closed) {
                ReceivedMessage m;
                synchronized (pending) {
                    m = pending.peek();
                }
                if (m == null) {
                    return;
                }
                ConsumeResult r;
                try {
                    r = listener.onMessage(m);
                } catch (Exception e) {
                    r = ConsumeResult.RETRY_LATER;
                }
                if (r != ConsumeResult.SUCCESS) {
                    delivery.schedule(this::pump, 20, TimeUnit.MILLISECONDS);
                    return;
                }
                synchronized (pending) {
                    pending.poll();
                }
            }
        }

        public int pauses() {
            return pauses.get();
        }

        public int pendingCount() {
            synchronized (pending) {
                return pending.size();
            }
        }

        @Override
        public void pause() {
            pauses.incrementAndGet();
            paused = true;
        }

        @Override
        public void resume() {
            paused = false;
            delivery.execute(this::pump);
        }

        @Override
        public boolean isPaused() {
            return paused;
        }

        @Override
        public void close() {
            if (!closed) {
                events.add("subscription.close");
            }
            closed = true;
        }
    }
}
