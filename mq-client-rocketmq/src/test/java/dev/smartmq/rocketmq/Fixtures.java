package dev.smartmq.rocketmq;

import dev.smartmq.api.Message;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.TransportReceipt;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** Shared helpers of the transport's integration tests. */
final class Fixtures {

    static final Duration BUDGET = Duration.ofSeconds(3);

    private Fixtures() {
    }

    /** A transport for tests: fast route refresh, new groups read from the first offset. */
    static RocketMQTransport.Builder transport(String nameServer) {
        return RocketMQTransport.builder()
                .nameServer(nameServer)
                .producerGroup("smartmq-it-" + UUID.randomUUID().toString().substring(0, 8))
                .sendTimeout(BUDGET)
                // A loaded 2-core box misses 1-second name server calls (a subscribe failed on it).
                .nameServerTimeout(Duration.ofSeconds(3))
                .routeRefreshInterval(Duration.ofSeconds(1))
                .consumeFrom(ConsumeFrom.FIRST_OFFSET)
                .consumeThreads(4);
    }

    static Envelope envelope(Message message) {
        return new Envelope(uuidV7(), message, System.currentTimeMillis(), 0);
    }

    /** A UUIDv7 id like the engine's (the only form of {@code SMQ_ID} the transport trusts). */
    static String uuidV7() {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        long msb = ((System.currentTimeMillis() & 0xFFFF_FFFF_FFFFL) << 16) | 0x7000L | r.nextInt(1 << 12);
        long lsb = (r.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(msb, lsb).toString();
    }

    static Envelope envelope(String topic, String body) {
        return envelope(Message.builder(topic).body(body).build());
    }

    static String uniqueTopic(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static Throwable causeOf(CompletableFuture<?> future) {
        try {
            future.join();
            return null;
        } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
            return e.getCause() != null ? e.getCause() : e;
        }
    }

    /** Collects what a listener receives. */
    static final class Inbox {
        final List<ReceivedMessage> messages = new CopyOnWriteArrayList<>();

        dev.smartmq.spi.TransportListener listener() {
            return m -> {
                messages.add(m);
                return dev.smartmq.api.ConsumeResult.SUCCESS;
            };
        }

        int size() {
            return messages.size();
        }
    }

    /**
     * The smallest SmartProducer that goes straight to a transport (no fallback, no switch): enough to drive
     * {@link SmartRocketMQProducer} over a real broker until the engine exists.
     */
    static final class DirectSmartProducer implements SmartProducer {
        private final RocketMQTransport transport;

        DirectSmartProducer(RocketMQTransport transport) {
            this.transport = transport;
        }

        @Override
        public SendReceipt send(Message message) {
            transport.validate(message);
            Envelope env = envelope(message);
            TransportReceipt r = transport.send(env, BUDGET);
            return new SendReceipt(env.id(), Route.MQ, 0, r.transportMessageId());
        }

        @Override
        public CompletableFuture<SendReceipt> sendAsync(Message message) {
            transport.validate(message);
            Envelope env = envelope(message);
            return transport.sendAsync(env, BUDGET)
                    .thenApply(r -> new SendReceipt(env.id(), Route.MQ, 0, r.transportMessageId()));
        }

        @Override
        public void close() {
            transport.close();
        }
    }
}
