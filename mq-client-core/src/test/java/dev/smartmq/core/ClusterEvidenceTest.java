package dev.smartmq.core;

import static dev.smartmq.core.Rig.msg;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.Message;
import dev.smartmq.api.Route;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.api.Subscription;
import dev.smartmq.api.SwitchState;
import dev.smartmq.testkit.fakes.FakeTransport;
import dev.smartmq.spi.BrokerHealthListener;
import dev.smartmq.spi.Envelope;
import dev.smartmq.spi.FailureScope;
import dev.smartmq.spi.PrimaryTransport;
import dev.smartmq.spi.TransportException;
import dev.smartmq.spi.TransportListener;
import dev.smartmq.spi.TransportReceipt;
import dev.smartmq.spi.TransportSubscription;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Which failures degrade the namespace (DESIGN.md §4, issue 13): only evidence against the whole cluster counts —
 * consecutive unattributed/cluster failures, or the brownout window's failure rate / slow-call rate. Failures of one
 * broker the transport isolates, sends refused because their broker is isolated, and topics without a route fall
 * back per message and never degrade anyone.
 */
class ClusterEvidenceTest {
    private final Rig rig = new Rig(8);
    private final ScriptedTransport transport = new ScriptedTransport(rig.transport);

    @AfterEach
    void close() {
        rig.close();
    }

    private void start(SmartMQConfig config) {
        rig.start(config, b -> b.transport(transport));
        rig.sw.setLeader(false); // no prober: a degrade stays visible
    }

    @Test
    void halfOfSendsFailing_tripsTheBrownoutRule_thoughNeverTwoFailuresInARow() {
        start(Rig.fastConfig().failureThreshold(1000).brownoutWindowSize(20).brownoutMinimumCalls(10)
                .brownoutFailureRateThreshold(50).build());
        AtomicInteger n = new AtomicInteger();
        transport.failures(e -> n.getAndIncrement() % 2 == 0
                ? TransportException.infrastructure("connection cut", null) : null);
        SmartProducer producer = rig.mq.producer();
        for (int i = 0; i < 9; i++) {
            producer.send(msg("orders"));
        }
        assertEquals(SwitchState.NORMAL, rig.mq.effectiveState(), "fewer sends than the window's minimum");
        for (int i = 0; i < 4; i++) {
            producer.send(msg("orders"));
        }
        assertEquals(SwitchState.DEGRADED, rig.mq.effectiveState());
        await().atMost(Duration.ofSeconds(5)).until(() -> rig.sw.current().state() == SwitchState.DEGRADED);
        assertTrue(rig.sw.current().reason().contains("brownout"), rig.sw.current().reason());
        assertEquals(1, rig.count("smartmq.detector.brownout-trips"));
    }

    @Test
    void halfOfSendsFailing_withTheDefaults_degradesWithinTheDefaultWindow() {
        start(Rig.fastConfig().failureThreshold(1000).build());
        AtomicInteger n = new AtomicInteger();
        transport.failures(e -> n.getAndIncrement() % 2 == 0
                ? TransportException.infrastructure("connection cut", null) : null);
        int sends = 0;
        while (rig.mq.effectiveState() == SwitchState.NORMAL && sends < 500) {
            rig.mq.producer().send(msg("orders"));
            sends++;
        }
        assertEquals(SwitchState.DEGRADED, rig.mq.effectiveState());
        assertTrue(sends >= SmartMQConfig.DEFAULT_BROWNOUT_MINIMUM_CALLS
                && sends <= SmartMQConfig.DEFAULT_BROWNOUT_WINDOW_SIZE, "tripped after " + sends + " sends");
    }

    @Test
    void everySendSlow_tripsTheSlowCallRule() {
        start(Rig.fastConfig().failureThreshold(1000).sendTimeout(Duration.ofSeconds(1))
                .brownoutWindowSize(10).brownoutMinimumCalls(10).brownoutSlowCallRateThreshold(80)
                .brownoutSlowCallDuration(Duration.ofMillis(20)).build());
        transport.latency(Duration.ofMillis(25));
        for (int i = 0; i < 9; i++) {
            assertEquals(Route.MQ, rig.mq.producer().send(msg("orders")).route());
        }
        assertEquals(SwitchState.NORMAL, rig.mq.effectiveState());
        rig.mq.producer().send(msg("orders"));
        assertEquals(SwitchState.DEGRADED, rig.mq.effectiveState());
        assertTrue(rig.mq.metrics().getGauges().get("smartmq.detector.slow-call-rate").getValue() != null);
    }

    @Test
    void oneSlowCallAmongHealthySends_doesNotDegrade() {
        start(Rig.fastConfig().sendTimeout(Duration.ofSeconds(1)).brownoutWindowSize(10).brownoutMinimumCalls(5)
                .brownoutSlowCallDuration(Duration.ofMillis(30)).build());
        SmartProducer producer = rig.mq.producer();
        for (int i = 0; i < 20; i++) {
            producer.send(msg("orders"));
        }
        transport.latency(Duration.ofMillis(60));
        producer.send(msg("orders"));
        transport.latency(Duration.ZERO);
        for (int i = 0; i < 20; i++) {
            producer.send(msg("orders"));
        }
        assertEquals(SwitchState.NORMAL, rig.mq.effectiveState());
        assertEquals(0, rig.sw.transitionRequests());
        assertEquals(0, rig.count("smartmq.detector.brownout-trips"));
    }

    @Test
    void brownoutRuleOff_halfFailingNeverDegrades() {
        start(Rig.fastConfig().failureThreshold(1000).brownoutWindowSize(0).build());
        AtomicInteger n = new AtomicInteger();
        transport.failures(e -> n.getAndIncrement() % 2 == 0
                ? TransportException.infrastructure("connection cut", null) : null);
        for (int i = 0; i < 300; i++) {
            rig.mq.producer().send(msg("orders"));
        }
        assertEquals(SwitchState.NORMAL, rig.mq.effectiveState());
        assertEquals(-1, rig.gauge("smartmq.detector.failure-rate"));
    }

    @Test
    void failuresOfOneBrokerWhileOthersServe_fallBackPerMessage_andNeverDegrade() {
        start(Rig.fastConfig().failureThreshold(3).build());
        transport.failures(e -> TransportException.infrastructure(FailureScope.BROKER, "broker-b", "broker-b timed out",
                null));
        for (int i = 0; i < 50; i++) {
            assertEquals(Route.FALLBACK, rig.mq.producer().send(msg("orders")).route());
        }
        assertEquals(SwitchState.NORMAL, rig.mq.effectiveState());
        assertEquals(0, rig.gauge("smartmq.detector.consecutive-failures"));
        assertEquals(50, rig.count("smartmq.producer.failures.broker"));
        assertEquals(50, rig.count("smartmq.producer.failovers"));
    }

    @Test
    void sendsRefusedBecauseTheirBrokerIsIsolated_fallBack_areCounted_andNeverDegrade() {
        start(Rig.fastConfig().failureThreshold(3).build());
        transport.failures(e -> TransportException.infrastructure(FailureScope.BROKER_ISOLATED, "broker-b",
                "isolated", null));
        for (int i = 0; i < 50; i++) {
            dev.smartmq.api.SendReceipt r = rig.mq.producer().sendAsync(msg("orders", "k" + i, "x")).join();
            assertEquals(Route.FALLBACK, r.route());
            assertTrue(rig.store.contains(r.messageId()), "in the fallback store when the future completed");
        }
        assertEquals(SwitchState.NORMAL, rig.mq.effectiveState());
        assertEquals(50, rig.count("smartmq.producer.sends.isolated"));
        assertEquals(0, rig.count("smartmq.producer.failovers"), "never attempted on the MQ: not a failover");
    }

    @Test
    void aTopicWithoutRoute_fallsBackPerMessage_withoutDegrading_whileOthersSend() {
        start(Rig.fastConfig().failureThreshold(3).build());
        transport.failures(e -> e.topic().equals("misspelt")
                ? TransportException.infrastructure(FailureScope.TOPIC, null, "No route info of misspelt", null) : null);
        for (int i = 0; i < 100; i++) {
            assertEquals(Route.FALLBACK, rig.mq.producer().send(msg("misspelt")).route());
        }
        assertEquals(Route.MQ, rig.mq.producer().send(msg("orders")).route());
        assertEquals(SwitchState.NORMAL, rig.mq.effectiveState());
        assertEquals(0, rig.sw.transitionRequests());
        assertEquals(100, rig.count("smartmq.producer.sends.no-route"));
    }

    @Test
    void aKindOfMessageAHealthyBrokerRefuses_fallsBackPerMessage_withoutDegrading() {
        start(Rig.fastConfig().failureThreshold(3).build());
        transport.failures(e -> e.message().key() != null && e.message().key().startsWith("timed")
                ? TransportException.infrastructure(FailureScope.MESSAGE_KIND, "broker-a",
                "accurate timer message is not enabled, timerWheelEnable is false", null) : null);
        for (int i = 0; i < 100; i++) {
            assertEquals(Route.FALLBACK, rig.mq.producer().send(msg("orders", "timed-" + i, "x")).route());
        }
        assertEquals(Route.MQ, rig.mq.producer().send(msg("orders", "plain", "x")).route());
        assertEquals(SwitchState.NORMAL, rig.mq.effectiveState());
        assertEquals(0, rig.sw.transitionRequests());
        assertEquals(100, rig.count("smartmq.producer.sends.kind-refused"));
        assertEquals(0, rig.count("smartmq.producer.failovers"), "not evidence against the cluster");
    }

    @Test
    void clusterScopedFailures_countAsToday() {
        start(Rig.fastConfig().failureThreshold(3).build());
        transport.failures(e -> TransportException.infrastructure(FailureScope.CLUSTER, "broker-a", "last broker down",
                null));
        for (int i = 0; i < 3; i++) {
            rig.mq.producer().send(msg("orders"));
        }
        assertEquals(SwitchState.DEGRADED, rig.mq.effectiveState());
    }

    @Test
    void isolationAndReadmission_areCountedAndProbedOnEveryInstance() {
        start(Rig.fastConfig().build());
        transport.isolate("broker-b");
        await().atMost(Duration.ofSeconds(5)).until(() -> transport.probes.get() > 0 && transport.isolated.isEmpty());
        assertEquals(1, rig.count("smartmq.transport.brokers.isolations"));
        assertEquals(1, rig.count("smartmq.transport.brokers.readmissions"));
        assertEquals(0, rig.gauge("smartmq.transport.brokers.isolated"));
    }

    /**
     * Wraps the rig's {@link FakeTransport}: fails sends as scripted (by envelope), adds latency, and plays a
     * transport that isolates and re-admits brokers.
     */
    static final class ScriptedTransport implements PrimaryTransport {
        private final FakeTransport delegate;
        private volatile Function<Envelope, TransportException> failures = e -> null;
        private volatile Duration latency = Duration.ZERO;
        private volatile BrokerHealthListener listener = BrokerHealthListener.NONE;
        final Set<String> isolated = ConcurrentHashMap.newKeySet();
        final AtomicInteger probes = new AtomicInteger();

        ScriptedTransport(FakeTransport delegate) {
            this.delegate = delegate;
        }

        void failures(Function<Envelope, TransportException> f) {
            this.failures = f;
        }

        void latency(Duration d) {
            this.latency = d;
        }

        void isolate(String broker) {
            isolated.add(broker);
            listener.brokerIsolated(broker, "test");
        }

        private void script(Envelope envelope) {
            if (!latency.isZero()) {
                try {
                    Thread.sleep(latency.toMillis()); // the slow broker is the scenario
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            TransportException e = failures.apply(envelope);
            if (e != null) {
                throw e;
            }
        }

        @Override
        public void start() {
            delegate.start();
        }

        @Override
        public void validate(Message message) {
            delegate.validate(message);
        }

        @Override
        public TransportReceipt send(Envelope envelope, Duration timeout) {
            script(envelope);
            return delegate.send(envelope, timeout);
        }

        @Override
        public CompletableFuture<TransportReceipt> sendAsync(Envelope envelope, Duration timeout) {
            try {
                script(envelope);
            } catch (TransportException e) {
                return CompletableFuture.failedFuture(e);
            }
            return delegate.sendAsync(envelope, timeout);
        }

        @Override
        public TransportSubscription subscribe(Subscription subscription, TransportListener l) {
            return delegate.subscribe(subscription, l);
        }

        @Override
        public void probe(String probeTopic, Duration timeout) {
            delegate.probe(probeTopic, timeout);
        }

        @Override
        public void brokerHealthListener(BrokerHealthListener l) {
            this.listener = l;
        }

        @Override
        public Set<String> isolatedBrokers() {
            return Set.copyOf(isolated);
        }

        @Override
        public void probeIsolatedBrokers(String probeTopic, Duration timeout) {
            probes.incrementAndGet();
            for (String b : Set.copyOf(isolated)) {
                isolated.remove(b);
                listener.brokerReadmitted(b, "probe ok");
            }
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
