package dev.smartmq.chaos;

import dev.smartmq.api.Subscription;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.PrimaryTransport;
import dev.smartmq.spi.TransportException;
import dev.smartmq.spi.TransportListener;
import dev.smartmq.spi.TransportReceipt;
import dev.smartmq.spi.TransportSubscription;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A primary transport whose MQ cluster is down for good: every send, subscribe and probe fails as an
 * infrastructure failure. For consumer tests whose scenario happens entirely on the fallback path (the MQ is
 * not part of what they test, so they do not start RocketMQ). Stateless, thread-safe.
 */
final class MqDownTransport implements PrimaryTransport {

    private static TransportException down() {
        return TransportException.infrastructure("MQ cluster down (test transport)", null);
    }

    @Override
    public void start() {
    }

    @Override
    public TransportReceipt send(Envelope envelope, Duration timeout) {
        throw down();
    }

    @Override
    public CompletableFuture<TransportReceipt> sendAsync(Envelope envelope, Duration timeout) {
        return CompletableFuture.failedFuture(down());
    }

    @Override
    public TransportSubscription subscribe(Subscription subscription, TransportListener listener) {
        throw down();
    }

    @Override
    public void probe(String probeTopic, Duration timeout) {
        throw down();
    }

    @Override
    public void close() {
    }
}
