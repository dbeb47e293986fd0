package dev.smartmq.rocketmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.DeliveryException;
import dev.smartmq.api.Route;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.rocketmq.SmartRocketMQProducerTest.RecordingProducer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionSendResult;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.remoting.protocol.ResponseCode;
import org.junit.jupiter.api.Test;

/** The transactional facade's rule: local transaction first, the message stored only on COMMIT. */
class SmartRocketMQTransactionProducerTest {

    private static Message msg() {
        return new Message("orders", "paid", "order-1", "body".getBytes(StandardCharsets.UTF_8));
    }

    /** A listener whose local transaction answers {@code first}, and whose checks answer {@code checks} in turn. */
    static final class Listener implements TransactionListener {
        final Supplier<LocalTransactionState> first;
        final LocalTransactionState[] checks;
        final AtomicInteger executed = new AtomicInteger();
        final AtomicInteger checked = new AtomicInteger();

        Listener(Supplier<LocalTransactionState> first, LocalTransactionState... checks) {
            this.first = first;
            this.checks = checks;
        }

        @Override
        public LocalTransactionState executeLocalTransaction(Message m, Object arg) {
            executed.incrementAndGet();
            return first.get();
        }

        @Override
        public LocalTransactionState checkLocalTransaction(MessageExt m) {
            int i = checked.getAndIncrement();
            return i < checks.length ? checks[i] : LocalTransactionState.UNKNOW;
        }
    }

    private static SmartRocketMQTransactionProducer producer(RecordingProducer delegate, Listener l) throws Exception {
        SmartRocketMQTransactionProducer p = new SmartRocketMQTransactionProducer(delegate, 3, Duration.ofMillis(1));
        p.setTransactionListener(l);
        p.start();
        return p;
    }

    private static RecordingProducer answering(Route route) {
        return new RecordingProducer(m -> CompletableFuture.completedFuture(new SendReceipt("id-1", route, 1, null)));
    }

    @Test
    void commitStoresTheMessageOnWhicheverPathTheEngineTakes() throws Exception {
        for (Route route : Route.values()) {
            RecordingProducer delegate = answering(route);
            Listener l = new Listener(() -> LocalTransactionState.COMMIT_MESSAGE);
            TransactionSendResult r = producer(delegate, l).sendMessageInTransaction(msg(), "arg");
            assertEquals(LocalTransactionState.COMMIT_MESSAGE, r.getLocalTransactionState());
            assertEquals("id-1", r.getMsgId());
            assertEquals(1, delegate.sent.size());
            assertEquals("order-1", delegate.sent.get(0).key());
            assertEquals(1, l.executed.get());
        }
    }

    @Test
    void rollbackStoresNothing() throws Exception {
        RecordingProducer delegate = answering(Route.FALLBACK);
        Listener l = new Listener(() -> LocalTransactionState.ROLLBACK_MESSAGE);
        TransactionSendResult r = producer(delegate, l).sendMessageInTransaction(msg(), null);
        assertEquals(LocalTransactionState.ROLLBACK_MESSAGE, r.getLocalTransactionState());
        assertNull(r.getMsgId());
        assertEquals(0, delegate.sent.size(), "a rolled-back message is never stored");
    }

    @Test
    void anUnknownOutcomeIsCheckedAndStoredOnlyIfTheCheckSaysCommit() throws Exception {
        RecordingProducer delegate = answering(Route.MQ);
        Listener commitsLater = new Listener(() -> LocalTransactionState.UNKNOW, LocalTransactionState.UNKNOW,
                LocalTransactionState.COMMIT_MESSAGE);
        assertEquals(LocalTransactionState.COMMIT_MESSAGE,
                producer(delegate, commitsLater).sendMessageInTransaction(msg(), null).getLocalTransactionState());
        assertEquals(2, commitsLater.checked.get());
        assertEquals(1, delegate.sent.size());

        Listener throwsThenRollsBack = new Listener(() -> {
            throw new IllegalStateException("db down");
        }, LocalTransactionState.ROLLBACK_MESSAGE);
        assertEquals(LocalTransactionState.ROLLBACK_MESSAGE, producer(delegate, throwsThenRollsBack)
                .sendMessageInTransaction(msg(), null).getLocalTransactionState());
        assertEquals(1, delegate.sent.size());

        Listener neverKnown = new Listener(() -> null);
        MQClientException e = assertThrows(MQClientException.class,
                () -> producer(delegate, neverKnown).sendMessageInTransaction(msg(), null));
        assertTrue(e.getMessage().contains("NOT sent"), e.getMessage());
        assertEquals(3, neverKnown.checked.get());
        assertEquals(1, delegate.sent.size(), "an unknown outcome is never stored");
    }

    @Test
    void badInputFailsBeforeTheLocalTransactionRuns() throws Exception {
        RecordingProducer delegate = answering(Route.MQ);
        Listener l = new Listener(() -> LocalTransactionState.COMMIT_MESSAGE);
        MQClientException e = assertThrows(MQClientException.class, () -> producer(delegate, l)
                .sendMessageInTransaction(new Message("bad topic", new byte[] {1}), null));
        assertEquals(ResponseCode.MESSAGE_ILLEGAL, e.getResponseCode());
        assertEquals(0, l.executed.get());
    }

    @Test
    void aCommittedMessageStoredNowhereIsAnExceptionNotASilentDrop() throws Exception {
        RecordingProducer delegate = new RecordingProducer(m -> CompletableFuture.failedFuture(
                new DeliveryException("id-9", "MQ and fallback both failed", null)));
        Listener l = new Listener(() -> LocalTransactionState.COMMIT_MESSAGE);
        MQClientException e = assertThrows(MQClientException.class,
                () -> producer(delegate, l).sendMessageInTransaction(msg(), null));
        assertTrue(e.getMessage().contains("committed") && e.getCause() instanceof DeliveryException, e.getMessage());
    }

    @Test
    void noListenerIsAClearError() {
        SmartRocketMQTransactionProducer p = new SmartRocketMQTransactionProducer(answering(Route.MQ));
        assertThrows(MQClientException.class, p::start);
        assertThrows(MQClientException.class, () -> p.sendMessageInTransaction(msg(), null));
    }
}
