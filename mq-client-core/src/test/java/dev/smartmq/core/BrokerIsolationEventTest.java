package dev.smartmq.core;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.SwitchState;
import dev.smartmq.core.event.SmartMQEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A broker the transport isolates (and later re-admits) is published as a {@link SmartMQEvent.BrokerIsolated}
 * (and {@link SmartMQEvent.BrokerReadmitted}) on the events thread, beside its counters; the switch is untouched.
 * On the core fakes (ClusterEvidenceTest's scripted transport plays the isolating transport).
 */
class BrokerIsolationEventTest {
    private final Rig rig = new Rig(4);
    private final ClusterEvidenceTest.ScriptedTransport transport = new ClusterEvidenceTest.ScriptedTransport(rig.transport);

    @AfterEach
    void close() {
        rig.close();
    }

    @Test
    void anIsolatedBrokerIsAnEventAndSoIsItsReadmission() {
        rig.start(Rig.fastConfig().build(), b -> b.transport(transport));
        List<SmartMQEvent.BrokerIsolated> isolated = new CopyOnWriteArrayList<>();
        List<SmartMQEvent.BrokerReadmitted> readmitted = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        List<SmartMQEvent> all = new CopyOnWriteArrayList<>();
        rig.mq.events()
                .onBrokerIsolated(e -> {
                    isolated.add(e);
                    threads.add(Thread.currentThread().getName());
                })
                .onBrokerReadmitted(readmitted::add)
                .onEvent(all::add);

        transport.isolate("broker-b");
        await().atMost(Duration.ofSeconds(10)).until(() -> isolated.size() == 1 && readmitted.size() == 1);
        assertEquals("broker-b", isolated.get(0).broker());
        assertEquals("test", isolated.get(0).namespace());
        assertEquals("test", isolated.get(0).reason());
        assertEquals("broker-b", readmitted.get(0).broker());
        assertEquals("probe ok", readmitted.get(0).reason());
        assertTrue(all.indexOf(isolated.get(0)) < all.indexOf(readmitted.get(0)));
        assertEquals(List.of("smartmq-events-1"), threads);
        assertEquals(1, rig.count("smartmq.transport.brokers.isolations"));
        assertTrue(all.stream().noneMatch(e -> e instanceof SmartMQEvent.StateTransition),
                "one broker isolated is not a degradation: " + all);
        assertEquals(SwitchState.NORMAL, rig.mq.effectiveState());
    }
}
