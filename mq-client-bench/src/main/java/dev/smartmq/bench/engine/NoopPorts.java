package dev.smartmq.bench.engine;

import dev.smartmq.api.Subscription;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.ConsumerRegistration;
import dev.smartmq.spi.DegradationSwitch;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FallbackStore;
import dev.smartmq.spi.PrimaryTransport;
import dev.smartmq.spi.SwitchListener;
import dev.smartmq.spi.SwitchTransition;
import dev.smartmq.spi.TransitionResult;
import dev.smartmq.spi.TransportListener;
import dev.smartmq.spi.TransportReceipt;
import dev.smartmq.spi.TransportSubscription;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Ports that do nothing and answer at once, so a benchmark of the engine measures the engine alone: the
 * transport acknowledges every send with one shared receipt (an already completed future for async sends), the
 * store stores nothing, the switch stays NORMAL with no groups registered and is never the leader.
 *
 * <p>Thread rules: stateless; every method may be called from any thread.
 */
public final class NoopPorts {

    private NoopPorts() {
    }

    /** A transport that acknowledges every send at once. */
    public static final class Transport implements PrimaryTransport {
        private static final TransportReceipt RECEIPT = new TransportReceipt("noop");
        private static final CompletableFuture<TransportReceipt> DONE = CompletableFuture.completedFuture(RECEIPT);

        @Override
        public void start() {
        }

        @Override
        public TransportReceipt send(Envelope envelope, Duration timeout) {
            return RECEIPT;
        }

        @Override
        public CompletableFuture<TransportReceipt> sendAsync(Envelope envelope, Duration timeout) {
            return DONE;
        }

        @Override
        public TransportSubscription subscribe(Subscription subscription, TransportListener listener) {
            return new TransportSubscription() {
                private volatile boolean paused;

                @Override
                public void pause() {
                    paused = true;
                }

                @Override
                public void resume() {
                    paused = false;
                }

                @Override
                public boolean isPaused() {
                    return paused;
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public void probe(String probeTopic, Duration timeout) {
        }

        @Override
        public void close() {
        }
    }

    /** A store that keeps nothing and has nothing to give. */
    public static final class Store implements FallbackStore {
        @Override
        public void start() {
        }

        @Override
        public int shardCount() {
            return 128;
        }

        @Override
        public void append(Envelope envelope, Collection<String> groups) {
        }

        @Override
        public CompletableFuture<Void> appendAsync(Envelope envelope, Collection<String> groups) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public List<ClaimedMessage> claim(String topic, String group, int shard, String consumerId, int max) {
            return List.of();
        }

        @Override
        public void ack(ClaimedMessage message) {
        }

        @Override
        public void release(ClaimedMessage message, boolean countAttempt) {
        }

        @Override
        public void deadLetter(ClaimedMessage message, String reason) {
        }

        @Override
        public long backlog(String topic, String group) {
            return 0;
        }

        @Override
        public int recoverOrphans(String topic, String group, Set<String> liveConsumerIds) {
            return 0;
        }

        @Override
        public long adoptUnclaimed(String topic, String group) {
            return 0;
        }

        @Override
        public long distributeUnclaimed(String topic, Collection<String> groups) {
            return 0;
        }

        @Override
        public long unclaimedBacklog(String topic) {
            return 0;
        }

        @Override
        public Set<String> unclaimedTopics() {
            return Set.of();
        }

        @Override
        public void close() {
        }
    }

    /** A switch that stays NORMAL/AUTO, refuses every transition and knows no groups. */
    public static final class Switch implements DegradationSwitch {
        private final SwitchStatus status = SwitchStatus.initial();

        @Override
        public void start() {
        }

        @Override
        public SwitchStatus current() {
            return status;
        }

        @Override
        public boolean isReachable() {
            return true;
        }

        @Override
        public TransitionResult transition(SwitchTransition transition) {
            return new TransitionResult(false, status);
        }

        @Override
        public void addListener(SwitchListener listener, Executor executor) {
        }

        @Override
        public void removeListener(SwitchListener listener) {
        }

        @Override
        public ConsumerRegistration registerConsumer(String topic, String group, String consumerId) {
            return new ConsumerRegistration() {
                @Override
                public String consumerId() {
                    return consumerId;
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public Set<String> groups(String topic) {
            return Set.of();
        }

        @Override
        public Map<String, Set<String>> registeredGroups() {
            return Map.of();
        }

        @Override
        public Optional<Set<String>> liveConsumers(String topic, String group) {
            return Optional.of(Set.of());
        }

        @Override
        public boolean isLeader() {
            return false;
        }

        @Override
        public void close() {
        }
    }
}
