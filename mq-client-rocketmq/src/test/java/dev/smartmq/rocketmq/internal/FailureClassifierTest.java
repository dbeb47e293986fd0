package dev.smartmq.rocketmq.internal;

import static dev.smartmq.spi.FailureKind.INFRASTRUCTURE;
import static dev.smartmq.spi.FailureKind.INPUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.spi.FailureKind;
import dev.smartmq.spi.TransportException;
import java.util.concurrent.TimeoutException;
import org.apache.rocketmq.client.common.ClientErrorCode;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.remoting.exception.RemotingCommandException;
import org.apache.rocketmq.remoting.exception.RemotingConnectException;
import org.apache.rocketmq.remoting.exception.RemotingSendRequestException;
import org.apache.rocketmq.remoting.exception.RemotingTimeoutException;
import org.apache.rocketmq.remoting.exception.RemotingTooMuchRequestException;
import org.apache.rocketmq.remoting.protocol.ResponseCode;
import org.junit.jupiter.api.Test;

/** One test per row of the classification table in the module README. */
class FailureClassifierTest {

    private static FailureKind kind(Throwable t) {
        return FailureClassifier.classify(t);
    }

    // --- infrastructure: the network and the cluster

    @Test
    void connectionRefusedIsInfrastructure() {
        assertEquals(INFRASTRUCTURE, kind(new RemotingConnectException("127.0.0.1:10911")));
    }

    @Test
    void remotingTimeoutIsInfrastructure() {
        assertEquals(INFRASTRUCTURE, kind(new RemotingTimeoutException("wait response timeout 3000ms")));
    }

    @Test
    void sendRequestFailureIsInfrastructure() {
        assertEquals(INFRASTRUCTURE, kind(new RemotingSendRequestException("127.0.0.1:10911")));
    }

    @Test
    void callTimeoutOfTheWholeSendIsInfrastructure() {
        // DefaultMQProducerImpl throws this when the budget ran out between retries.
        assertEquals(INFRASTRUCTURE, kind(new RemotingTooMuchRequestException("sendDefaultImpl call timeout")));
    }

    @Test
    void undecodableResponseIsInfrastructure() {
        assertEquals(INFRASTRUCTURE, kind(new RemotingCommandException("decode failed")));
    }

    @Test
    void noRouteIsInfrastructure() {
        MQClientException e = new MQClientException("No route info of this topic: orders", null)
                .setResponseCode(ClientErrorCode.NOT_FOUND_TOPIC_EXCEPTION);
        assertEquals(INFRASTRUCTURE, kind(e));
    }

    @Test
    void noRouteWithoutResponseCodeIsInfrastructure() {
        assertEquals(INFRASTRUCTURE, kind(new MQClientException("No route info of this topic: orders", null)));
    }

    @Test
    void nameServerUnreachableIsInfrastructure() {
        MQClientException e = new MQClientException("No name server address", null)
                .setResponseCode(ClientErrorCode.NO_NAME_SERVER_EXCEPTION);
        assertEquals(INFRASTRUCTURE, kind(e));
    }

    @Test
    void retriesExhaustedAfterConnectFailuresIsInfrastructure() {
        MQClientException e = new MQClientException("Send [3] times, still failed",
                new RemotingConnectException("127.0.0.1:10911"));
        e.setResponseCode(ClientErrorCode.CONNECT_BROKER_EXCEPTION);
        assertEquals(INFRASTRUCTURE, kind(e));
    }

    @Test
    void retriesExhaustedAfterTimeoutsIsInfrastructure() {
        MQClientException e = new MQClientException("Send [3] times, still failed",
                new RemotingTimeoutException("timeout"));
        e.setResponseCode(ClientErrorCode.ACCESS_BROKER_TIMEOUT);
        assertEquals(INFRASTRUCTURE, kind(e));
    }

    @Test
    void wrappedCauseDecidesWhenNoCode() {
        assertEquals(INFRASTRUCTURE, kind(new MQClientException("failed", new RemotingTimeoutException("t"))));
        assertEquals(INPUT, kind(new MQClientException("failed",
                new MQBrokerException(ResponseCode.MESSAGE_ILLEGAL, "bad"))));
    }

    @Test
    void brokerSystemErrorIsInfrastructure() {
        assertEquals(INFRASTRUCTURE, kind(new MQBrokerException(ResponseCode.SYSTEM_ERROR, "store error")));
    }

    @Test
    void brokerBusyIsInfrastructure() {
        assertEquals(INFRASTRUCTURE, kind(new MQBrokerException(ResponseCode.SYSTEM_BUSY, "too many requests")));
    }

    @Test
    void brokerFlushDiskTimeoutIsInfrastructure() {
        assertEquals(INFRASTRUCTURE, kind(new MQBrokerException(ResponseCode.FLUSH_DISK_TIMEOUT, "flush")));
    }

    @Test
    void brokerFlushSlaveTimeoutIsInfrastructure() {
        assertEquals(INFRASTRUCTURE, kind(new MQBrokerException(ResponseCode.FLUSH_SLAVE_TIMEOUT, "slave")));
    }

    @Test
    void brokerSlaveNotAvailableIsInfrastructure() {
        assertEquals(INFRASTRUCTURE, kind(new MQBrokerException(ResponseCode.SLAVE_NOT_AVAILABLE, "slave")));
    }

    @Test
    void brokerServiceNotAvailableIsInfrastructure() {
        assertEquals(INFRASTRUCTURE, kind(new MQBrokerException(ResponseCode.SERVICE_NOT_AVAILABLE, "shutting down")));
    }

    @Test
    void brokerTopicNotExistIsInfrastructure() {
        assertEquals(INFRASTRUCTURE, kind(new MQBrokerException(ResponseCode.TOPIC_NOT_EXIST, "topic missing")));
    }

    @Test
    void brokerNoPermissionIsInfrastructure() {
        // A broker set read-only while it is drained, or an ACL gap: the message is fine, the cluster refuses it.
        assertEquals(INFRASTRUCTURE, kind(new MQBrokerException(ResponseCode.NO_PERMISSION, "no permission")));
    }

    @Test
    void brokerCodeCarriedByClientExceptionIsClassifiedByCode() {
        MQClientException busy = new MQClientException("Send [3] times, still failed",
                new MQBrokerException(ResponseCode.SYSTEM_BUSY, "busy")).setResponseCode(ResponseCode.SYSTEM_BUSY);
        assertEquals(INFRASTRUCTURE, kind(busy));
    }

    @Test
    void unknownBrokerCodeIsInfrastructure() {
        assertEquals(INFRASTRUCTURE, kind(new MQBrokerException(9999, "new in a later version")));
    }

    @Test
    void interruptedIsInfrastructure() {
        assertEquals(INFRASTRUCTURE, kind(new InterruptedException()));
    }

    @Test
    void illegalStateFromDeadNameServerIsInfrastructure() {
        assertEquals(INFRASTRUCTURE, kind(new IllegalStateException("name server unreachable")));
    }

    @Test
    void futureTimeoutIsInfrastructure() {
        assertEquals(INFRASTRUCTURE, kind(new TimeoutException()));
    }

    @Test
    void unknownFailureIsInfrastructure() {
        assertEquals(INFRASTRUCTURE, kind(new RuntimeException("something new")));
    }

    @Test
    void notStoredSafelyStatusesAreInfrastructure() {
        assertEquals(INFRASTRUCTURE, FailureClassifier.classifyStatus(SendStatus.FLUSH_DISK_TIMEOUT));
        assertEquals(INFRASTRUCTURE, FailureClassifier.classifyStatus(SendStatus.FLUSH_SLAVE_TIMEOUT));
        assertEquals(INFRASTRUCTURE, FailureClassifier.classifyStatus(SendStatus.SLAVE_NOT_AVAILABLE));
        assertThrows(IllegalArgumentException.class, () -> FailureClassifier.classifyStatus(SendStatus.SEND_OK));
    }

    // --- input: the message itself

    @Test
    void clientValidationMessageIllegalIsInput() {
        // Validators.checkMessage: body null/empty/over the limit, illegal dispatch property.
        assertEquals(INPUT, kind(new MQClientException(ResponseCode.MESSAGE_ILLEGAL,
                "the message body size over max value, MAX: 4194304")));
    }

    @Test
    void brokerMessageIllegalIsInput() {
        assertEquals(INPUT, kind(new MQBrokerException(ResponseCode.MESSAGE_ILLEGAL, "message properties too long")));
    }

    @Test
    void smartMQInputRejectionIsInput() {
        assertEquals(INPUT, kind(new InvalidMessageException("property name 'KEYS' is reserved")));
    }

    @Test
    void preflightFailuresAreAlwaysInput() {
        // Validators.checkTopic throws without a response code; the transport runs it as a pre-flight step.
        MQClientException badTopic = new MQClientException("The specified topic[a b] contains illegal characters", null);
        TransportException e = FailureClassifier.input("message 1 to a b", badTopic);
        assertEquals(INPUT, e.kind());
        assertSame(badTopic, e.getCause());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void toTransportExceptionKeepsKindCauseAndInterruptFlag() {
        TransportException e = FailureClassifier.toTransportException("send of 1 to t",
                new RemotingConnectException("127.0.0.1:1"));
        assertTrue(e.isInfrastructure());
        assertTrue(e.getMessage().startsWith("send of 1 to t failed (INFRASTRUCTURE)"), e.getMessage());
        TransportException already = TransportException.input("x", null);
        assertSame(already, FailureClassifier.toTransportException("y", already));
        try {
            FailureClassifier.toTransportException("send", new InterruptedException());
            assertTrue(Thread.currentThread().isInterrupted());
        } finally {
            Thread.interrupted();
        }
    }

    // --- may a keyless send be retried without making a duplicate?

    @Test
    void aRefusedConnectionNeverReachedTheStore() {
        assertTrue(FailureClassifier.neverReachedTheStore(new RemotingConnectException("127.0.0.1:10911")));
        assertTrue(FailureClassifier.neverReachedTheStore(new MQClientException("Send [1] times, still failed",
                new RemotingConnectException("127.0.0.1:10911"))));
    }

    @Test
    void aBrokerThatRefusedTheRequestDidNotStoreIt() {
        assertTrue(FailureClassifier.neverReachedTheStore(new MQBrokerException(ResponseCode.SYSTEM_BUSY, "busy")));
        assertTrue(FailureClassifier.neverReachedTheStore(
                new MQBrokerException(ResponseCode.SERVICE_NOT_AVAILABLE, "not available")));
        assertFalse(FailureClassifier.neverReachedTheStore(
                new MQBrokerException(ResponseCode.MESSAGE_ILLEGAL, "illegal")));
    }

    @Test
    void aTimeoutMayHaveBeenStoredSoItIsNeverRetried() {
        assertFalse(FailureClassifier.neverReachedTheStore(new RemotingTimeoutException("wait response timeout")));
        assertFalse(FailureClassifier.neverReachedTheStore(new MQClientException("Send [1] times, still failed",
                new RemotingTimeoutException("wait response timeout"))));
        assertFalse(FailureClassifier.neverReachedTheStore(
                new RemotingTooMuchRequestException("sendDefaultImpl call timeout")));
        assertFalse(FailureClassifier.neverReachedTheStore(new IllegalStateException("unknown")));
        // What RocketMQ reports for a sync request that timed out with its write still queued: not proof.
        assertFalse(FailureClassifier.neverReachedTheStore(new MQClientException("Send [1] times, still failed",
                new RemotingSendRequestException("127.0.0.1:10911"))));
    }

    @Test
    void noRouteIsRecognisedInBothOfRocketMQsWordings() {
        assertTrue(FailureClassifier.isNoRoute(new MQClientException("No route info of this topic: orders", null)
                .setResponseCode(ClientErrorCode.NOT_FOUND_TOPIC_EXCEPTION)));
        assertTrue(FailureClassifier.isNoRoute(new MQClientException("No route info for this topic, orders", null)));
        assertTrue(FailureClassifier.isNoRoute(new RuntimeException("wrapped",
                new MQClientException("No route info for this topic, orders", null))));
        assertFalse(FailureClassifier.isNoRoute(new MQClientException("Send [1] times, still failed", null)));
        assertFalse(FailureClassifier.isNoRoute(new RemotingConnectException("127.0.0.1:1")));
    }

    @Test
    void aTimerMessageRefusedByAHealthyBrokerIsAMessageKindRefusalNothingElseIs() {
        assertTrue(FailureClassifier.isMessageKindRefused(new MQBrokerException(ResponseCode.SYSTEM_ERROR,
                "accurate timer message is not enabled, timerWheelEnable is false", "127.0.0.1:10911")));
        assertTrue(FailureClassifier.isMessageKindRefused(new MQClientException("send failed",
                new MQBrokerException(ResponseCode.SYSTEM_ERROR, "timer message is under flow control, max num limit "
                        + "is 7000 or the current value is greater than 6000 and less than 7000, trigger random flow control"))));
        // Still infrastructure (it goes to the fallback store), just not evidence against the cluster.
        assertEquals(INFRASTRUCTURE, FailureClassifier.classify(new MQBrokerException(ResponseCode.SYSTEM_ERROR,
                "accurate timer message is not enabled, timerWheelEnable is false")));
        assertFalse(FailureClassifier.isMessageKindRefused(new MQBrokerException(ResponseCode.SYSTEM_ERROR,
                "the broker is sick")));
        assertFalse(FailureClassifier.isMessageKindRefused(new MQBrokerException(ResponseCode.SYSTEM_BUSY,
                "timer message is under flow control")));
        assertFalse(FailureClassifier.isMessageKindRefused(new MQBrokerException(ResponseCode.SYSTEM_ERROR, null)));
        assertFalse(FailureClassifier.isMessageKindRefused(new RemotingConnectException("127.0.0.1:10911")));
    }
}
