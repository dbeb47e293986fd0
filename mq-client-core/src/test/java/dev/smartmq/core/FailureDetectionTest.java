package dev.smartmq.core;

import static dev.smartmq.core.Rig.msg;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.api.Route;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.api.SwitchState;
import dev.smartmq.testkit.fakes.FakeTransport.Mode;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FailureDetectionTest {
    private final Rig rig = new Rig(8);

    @AfterEach
    void close() {
        rig.close();
    }

    @Test
    void nineInfrastructureFailuresDoNotDegradeTheTenthDoes() {
        rig.start(Rig.fastConfig().failureThreshold(10).build());
        rig.sw.setLeader(false);
        rig.transport.mode(Mode.FAIL_INFRA);
        SmartProducer producer = rig.mq.producer();
        for (int i = 0; i < 9; i++) {
            assertEquals(Route.FALLBACK, producer.send(msg("orders")).route());
        }
        assertEquals(9, rig.gauge("smartmq.detector.consecutive-failures"));
        assertEquals(SwitchState.NORMAL, rig.mq.effectiveState());
        assertEquals(0, rig.sw.transitionRequests());

        assertEquals(Route.FALLBACK, producer.send(msg("orders")).route());
        assertEquals(SwitchState.DEGRADED, rig.mq.effectiveState());
        await().atMost(Duration.ofSeconds(5)).until(() -> rig.sw.current().state() == SwitchState.DEGRADED);
        assertEquals(1, rig.sw.appliedTransitions());
        assertEquals(rig.mq.instanceId(), rig.sw.current().changedBy());
        assertEquals(1, rig.count("smartmq.switch.transitions.made"));
    }

    @Test
    void asyncInfrastructureFailuresCountToo() {
        rig.start(Rig.fastConfig().failureThreshold(10).build());
        rig.sw.setLeader(false);
        rig.transport.mode(Mode.FAIL_INFRA);
        for (int i = 0; i < 9; i++) {
            assertEquals(Route.FALLBACK, rig.mq.producer().sendAsync(msg("orders")).join().route());
        }
        assertEquals(SwitchState.NORMAL, rig.mq.effectiveState());
        rig.mq.producer().sendAsync(msg("orders")).join();
        await().atMost(Duration.ofSeconds(5)).until(() -> rig.sw.current().state() == SwitchState.DEGRADED);
        assertEquals(1, rig.sw.appliedTransitions());
    }

    @Test
    void aSuccessInBetweenResetsTheCount() {
        rig.start(Rig.fastConfig().failureThreshold(10).build());
        rig.sw.setLeader(false);
        SmartProducer producer = rig.mq.producer();
        rig.transport.failNext(9);
        for (int i = 0; i < 9; i++) {
            assertEquals(Route.FALLBACK, producer.send(msg("orders")).route());
        }
        assertEquals(Route.MQ, producer.send(msg("orders")).route());
        assertEquals(0, rig.gauge("smartmq.detector.consecutive-failures"));
        rig.transport.failNext(9);
        for (int i = 0; i < 9; i++) {
            producer.send(msg("orders"));
        }
        assertEquals(SwitchState.NORMAL, rig.mq.effectiveState());
        assertEquals(0, rig.sw.transitionRequests());

        rig.transport.failNext(1);
        producer.send(msg("orders"));
        await().atMost(Duration.ofSeconds(5)).until(() -> rig.sw.current().state() == SwitchState.DEGRADED);
    }

    @Test
    void aThousandInvalidMessagesDegradeNothingAndWriteNothing() {
        rig.start(Rig.fastConfig().failureThreshold(10).maxBodySize(64).build());
        SmartProducer producer = rig.mq.producer();
        rig.transport.rejectAsInput(m -> "reject-me".equals(m.tags()));
        rig.transport.invalidOnValidate(m -> "bad-for-mq".equals(m.key()));
        Message oversized = Message.builder("orders").body(new byte[65]).build();
        Message rejectedByMq = Message.builder("orders").tags("reject-me").body("x").build();
        Message invalidForMq = Message.builder("orders").key("bad-for-mq").body("x").build();
        int reachedMq = 0;
        for (int i = 0; i < 1000; i++) {
            final boolean even = i % 2 == 0;
            switch (i % 5) {
                case 0 -> assertThrows(InvalidMessageException.class,
                        () -> Message.builder(null).body("x").build());
                case 1 -> assertThrows(InvalidMessageException.class, () -> producer.send(oversized));
                case 2 -> {
                    assertThrows(InvalidMessageException.class, () -> producer.send(rejectedByMq));
                    reachedMq++;
                }
                case 3 -> assertThrows(InvalidMessageException.class, () -> producer.send(invalidForMq));
                default -> {
                    CompletionException e = assertThrows(CompletionException.class,
                            () -> producer.sendAsync(even ? oversized : rejectedByMq).join());
                    assertEquals(InvalidMessageException.class, e.getCause().getClass());
                    if (!even) {
                        reachedMq++;
                    }
                }
            }
        }
        assertEquals(0, rig.store.appendCalls(), "nothing written to the fallback store");
        assertEquals(reachedMq, rig.transport.mqCalls(), "only input rejections by the MQ reached it");
        assertEquals(0, rig.sw.transitionRequests());
        assertEquals(0, rig.gauge("smartmq.detector.consecutive-failures"));
        assertEquals(800, rig.count("smartmq.producer.sends.rejected"));
        assertEquals(SwitchState.NORMAL, rig.mq.effectiveState());
        assertThrows(InvalidMessageException.class, () -> producer.send(null));
    }
}
