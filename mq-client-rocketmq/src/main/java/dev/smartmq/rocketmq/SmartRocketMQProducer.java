package dev.smartmq.rocketmq;

import dev.smartmq.api.DeliveryException;
import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartProducer;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.remoting.exception.RemotingException;
import org.apache.rocketmq.remoting.exception.RemotingTimeoutException;
import org.apache.rocketmq.remoting.protocol.ResponseCode;

/**
 * A drop-in for the sending side of RocketMQ's {@code DefaultMQProducer}: it takes RocketMQ's own
 * {@link org.apache.rocketmq.common.message.Message}, has the same {@code send} signatures and checked
 * exceptions, and returns a {@link SmartSendResult} (a {@code SendResult}), but sends through a
 * {@link SmartProducer}, so the message survives an MQ outage.
 *
 * <pre>{@code
 * // before
 * DefaultMQProducer producer = new DefaultMQProducer("orders");  producer.start();
 * SendResult r = producer.send(new Message("orders", "paid", orderId, body));
 * // after
 * SmartRocketMQProducer producer = new SmartRocketMQProducer(smartMQ.producer());
 * SendResult r = producer.send(new Message("orders", "paid", orderId, body));
 * }</pre>
 *
 * <p>Mapping: topic, tags, keys (one key: it becomes SmartMQ's ordering and sharding key) and user properties
 * are kept; {@code r.getMsgId()} is SmartMQ's id (the one consumers see). Failures keep RocketMQ's types:
 * bad input is an {@link MQClientException} with {@code ResponseCode.MESSAGE_ILLEGAL}; a message stored
 * nowhere is an {@link MQClientException} whose cause is the {@link DeliveryException}. RocketMQ features
 * SmartMQ does not carry (delay levels and delivery times, transactions, several keys) are rejected, not
 * silently dropped.
 *
 * <p>Thread-safe. Closing it closes the {@link SmartProducer} it wraps.
 */
public final class SmartRocketMQProducer implements AutoCloseable {

    // Set by RocketMQ's Message constructors and harmless to drop (SmartMQ always waits for the store).
    private static final Set<String> CARRIED_SYSTEM_PROPERTIES = Set.of(
            MessageConst.PROPERTY_KEYS, MessageConst.PROPERTY_TAGS, MessageConst.PROPERTY_WAIT_STORE_MSG_OK);

    private final SmartProducer delegate;

    public SmartRocketMQProducer(SmartProducer delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** Sends and waits for the receipt, like {@code DefaultMQProducer.send(msg)}. */
    public SmartSendResult send(org.apache.rocketmq.common.message.Message msg)
            throws MQClientException, RemotingException, MQBrokerException, InterruptedException {
        Message message = toSmartMQ(msg);
        try {
            return new SmartSendResult(delegate.send(message));
        } catch (InvalidMessageException e) {
            throw new MQClientException(ResponseCode.MESSAGE_ILLEGAL, e.getMessage(), e);
        } catch (DeliveryException e) {
            throw new MQClientException(e.getMessage(), e);
        }
    }

    /**
     * Sends and waits at most {@code timeoutMillis}. As with RocketMQ, a timeout does not mean the message
     * was not stored: the send goes on, and the message may still be stored after the timeout.
     *
     * @throws RemotingTimeoutException if no receipt came within {@code timeoutMillis}
     */
    public SmartSendResult send(org.apache.rocketmq.common.message.Message msg, long timeoutMillis)
            throws MQClientException, RemotingException, MQBrokerException, InterruptedException {
        Message message = toSmartMQ(msg);
        CompletableFuture<SendReceipt> future = sendAsyncOrFail(message);
        try {
            return new SmartSendResult(future.get(timeoutMillis, TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            throw new RemotingTimeoutException("SmartMQ send to " + msg.getTopic() + " got no receipt within "
                    + timeoutMillis + " ms (it may still be stored)");
        } catch (ExecutionException e) {
            throw translate(e.getCause());
        }
    }

    /**
     * Sends without blocking, like {@code DefaultMQProducer.send(msg, callback)}: the callback gets a
     * {@link SmartSendResult} or the same exception {@link #send} would throw.
     */
    public void send(org.apache.rocketmq.common.message.Message msg, SendCallback callback)
            throws MQClientException, RemotingException, InterruptedException {
        Objects.requireNonNull(callback, "callback");
        Message message = toSmartMQ(msg);
        sendAsyncOrFail(message).whenComplete((receipt, failure) -> {
            if (failure == null) {
                callback.onSuccess(new SmartSendResult(receipt));
            } else {
                callback.onException(translate(failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure));
            }
        });
    }

    /** Closes the wrapped {@link SmartProducer}. */
    @Override
    public void close() {
        delegate.close();
    }

    /** Same as {@link #close()}, under the name RocketMQ's producer uses. */
    public void shutdown() {
        close();
    }

    private CompletableFuture<SendReceipt> sendAsyncOrFail(Message message) throws MQClientException {
        try {
            return delegate.sendAsync(message);
        } catch (InvalidMessageException e) {
            throw new MQClientException(ResponseCode.MESSAGE_ILLEGAL, e.getMessage(), e);
        }
    }

    private static MQClientException translate(Throwable failure) {
        if (failure instanceof InvalidMessageException e) {
            return new MQClientException(ResponseCode.MESSAGE_ILLEGAL, e.getMessage(), e);
        }
        return new MQClientException(String.valueOf(failure.getMessage()), failure);
    }

    /**
     * Converts a RocketMQ message to a SmartMQ one.
     *
     * @throws MQClientException ({@code MESSAGE_ILLEGAL}) for what SmartMQ cannot carry or does not accept
     */
    static Message toSmartMQ(org.apache.rocketmq.common.message.Message msg) throws MQClientException {
        if (msg == null) {
            throw new MQClientException(ResponseCode.MESSAGE_ILLEGAL, "the message is null");
        }
        try {
            Message.Builder b = Message.builder(msg.getTopic()).tags(msg.getTags()).body(msg.getBody());
            String keys = msg.getKeys();
            if (keys != null && !keys.isBlank()) {
                String trimmed = keys.trim();
                if (trimmed.contains(MessageConst.KEY_SEPARATOR)) {
                    throw new InvalidMessageException("several keys ('" + keys + "') are not supported: SmartMQ uses"
                            + " one key for ordering and sharding");
                }
                b.key(trimmed);
            }
            for (Map.Entry<String, String> p : msg.getProperties().entrySet()) {
                String name = p.getKey();
                if (CARRIED_SYSTEM_PROPERTIES.contains(name)) {
                    continue;
                }
                if (MessageConst.STRING_HASH_SET.contains(name)) {
                    throw new InvalidMessageException("RocketMQ feature property '" + name
                            + "' (delay, transaction, ...) is not supported through SmartMQ");
                }
                b.property(name, p.getValue());
            }
            return b.build();
        } catch (InvalidMessageException e) {
            throw new MQClientException(ResponseCode.MESSAGE_ILLEGAL, e.getMessage(), e);
        }
    }
}
