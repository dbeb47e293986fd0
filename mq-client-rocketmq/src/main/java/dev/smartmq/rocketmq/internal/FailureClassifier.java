package dev.smartmq.rocketmq.internal;

import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.spi.FailureKind;
import dev.smartmq.spi.TransportException;
import org.apache.rocketmq.client.common.ClientErrorCode;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.remoting.exception.RemotingConnectException;
import org.apache.rocketmq.remoting.exception.RemotingException;
import org.apache.rocketmq.remoting.protocol.ResponseCode;

/**
 * The one place that decides whether a RocketMQ failure is the infrastructure's fault (it counts towards
 * degradation and the message goes to the fallback store) or the input's (the caller gets the error, nothing
 * counts). The table is in the module README; every row has a test in {@code FailureClassifierTest}.
 *
 * <p>The rule behind the table: {@link FailureKind#INPUT} only when the <em>message itself</em> was rejected
 * and sending it again anywhere cannot help. Everything else, including failures we do not recognise, is
 * {@link FailureKind#INFRASTRUCTURE}: storing a message in the fallback store by mistake costs a little
 * latency; rejecting a good message by mistake loses it for a caller who trusted the SDK.
 *
 * <p>RocketMQ's client-side validation ({@code Validators.checkMessage}) throws {@code MQClientException}s
 * with no distinguishing response code for a bad topic; the transport therefore runs that validation itself
 * as a separate step before any I/O and calls {@link #input} for what it throws, instead of parsing messages
 * here.
 */
public final class FailureClassifier {

    private FailureClassifier() {
    }

    /** Classifies a failure thrown by a RocketMQ send, route lookup or probe. */
    public static FailureKind classify(Throwable failure) {
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 16; t = t.getCause(), depth++) {
            if (t instanceof InvalidMessageException) {
                return FailureKind.INPUT;
            }
            if (t instanceof MQBrokerException e) {
                return classifyResponseCode(e.getResponseCode());
            }
            if (t instanceof MQClientException e) {
                if (e.getResponseCode() == ResponseCode.MESSAGE_ILLEGAL) {
                    return FailureKind.INPUT;
                }
                if (isKnownInfrastructureClientCode(e.getResponseCode()) || e.getCause() == null) {
                    // "No route info", "Send [n] times, still failed", name server address unset/unreachable.
                    return FailureKind.INFRASTRUCTURE;
                }
                continue; // wrapped: the cause says more
            }
            if (t instanceof RemotingException || t instanceof InterruptedException
                    || t instanceof IllegalStateException || t instanceof java.util.concurrent.TimeoutException
                    || t instanceof java.io.IOException) {
                return FailureKind.INFRASTRUCTURE;
            }
        }
        return FailureKind.INFRASTRUCTURE;
    }

    /**
     * Whether {@code failure} proves the request never reached a broker's store, so that sending the message
     * again cannot make a duplicate: the connection could not be made, or the broker answered that it refused
     * the request (busy, not available, no permission, topic unknown to that broker). A timeout proves nothing
     * (the broker may have stored it and the answer been lost), and neither does anything unrecognised. Nor does
     * {@code RemotingSendRequestException}: RocketMQ reports a sync request that timed out while its write was
     * still queued in the channel as a failed send, and the queued bytes go out when the connection drains (the
     * fault proxy's black hole shows it: a retried send was stored twice).
     */
    public static boolean neverReachedTheStore(Throwable failure) {
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 16; t = t.getCause(), depth++) {
            if (t instanceof RemotingConnectException) {
                return true;
            }
            if (t instanceof MQBrokerException e) {
                int code = e.getResponseCode();
                return code == ResponseCode.SYSTEM_BUSY || code == ResponseCode.SERVICE_NOT_AVAILABLE
                        || code == ResponseCode.NO_PERMISSION || code == ResponseCode.TOPIC_NOT_EXIST;
            }
            if (t instanceof RemotingException) {
                return false; // a timeout, or a channel failure after the write
            }
        }
        return false;
    }

    /**
     * Whether {@code failure} is a healthy broker refusing this kind of message only: a timer message while its timer
     * wheel is off ("accurate timer message is not enabled, timerWheelEnable is false") or its timer is under flow
     * control. RocketMQ answers both with {@code SYSTEM_ERROR} and gives no code of their own, so the broker's remark
     * is read (RocketMQ 5.x wording).
     */
    public static boolean isMessageKindRefused(Throwable failure) {
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 16; t = t.getCause(), depth++) {
            if (t instanceof MQBrokerException e) {
                String remark = e.getErrorMessage();
                return e.getResponseCode() == ResponseCode.SYSTEM_ERROR && remark != null
                        && (remark.startsWith("accurate timer message is not enabled")
                        || remark.startsWith("timer message is under flow control"));
            }
        }
        return false;
    }

    /**
     * Whether {@code failure} is RocketMQ's "no route info" for a topic: the name server returned no route (or none
     * could be fetched) before any broker was chosen.
     */
    public static boolean isNoRoute(Throwable failure) {
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 16; t = t.getCause(), depth++) {
            if (t instanceof MQClientException e && (e.getResponseCode() == ClientErrorCode.NOT_FOUND_TOPIC_EXCEPTION
                    || (e.getErrorMessage() != null && e.getErrorMessage().startsWith("No route info")))) {
                return true;
            }
        }
        return false;
    }

    /** Classifies a broker response code (from {@code MQBrokerException} or a wrapping {@code MQClientException}). */
    public static FailureKind classifyResponseCode(int responseCode) {
        // MESSAGE_ILLEGAL: the broker rejected the message itself (properties too long, body too big for the
        // broker's own limit, illegal topic). Everything else (SYSTEM_ERROR, SYSTEM_BUSY, FLUSH_DISK_TIMEOUT,
        // SLAVE_NOT_AVAILABLE, FLUSH_SLAVE_TIMEOUT, SERVICE_NOT_AVAILABLE, TOPIC_NOT_EXIST, NO_PERMISSION, unknown)
        // is the cluster's state, not the message's.
        return responseCode == ResponseCode.MESSAGE_ILLEGAL ? FailureKind.INPUT : FailureKind.INFRASTRUCTURE;
    }

    /**
     * Classifies a send that returned a status instead of throwing. {@code SEND_OK} is success and has no
     * failure kind; the other statuses mean the master stored the message but could not flush it or replicate
     * it in time, which is the cluster's fault.
     *
     * @throws IllegalArgumentException for {@code SEND_OK}
     */
    public static FailureKind classifyStatus(SendStatus status) {
        if (status == SendStatus.SEND_OK) {
            throw new IllegalArgumentException("SEND_OK is not a failure");
        }
        return FailureKind.INFRASTRUCTURE;
    }

    /** A {@link TransportException} of the kind {@link #classify} gives, with {@code what} as context. */
    public static TransportException toTransportException(String what, Throwable failure) {
        if (failure instanceof TransportException te) {
            return te;
        }
        if (failure instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        FailureKind kind = classify(failure);
        return new TransportException(kind, what + " failed (" + kind + "): " + describe(failure), failure);
    }

    /** A failure from the pre-flight validation step: always {@link FailureKind#INPUT}. */
    public static TransportException input(String what, Throwable failure) {
        return TransportException.input(what + " rejected: " + describe(failure), failure);
    }

    private static boolean isKnownInfrastructureClientCode(int code) {
        return code == ClientErrorCode.CONNECT_BROKER_EXCEPTION || code == ClientErrorCode.ACCESS_BROKER_TIMEOUT
                || code == ClientErrorCode.BROKER_NOT_EXIST_EXCEPTION || code == ClientErrorCode.NO_NAME_SERVER_EXCEPTION
                || code == ClientErrorCode.NOT_FOUND_TOPIC_EXCEPTION || code == ClientErrorCode.REQUEST_TIMEOUT_EXCEPTION
                || (code > 0 && code != ResponseCode.MESSAGE_ILLEGAL && code < 10000);
    }

    private static String describe(Throwable t) {
        String message = t.getMessage();
        if (message == null) {
            return t.getClass().getSimpleName();
        }
        // RocketMQ appends a multi-line FAQ link to its messages; keep the first line.
        int nl = message.indexOf('\n');
        return t.getClass().getSimpleName() + ": " + (nl > 0 ? message.substring(0, nl) : message);
    }
}
