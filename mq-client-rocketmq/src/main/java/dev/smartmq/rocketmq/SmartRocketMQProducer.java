package dev.smartmq.rocketmq;

import dev.smartmq.api.DeliveryException;
import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.rocketmq.internal.DelayLevels;
import dev.smartmq.rocketmq.internal.SendHint;
import dev.smartmq.spi.Envelope;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
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
import org.apache.rocketmq.client.producer.MessageQueueSelector;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.remoting.exception.RemotingException;
import org.apache.rocketmq.remoting.exception.RemotingTimeoutException;
import org.apache.rocketmq.remoting.protocol.ResponseCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A drop-in for the sending side of RocketMQ's {@code DefaultMQProducer}: it takes RocketMQ's own
 * {@link org.apache.rocketmq.common.message.Message}, has the same {@code send} signatures and checked
 * exceptions, and returns a {@link SmartSendResult} (a {@code SendResult}), but sends through a
 * {@link SmartProducer}, so the message survives an MQ outage.
 *
 * <p>Over 400 lines because it is a drop-in API surface: it mirrors {@code DefaultMQProducer}'s many {@code send}
 * overloads (sync, async, oneway, selector, batch, with and without timeout) with their checked exceptions, each a
 * short delegation; the mapping rules are documented here because users read them here.
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
 * <p>Mapping ({@link #toSmartMQ(org.apache.rocketmq.common.message.Message, String)}): topic, tags, keys (the
 * first is SmartMQ's ordering and sharding key, all of them stay RocketMQ's {@code KEYS}) and user properties are
 * kept; RocketMQ's system properties of a forwarded or re-sent message are dropped, as SmartMQ's own id is;
 * {@code r.getMsgId()} is SmartMQ's id (the one consumers see). Ordered sends ({@code MessageQueueSelector}),
 * batches and oneway sends are supported. Failures keep RocketMQ's types: bad input is an
 * {@link MQClientException} with {@code ResponseCode.MESSAGE_ILLEGAL}; a message stored nowhere is an
 * {@link MQClientException} whose cause is the {@link DeliveryException}. RocketMQ features SmartMQ does not
 * carry (delay levels and delivery times, transactions, request/reply, TTL, priority) are rejected, never sent
 * without the feature.
 *
 * <p>Thread-safe. Closing it closes the {@link SmartProducer} it wraps.
 */
public final class SmartRocketMQProducer implements AutoCloseable {

    /**
     * RocketMQ features SmartMQ does not carry: a new message with one is rejected (never sent without the
     * feature); a received {@link MessageExt} has had them served and is forwarded without them.
     */
    static final Set<String> FEATURE_PROPERTIES = Set.of(MessageConst.PROPERTY_TRANSACTION_PREPARED,
            MessageConst.PROPERTY_TRANSACTION_ID, MessageConst.PROPERTY_MESSAGE_TTL,
            MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT, MessageConst.PROPERTY_CORRELATION_ID,
            MessageConst.PROPERTY_MESSAGE_TYPE, MessageConst.PROPERTY_PRIORITY, MessageConst.PROPERTY_SHARDING_KEY,
            MessageConst.PROPERTY_LITE_TOPIC);

    /**
     * RocketMQ's delay properties: carried as the SmartMQ message's {@code deliverAt} (and, for a delay level, the
     * level itself on the MQ path); a received {@link MessageExt} has had them served and is forwarded without them.
     */
    static final Set<String> DELAY_PROPERTIES = Set.of(MessageConst.PROPERTY_DELAY_TIME_LEVEL,
            MessageConst.PROPERTY_TIMER_DELIVER_MS, MessageConst.PROPERTY_TIMER_DELAY_SEC,
            MessageConst.PROPERTY_TIMER_DELAY_MS);

    private static final Logger LOG = LoggerFactory.getLogger(SmartRocketMQProducer.class);

    private final SmartProducer delegate;
    private volatile boolean closed;

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

    /**
     * Like {@code DefaultMQProducer.start()}; nothing to do: the {@link SmartProducer} is started with
     * {@code SmartMQ}. After {@link #shutdown()} it throws, as RocketMQ's does.
     */
    public void start() throws MQClientException {
        if (closed) {
            throw new MQClientException("the producer was shut down", null);
        }
    }

    /**
     * Ordered send, like {@code DefaultMQProducer.send(msg, selector, arg)}: on the MQ the message goes to the queue
     * the selector returns (called with the topic's route at send time, as RocketMQ calls it); in fallback
     * {@code String.valueOf(arg)}, SmartMQ's ordering key, picks the shard. So per-{@code arg} order holds on both
     * paths (for a selector that maps one arg to one queue) and across a degrade / recover cycle. A selector that
     * throws, returns {@code null} or a queue not in the route is the caller's error ({@code MESSAGE_ILLEGAL}). The
     * message's own keys are kept as RocketMQ's {@code KEYS}.
     */
    public SmartSendResult send(org.apache.rocketmq.common.message.Message msg, MessageQueueSelector selector,
            Object arg) throws MQClientException, RemotingException, MQBrokerException, InterruptedException {
        return sendNow(ordered(msg, selector, arg));
    }

    /** {@link #send(org.apache.rocketmq.common.message.Message, MessageQueueSelector, Object)} bounded in time. */
    public SmartSendResult send(org.apache.rocketmq.common.message.Message msg, MessageQueueSelector selector,
            Object arg, long timeoutMillis)
            throws MQClientException, RemotingException, MQBrokerException, InterruptedException {
        return await(msg.getTopic(), sendAsyncOrFail(ordered(msg, selector, arg)), timeoutMillis);
    }

    /** {@link #send(org.apache.rocketmq.common.message.Message, MessageQueueSelector, Object)} with a callback. */
    public void send(org.apache.rocketmq.common.message.Message msg, MessageQueueSelector selector, Object arg,
            SendCallback callback) throws MQClientException, RemotingException, InterruptedException {
        Objects.requireNonNull(callback, "callback");
        complete(sendAsyncOrFail(ordered(msg, selector, arg)), callback);
    }

    /**
     * Sends a batch, like {@code DefaultMQProducer.send(Collection)}: every message reaches every group, in the
     * order given. Checked as a whole first (one bad message rejects the batch before anything is sent, as
     * RocketMQ rejects the batch); then sent one by one, so it is <b>not atomic</b>: a message stored nowhere
     * fails the call with an exception naming the ids already stored. The result's {@code msgId} is the
     * SmartMQ ids joined by commas (RocketMQ's batch form).
     */
    public SendResult send(Collection<? extends org.apache.rocketmq.common.message.Message> msgs)
            throws MQClientException, RemotingException, MQBrokerException, InterruptedException {
        if (msgs == null || msgs.isEmpty()) {
            throw new MQClientException(ResponseCode.MESSAGE_ILLEGAL, "the batch is null or empty");
        }
        List<Message> batch = new ArrayList<>(msgs.size());
        for (org.apache.rocketmq.common.message.Message msg : msgs) {
            batch.add(toSmartMQ(msg));
        }
        List<String> ids = new ArrayList<>(batch.size());
        for (Message m : batch) {
            try {
                ids.add(sendNow(m).getMsgId());
            } catch (MQClientException e) {
                throw new MQClientException("batch send stopped at message " + (ids.size() + 1) + " of "
                        + batch.size() + "; stored before it: " + ids + ": " + e.getErrorMessage(), e);
            }
        }
        SendResult result = new SendResult();
        result.setSendStatus(SendStatus.SEND_OK);
        result.setMsgId(String.join(",", ids));
        result.setQueueOffset(-1);
        return result;
    }

    /**
     * Like {@code DefaultMQProducer.sendOneway}: returns without waiting for the store. Bad input still throws
     * ({@code MESSAGE_ILLEGAL}) before anything is sent; a message then stored nowhere is logged at ERROR with its
     * topic and the reason (never its body), since there is no caller to tell.
     */
    public void sendOneway(org.apache.rocketmq.common.message.Message msg)
            throws MQClientException, RemotingException, InterruptedException {
        oneway(msg.getTopic(), sendAsyncOrFail(toSmartMQ(msg)));
    }

    /** Ordered oneway send; see {@link #send(org.apache.rocketmq.common.message.Message, MessageQueueSelector, Object)}. */
    public void sendOneway(org.apache.rocketmq.common.message.Message msg, MessageQueueSelector selector, Object arg)
            throws MQClientException, RemotingException, InterruptedException {
        oneway(msg.getTopic(), sendAsyncOrFail(ordered(msg, selector, arg)));
    }

    private static void oneway(String topic, CompletableFuture<SendReceipt> future) {
        future.whenComplete((receipt, failure) -> {
            if (failure != null) {
                LOG.error("oneway send to topic {} was stored nowhere: {}", topic, String.valueOf(failure));
            }
        });
    }

    /**
     * An ordered send's SmartMQ message: {@code String.valueOf(arg)} is the key (the fallback shard), the selector
     * rides along as the transport hint (the MQ queue, chosen by the selector from the route at send time).
     */
    private static Message ordered(org.apache.rocketmq.common.message.Message msg, MessageQueueSelector selector,
            Object arg) throws MQClientException {
        Message m = toSmartMQ(msg, orderingKey(selector, arg));
        SendHint hint = m.transportHint() instanceof SendHint h ? h.withSelector(selector, arg)
                : new SendHint(selector, msg, arg, 0);
        return m.toBuilder().transportHint(hint).build();
    }

    private static String orderingKey(MessageQueueSelector selector, Object arg) throws MQClientException {
        Objects.requireNonNull(selector, "selector");
        if (arg == null) {
            throw new MQClientException(ResponseCode.MESSAGE_ILLEGAL, "the selector's arg is null: an ordered send"
                    + " needs one (it is the ordering key)");
        }
        String key = String.valueOf(arg);
        if (key.isEmpty() || key.length() > Message.MAX_KEY_LENGTH || key.chars().anyMatch(Character::isWhitespace)) {
            throw new MQClientException(ResponseCode.MESSAGE_ILLEGAL, "the selector's arg must print as 1-"
                    + Message.MAX_KEY_LENGTH + " characters without whitespace (it is the ordering key)");
        }
        return key;
    }

    private SmartSendResult sendNow(Message message) throws MQClientException {
        try {
            return new SmartSendResult(delegate.send(message));
        } catch (InvalidMessageException e) {
            throw new MQClientException(ResponseCode.MESSAGE_ILLEGAL, e.getMessage(), e);
        } catch (DeliveryException e) {
            throw new MQClientException(e.getMessage(), e);
        }
    }

    private static SmartSendResult await(String topic, CompletableFuture<SendReceipt> future, long timeoutMillis)
            throws MQClientException, RemotingTimeoutException, InterruptedException {
        try {
            return new SmartSendResult(future.get(timeoutMillis, TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            throw new RemotingTimeoutException("SmartMQ send to " + topic + " got no receipt within "
                    + timeoutMillis + " ms (it may still be stored)");
        } catch (ExecutionException e) {
            throw translate(e.getCause());
        }
    }

    private static void complete(CompletableFuture<SendReceipt> future, SendCallback callback) {
        future.whenComplete((receipt, failure) -> {
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
        closed = true;
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
     * Converts a RocketMQ message to a SmartMQ one: {@link #toSmartMQ(org.apache.rocketmq.common.message.Message,
     * String)} with the message's own first key as SmartMQ's key.
     */
    static Message toSmartMQ(org.apache.rocketmq.common.message.Message msg) throws MQClientException {
        return toSmartMQ(msg, null);
    }

    /**
     * Converts a RocketMQ message to a SmartMQ one.
     *
     * <ul>
     *   <li>keys: one key is SmartMQ's key; several ({@code setKeys(Collection)}, {@code "k1 k2"}) give the first
     *       as SmartMQ's key and all of them in {@link RocketMQProperties#KEYS}, which the transport sends as
     *       RocketMQ's {@code KEYS} (so the broker indexes every key) and the consumer facade shows as
     *       {@code getKeys()}; {@code orderingKey}, when given (the selector's {@code arg}), is SmartMQ's key
     *       instead, and the message's own keys all go to {@link RocketMQProperties#KEYS};</li>
     *   <li>RocketMQ's features SmartMQ does not carry (delay level, delivery time, transaction, reply, priority,
     *       sharding key, TTL) are rejected, unless the message is a received {@link MessageExt} (then they were
     *       already served by the broker and are dropped: it is forwarded as a plain message);</li>
     *   <li>every other RocketMQ system property ({@code UNIQ_KEY}, {@code MIN_OFFSET}, {@code REAL_TOPIC}, ...:
     *       what a received or already-sent message carries) is dropped, as is SmartMQ's own id of a received
     *       message: the send gets a new SmartMQ id (RocketMQ keeps {@code UNIQ_KEY}; a forward here is a new
     *       message);</li>
     * </ul>
     *
     * @throws MQClientException ({@code MESSAGE_ILLEGAL}) for what SmartMQ cannot carry or does not accept
     */
    static Message toSmartMQ(org.apache.rocketmq.common.message.Message msg, String orderingKey)
            throws MQClientException {
        if (msg == null) {
            throw new MQClientException(ResponseCode.MESSAGE_ILLEGAL, "the message is null");
        }
        boolean received = msg instanceof MessageExt;
        try {
            Message.Builder b = Message.builder(msg.getTopic()).tags(msg.getTags()).body(msg.getBody());
            String keys = msg.getKeys();
            String trimmed = keys == null || keys.isBlank() ? null : keys.trim();
            if (orderingKey != null) {
                b.key(orderingKey);
                if (trimmed != null) {
                    b.property(RocketMQProperties.KEYS, trimmed);
                }
            } else if (trimmed != null) {
                String[] all = trimmed.split("\\s+");
                b.key(all[0]);
                if (all.length > 1) {
                    b.property(RocketMQProperties.KEYS, trimmed);
                }
            }
            if (!received) {
                delay(msg, b);
            }
            for (Map.Entry<String, String> p : msg.getProperties().entrySet()) {
                String name = p.getKey();
                if (DELAY_PROPERTIES.contains(name)) {
                    continue; // carried by delay(...) above (or, received, already served)
                }
                if (FEATURE_PROPERTIES.contains(name)) {
                    if (received) {
                        continue;
                    }
                    throw new InvalidMessageException("RocketMQ feature property '" + name
                            + "' (transaction, reply, TTL, priority, ...) is not supported through SmartMQ");
                }
                if (MessageConst.STRING_HASH_SET.contains(name) || name.startsWith(MessageConst.PROPERTY_TRANSIENT_PREFIX)
                        || name.equals(Envelope.ID_PROPERTY) || name.equals(Envelope.BORN_PROPERTY)) {
                    continue; // transport detail of an earlier send or delivery (or ours): a forward is a new message
                }
                b.property(name, p.getValue());
            }
            return b.build();
        } catch (InvalidMessageException e) {
            throw new MQClientException(ResponseCode.MESSAGE_ILLEGAL, e.getMessage(), e);
        }
    }

    /**
     * RocketMQ's delay of a new message as the SmartMQ message's {@code deliverAt}: a delay level (1-18, RocketMQ's
     * default levels 1 s ... 2 h; above 18 is 18, as the broker clamps it; 0 or less is none) is also kept as the level
     * for the MQ path ({@link SendHint}); {@code setDeliverTimeMs} is the time itself; {@code TIMER_DELAY_SEC} /
     * {@code TIMER_DELAY_MS} are counted from now.
     */
    private static void delay(org.apache.rocketmq.common.message.Message msg, Message.Builder b) {
        long now = System.currentTimeMillis();
        String level = msg.getProperty(MessageConst.PROPERTY_DELAY_TIME_LEVEL);
        if (level != null) {
            int n = parse(MessageConst.PROPERTY_DELAY_TIME_LEVEL, level);
            if (n > 0) {
                n = Math.min(n, DelayLevels.count());
                b.deliverAt(now + DelayLevels.delayOf(n).toMillis());
                b.transportHint(SendHint.delayLevel(msg, n));
            }
            return;
        }
        String at = msg.getProperty(MessageConst.PROPERTY_TIMER_DELIVER_MS);
        String sec = msg.getProperty(MessageConst.PROPERTY_TIMER_DELAY_SEC);
        String ms = msg.getProperty(MessageConst.PROPERTY_TIMER_DELAY_MS);
        if (at != null) {
            b.deliverAt(Math.max(0, parseLong(MessageConst.PROPERTY_TIMER_DELIVER_MS, at)));
        } else if (sec != null) {
            b.deliverAt(now + Math.max(0, parseLong(MessageConst.PROPERTY_TIMER_DELAY_SEC, sec)) * 1000);
        } else if (ms != null) {
            b.deliverAt(now + Math.max(0, parseLong(MessageConst.PROPERTY_TIMER_DELAY_MS, ms)));
        }
    }

    private static long parseLong(String name, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new InvalidMessageException("RocketMQ property " + name + " must be a number, but was '" + value + "'");
        }
    }

    private static int parse(String name, String value) {
        long v = parseLong(name, value);
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
    }
}
