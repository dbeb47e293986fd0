package dev.smartmq.redis;

import dev.smartmq.api.Subscription;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.ConsumerRegistration;
import dev.smartmq.spi.DegradationSwitch;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.PrimaryTransport;
import dev.smartmq.spi.SwitchListener;
import dev.smartmq.spi.SwitchTransition;
import dev.smartmq.spi.TransitionResult;
import dev.smartmq.spi.TransportException;
import dev.smartmq.spi.TransportListener;
import dev.smartmq.spi.TransportReceipt;
import dev.smartmq.spi.TransportSubscription;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The two ports a producer-side test of the Redis store does not exercise: a switch held in a MANUAL DEGRADED
 * state (so every send goes to the real Redis store) with one registered group, and an MQ that is down. Not
 * the subject of any test here; ZooKeeper and RocketMQ behaviour is tested in their own modules.
 */
final class DegradedEngineStubs {

    private DegradedEngineStubs() {
    }

    /** A switch that says DEGRADED (manual, no expiry) and knows {@code group} for every topic. */
    static DegradationSwitch degradedSwitch(String namespace, String group) {
        SwitchStatus degraded = new SwitchStatus(SwitchState.DEGRADED, SwitchMode.MANUAL, "test", "test",
                Instant.now(), null, 1);
        return new DegradationSwitch() {
            @Override
            public void start() {
            }

            @Override
            public String namespace() {
                return namespace;
            }

            @Override
            public SwitchStatus current() {
                return degraded;
            }

            @Override
            public boolean isReachable() {
                return true;
            }

            @Override
            public TransitionResult transition(SwitchTransition transition) {
                return new TransitionResult(false, degraded);
            }

            @Override
            public void addListener(SwitchListener listener, Executor executor) {
            }

            @Override
            public void removeListener(SwitchListener listener) {
            }

            @Override
            public ConsumerRegistration registerConsumer(String topic, String g, String consumerId) {
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
                return Set.of(group);
            }

            @Override
            public Map<String, Set<String>> registeredGroups() {
                return Map.of();
            }

            @Override
            public Optional<Set<String>> liveConsumers(String topic, String g) {
                return Optional.empty();
            }

            @Override
            public boolean isLeader() {
                return false;
            }

            @Override
            public void close() {
            }
        };
    }

    /** An MQ that is down: every call fails as an infrastructure failure. */
    static PrimaryTransport deadMq() {
        return new PrimaryTransport() {
            @Override
            public void start() {
            }

            @Override
            public TransportReceipt send(Envelope envelope, Duration timeout) {
                throw TransportException.infrastructure("MQ down (test stub)", null);
            }

            @Override
            public CompletableFuture<TransportReceipt> sendAsync(Envelope envelope, Duration timeout) {
                return CompletableFuture.failedFuture(TransportException.infrastructure("MQ down (test stub)", null));
            }

            @Override
            public TransportSubscription subscribe(Subscription subscription, TransportListener listener) {
                throw TransportException.infrastructure("MQ down (test stub)", null);
            }

            @Override
            public void probe(String probeTopic, Duration timeout) {
                throw TransportException.infrastructure("MQ down (test stub)", null);
            }

            @Override
            public void close() {
            }
        };
    }
}
