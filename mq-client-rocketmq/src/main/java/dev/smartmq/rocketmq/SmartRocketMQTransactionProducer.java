package dev.smartmq.rocketmq;

import dev.smartmq.api.DeliveryException;
import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartProducer;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionSendResult;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.remoting.protocol.ResponseCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The drop-in for RocketMQ's {@code TransactionMQProducer.sendMessageInTransaction(msg, arg)}, on both paths: <b>the
 * local transaction runs first, and the message is stored only on {@code COMMIT_MESSAGE}</b> (through the
 * {@link SmartProducer}: the MQ, or the fallback store while degraded). So a message whose local transaction rolled
 * back is never stored nor delivered, whatever the switch says, and nothing is dropped silently:
 *
 * <ul>
 *   <li>bad input: {@link MQClientException} ({@code MESSAGE_ILLEGAL}) <em>before</em> the local transaction runs;</li>
 *   <li>{@code COMMIT_MESSAGE}: sent; the result is {@code SEND_OK} with SmartMQ's id. If it is stored nowhere the
 *       call throws ({@link MQClientException} caused by the {@link DeliveryException}, naming the committed local
 *       transaction): the caller must retry or compensate;</li>
 *   <li>{@code ROLLBACK_MESSAGE}: nothing is sent; the result says {@code ROLLBACK_MESSAGE}, {@code msgId} null;</li>
 *   <li>{@code UNKNOW}, {@code null} or an exception from {@code executeLocalTransaction}: the listener's
 *       {@code checkLocalTransaction} is asked up to {@code checkAttempts} times, {@code checkInterval} apart, on the
 *       caller's thread (RocketMQ asks later, from the broker); commit or rollback as above; still unknown: nothing
 *       is sent and the call throws, saying so.</li>
 * </ul>
 *
 * <p>What differs from RocketMQ: there is no half message. A process that dies between its local commit and the
 * send loses the message (RocketMQ's broker would ask back and deliver it); and an unknown state is resolved now,
 * within the bounds above, not minutes later. Use an outbox table where that window matters.
 *
 * <p>Thread-safe if the listener is. Closing it closes the {@link SmartProducer} it wraps.
 */
public final class SmartRocketMQTransactionProducer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SmartRocketMQTransactionProducer.class);

    /** Default times {@code checkLocalTransaction} is asked when the local transaction's outcome is unknown. */
    public static final int DEFAULT_CHECK_ATTEMPTS = 3;
    /** Default pause between two such checks. */
    public static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofMillis(500);

    private final SmartProducer delegate;
    private final int checkAttempts;
    private final Duration checkInterval;
    private volatile TransactionListener listener;

    public SmartRocketMQTransactionProducer(SmartProducer delegate) {
        this(delegate, DEFAULT_CHECK_ATTEMPTS, DEFAULT_CHECK_INTERVAL);
    }

    /**
     * @param checkAttempts how many times an unknown outcome is checked (0: never; the call then throws at once)
     * @param checkInterval pause before each check
     */
    public SmartRocketMQTransactionProducer(SmartProducer delegate, int checkAttempts, Duration checkInterval) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        if (checkAttempts < 0 || checkAttempts > 100) {
            throw new IllegalArgumentException("checkAttempts must be 0-100, but was " + checkAttempts);
        }
        Objects.requireNonNull(checkInterval, "checkInterval");
        if (checkInterval.isNegative() || checkInterval.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("checkInterval must be 0-1 min, but was " + checkInterval);
        }
        this.checkAttempts = checkAttempts;
        this.checkInterval = checkInterval;
    }

    /** Like {@code TransactionMQProducer.setTransactionListener}. */
    public void setTransactionListener(TransactionListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Like {@code TransactionMQProducer.start()}: nothing to start; checks a listener is set. */
    public void start() throws MQClientException {
        if (listener == null) {
            throw new MQClientException("no TransactionListener set: call setTransactionListener first", null);
        }
    }

    /**
     * Runs the local transaction, then stores the message if it committed (see the class comment).
     *
     * @throws MQClientException {@code MESSAGE_ILLEGAL} for bad input (the local transaction did not run); otherwise
     *                           the message was not stored although the local transaction committed, or its outcome
     *                           stayed unknown
     */
    public TransactionSendResult sendMessageInTransaction(org.apache.rocketmq.common.message.Message msg, Object arg)
            throws MQClientException {
        TransactionListener l = listener;
        if (l == null) {
            throw new MQClientException("no TransactionListener set: call setTransactionListener first", null);
        }
        Message message = SmartRocketMQProducer.toSmartMQ(msg); // bad input fails here, before the local transaction
        LocalTransactionState state;
        try {
            state = l.executeLocalTransaction(msg, arg);
        } catch (RuntimeException e) {
            LOG.warn("executeLocalTransaction for topic {} threw {}: its outcome is unknown; checking", msg.getTopic(),
                    e.toString());
            state = LocalTransactionState.UNKNOW;
        }
        for (int attempt = 1; (state == null || state == LocalTransactionState.UNKNOW) && attempt <= checkAttempts;
                attempt++) {
            LockSupport.parkNanos(checkInterval.toNanos());
            state = check(l, msg);
        }
        TransactionSendResult result = new TransactionSendResult();
        result.setQueueOffset(-1);
        if (state == LocalTransactionState.ROLLBACK_MESSAGE) {
            result.setSendStatus(SendStatus.SEND_OK);
            result.setLocalTransactionState(LocalTransactionState.ROLLBACK_MESSAGE);
            return result; // nothing stored, nothing delivered
        }
        if (state != LocalTransactionState.COMMIT_MESSAGE) {
            throw new MQClientException("the local transaction's outcome is still unknown after " + checkAttempts
                    + " checks: the message to " + msg.getTopic() + " was NOT sent; send it again once the outcome is"
                    + " known", null);
        }
        SendReceipt receipt;
        try {
            receipt = delegate.send(message);
        } catch (InvalidMessageException e) {
            throw new MQClientException(ResponseCode.MESSAGE_ILLEGAL, "the local transaction committed but the message"
                    + " was rejected: " + e.getMessage(), e);
        } catch (DeliveryException e) {
            throw new MQClientException("the local transaction committed but the message to " + msg.getTopic()
                    + " was stored nowhere (" + e.getMessage() + "): retry or compensate", e);
        }
        result.setSendStatus(SendStatus.SEND_OK);
        result.setMsgId(receipt.messageId());
        result.setOffsetMsgId(receipt.transportMessageId());
        result.setLocalTransactionState(LocalTransactionState.COMMIT_MESSAGE);
        return result;
    }

    private static LocalTransactionState check(TransactionListener l, org.apache.rocketmq.common.message.Message msg) {
        MessageExt ext = new MessageExt();
        ext.setTopic(msg.getTopic());
        ext.setBody(msg.getBody());
        ext.setFlag(msg.getFlag());
        org.apache.rocketmq.common.message.MessageAccessor.setProperties(ext, new java.util.HashMap<>(msg.getProperties()));
        ext.setTransactionId(msg.getTransactionId());
        try {
            return l.checkLocalTransaction(ext);
        } catch (RuntimeException e) {
            LOG.warn("checkLocalTransaction for topic {} threw {}", msg.getTopic(), e.toString());
            return LocalTransactionState.UNKNOW;
        }
    }

    /** Closes the wrapped {@link SmartProducer}. */
    @Override
    public void close() {
        delegate.close();
    }

    /** Same as {@link #close()}, under RocketMQ's name. */
    public void shutdown() {
        close();
    }
}
