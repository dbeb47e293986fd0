package dev.smartmq.rocketmq.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.rocketmq.internal.IsolationAwareSelector.Selection;
import dev.smartmq.spi.BrokerHealthListener;
import dev.smartmq.spi.FailureScope;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.Test;

/** The local broker isolation rules and the queue choice that follows from them (no broker needed). */
class BrokerIsolationTest {
    private static final String TOPIC = "orders";
    private final AtomicLong now = new AtomicLong();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final BrokerIsolation isolation = new BrokerIsolation(3, now::get);
    private final IsolationAwareSelector selector = new IsolationAwareSelector(isolation);

    BrokerIsolationTest() {
        isolation.listener(new BrokerHealthListener() {
            @Override
            public void brokerIsolated(String broker, String reason) {
                events.add("isolated " + broker);
            }

            @Override
            public void brokerReadmitted(String broker, String reason) {
                events.add("readmitted " + broker);
            }
        });
    }

    private static List<MessageQueue> route(String... brokers) {
        List<MessageQueue> queues = new ArrayList<>();
        for (String b : brokers) {
            for (int q = 0; q < 4; q++) {
                queues.add(new MessageQueue(TOPIC, b, q));
            }
        }
        return queues;
    }

    private MessageQueue select(List<MessageQueue> route, String key) {
        Selection s = new Selection(key);
        MessageQueue q = selector.select(route, new Message(TOPIC, new byte[1]), s);
        assertEquals(q, s.queue());
        return q;
    }

    private void isolateB(List<MessageQueue> route) {
        select(route, "warm-up"); // the transport always selects before it can fail
        for (int i = 0; i < 3; i++) {
            isolation.recordFailure(TOPIC, "broker-b", "connection refused");
        }
        assertTrue(isolation.isIsolated("broker-b"));
    }

    @Test
    void failuresOfOneBrokerWhileAnotherServes_areBrokerScoped_andIsolateItAfterTheThreshold() {
        List<MessageQueue> route = route("broker-a", "broker-b");
        select(route, null);
        assertEquals(FailureScope.BROKER, isolation.recordFailure(TOPIC, "broker-b", "x"));
        assertEquals(FailureScope.BROKER, isolation.recordFailure(TOPIC, "broker-b", "x"));
        assertFalse(isolation.isIsolated("broker-b"));
        assertEquals(FailureScope.BROKER, isolation.recordFailure(TOPIC, "broker-b", "x"));
        assertTrue(isolation.isIsolated("broker-b"));
        assertEquals(List.of("isolated broker-b"), events);
        assertEquals(Set.of("broker-b"), isolation.isolatedNames());
    }

    @Test
    void aSuccessResetsTheBrokersCount() {
        List<MessageQueue> route = route("broker-a", "broker-b");
        select(route, null);
        isolation.recordFailure(TOPIC, "broker-b", "x");
        isolation.recordFailure(TOPIC, "broker-b", "x");
        isolation.recordSuccess("broker-b");
        isolation.recordFailure(TOPIC, "broker-b", "x");
        assertFalse(isolation.isIsolated("broker-b"));
    }

    @Test
    void theLastBrokerOfATopicIsNeverIsolated_andItsFailuresAreTheClusters() {
        List<MessageQueue> route = route("broker-a", "broker-b");
        isolateB(route);
        for (int i = 0; i < 10; i++) {
            assertEquals(FailureScope.CLUSTER, isolation.recordFailure(TOPIC, "broker-a", "x"));
        }
        assertFalse(isolation.isIsolated("broker-a"));
    }

    @Test
    void bothBrokersFailing_countsAgainstTheClusterOnceAllButTheLastAreIsolated() {
        List<MessageQueue> route = route("broker-a", "broker-b");
        select(route, null);
        assertEquals(FailureScope.BROKER, isolation.recordFailure(TOPIC, "broker-a", "x"));
        assertEquals(FailureScope.BROKER, isolation.recordFailure(TOPIC, "broker-b", "x"));
        assertEquals(FailureScope.BROKER, isolation.recordFailure(TOPIC, "broker-a", "x"));
        assertEquals(FailureScope.BROKER, isolation.recordFailure(TOPIC, "broker-b", "x"));
        assertEquals(FailureScope.BROKER, isolation.recordFailure(TOPIC, "broker-a", "x"), "isolates broker-a");
        assertTrue(isolation.isIsolated("broker-a"));
        assertEquals(FailureScope.CLUSTER, isolation.recordFailure(TOPIC, "broker-b", "x"), "the last one");
        assertEquals(FailureScope.CLUSTER, isolation.recordFailure(TOPIC, "broker-b", "x"));
        assertFalse(isolation.isIsolated("broker-b"));
    }

    @Test
    void aBlipOnTheGoodBroker_doesNotMakeTheHungBrokersFailuresCount() {
        List<MessageQueue> route = route("broker-a", "broker-b");
        select(route, null);
        isolation.recordFailure(TOPIC, "broker-a", "one slow call"); // not yet cleared by a success
        assertEquals(FailureScope.BROKER, isolation.recordFailure(TOPIC, "broker-b", "in flight, channel closed"));
        assertEquals(FailureScope.BROKER, isolation.recordFailure(TOPIC, "broker-b", "in flight, channel closed"));
    }

    @Test
    void keyedSends_keepTheirQueues_andThoseOfTheIsolatedBrokerAreRefusedWithoutIo() {
        List<MessageQueue> full = route("broker-a", "broker-b");
        Map<String, MessageQueue> before = new HashMap<>();
        for (int k = 0; k < 200; k++) {
            before.put("key-" + k, select(full, "key-" + k));
        }
        isolateB(full);
        // The stopped broker unregistered: RocketMQ's route now lists broker-a only.
        List<MessageQueue> shrunk = route("broker-a");
        int refused = 0;
        for (Map.Entry<String, MessageQueue> e : before.entrySet()) {
            if (e.getValue().getBrokerName().equals("broker-b")) {
                BrokerIsolatedException x = assertThrows(BrokerIsolatedException.class, () -> select(shrunk, e.getKey()));
                assertEquals("broker-b", x.broker());
                refused++;
            } else {
                assertEquals(e.getValue(), select(shrunk, e.getKey()), "key " + e.getKey() + " kept its queue");
            }
        }
        assertTrue(refused > 50, "about half the keys live on broker-b: " + refused);

        isolation.readmit("broker-b", "probe ok");
        for (Map.Entry<String, MessageQueue> e : before.entrySet()) {
            assertEquals(e.getValue(), select(full, e.getKey()), "after re-admission every key has its old queue");
        }
        assertEquals(List.of("isolated broker-b", "readmitted broker-b"), events);
    }

    @Test
    void keylessSends_avoidAnIsolatedOrFailingBroker() {
        List<MessageQueue> route = route("broker-a", "broker-b");
        select(route, null);
        isolation.recordFailure(TOPIC, "broker-b", "x"); // suspect: avoided already
        for (int i = 0; i < 50; i++) {
            assertEquals("broker-a", select(route, null).getBrokerName());
        }
        isolateB(route);
        for (int i = 0; i < 50; i++) {
            assertEquals("broker-a", select(route, null).getBrokerName());
        }
        isolation.readmit("broker-b", "probe ok");
        Set<String> used = new HashSet<>();
        for (int i = 0; i < 16; i++) {
            used.add(select(route, null).getBrokerName());
        }
        assertEquals(Set.of("broker-a", "broker-b"), used, "round robin over both again");
    }

    @Test
    void aBrokerThatLeavesTheRouteAfterFailing_isIsolatedAtOnce_soItsKeysDoNotMove() {
        List<MessageQueue> full = route("broker-a", "broker-b");
        MessageQueue onB = null;
        String keyOnB = null;
        for (int k = 0; onB == null; k++) {
            MessageQueue q = select(full, "k" + k);
            if (q.getBrokerName().equals("broker-b")) {
                onB = q;
                keyOnB = "k" + k;
            }
        }
        isolation.recordFailure(TOPIC, "broker-b", "connection refused"); // one failure, below the threshold
        List<MessageQueue> shrunk = route("broker-a");
        String key = keyOnB;
        assertThrows(BrokerIsolatedException.class, () -> select(shrunk, key));
        assertTrue(isolation.isIsolated("broker-b"));
    }

    @Test
    void aBrokerThatLeavesTheRouteWithoutFailing_isRocketMQsRule_keysSpreadOverWhatIsLeft() {
        List<MessageQueue> full = route("broker-a", "broker-b");
        select(full, "k");
        List<MessageQueue> shrunk = route("broker-a");
        assertEquals("broker-a", select(shrunk, "k").getBrokerName());
        assertFalse(isolation.isIsolated("broker-b"));
        assertNotEquals(List.of(), shrunk);
    }

    @Test
    void isolatedBrokers_areForgottenOnlyAfterTheForgetTime() {
        isolateB(route("broker-a", "broker-b"));
        BrokerIsolation.Isolated i = isolation.isolated().get(0);
        assertEquals(Set.of(TOPIC), i.topics());
        assertFalse(isolation.isolatedLongerThanForgetTime(i));
        now.addAndGet(BrokerIsolation.FORGET_AFTER_NANOS + 1);
        assertTrue(isolation.isolatedLongerThanForgetTime(i));
    }

    @Test
    void theIsolationSignalSurvivesRocketMQsWrapping() {
        MQClientException wrapped = new MQClientException("select message queue threw exception.",
                new BrokerIsolatedException("broker-b"));
        assertEquals("broker-b", BrokerIsolatedException.brokerIn(wrapped));
        assertNull(BrokerIsolatedException.brokerIn(new MQClientException("other", null)));
    }
}
