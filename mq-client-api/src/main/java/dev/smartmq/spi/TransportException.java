package dev.smartmq.spi;

import dev.smartmq.api.SmartMQException;
import java.util.Objects;

/**
 * A primary-transport call failed; {@link #kind()} says whether the MQ or the input is at fault, and for an
 * infrastructure failure {@link #scope()} says what it proves about the cluster and {@link #broker()} which broker
 * it is attributed to, when the transport knows.
 */
public class TransportException extends SmartMQException {
    private static final long serialVersionUID = 1L;

    private final FailureKind kind;
    private final FailureScope scope;
    private final String broker;
    private final boolean notStored;

    public TransportException(FailureKind kind, String message, Throwable cause) {
        this(kind, FailureScope.UNATTRIBUTED, null, message, cause);
    }

    /**
     * @param scope  what an infrastructure failure proves about the cluster (ignored for input failures)
     * @param broker the broker the failure is attributed to, or {@code null}
     */
    public TransportException(FailureKind kind, FailureScope scope, String broker, String message, Throwable cause) {
        this(kind, scope, broker, message, cause, false);
    }

    /**
     * @param notStored whether the transport knows the MQ did not store the message (it was refused, or never sent):
     *                  see {@link #notStored()}
     */
    public TransportException(FailureKind kind, FailureScope scope, String broker, String message, Throwable cause,
                              boolean notStored) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.scope = Objects.requireNonNull(scope, "scope");
        this.broker = broker;
        this.notStored = notStored;
    }

    /** An infrastructure failure of {@code scope}, attributed to {@code broker} (may be null). */
    public static TransportException infrastructure(FailureScope scope, String broker, String message,
                                                    Throwable cause) {
        return new TransportException(FailureKind.INFRASTRUCTURE, scope, broker, message, cause);
    }

    public static TransportException infrastructure(String message, Throwable cause) {
        return new TransportException(FailureKind.INFRASTRUCTURE, message, cause);
    }

    public static TransportException input(String message, Throwable cause) {
        return new TransportException(FailureKind.INPUT, message, cause);
    }

    public FailureKind kind() {
        return kind;
    }

    public boolean isInfrastructure() {
        return kind == FailureKind.INFRASTRUCTURE;
    }

    /** What this failure proves about the cluster; {@link FailureScope#UNATTRIBUTED} unless the transport knows. */
    public FailureScope scope() {
        return scope;
    }

    /** Name of the broker the failure is attributed to, or {@code null}. */
    public String broker() {
        return broker;
    }

    /**
     * Whether the transport knows the MQ did not store the message: it was refused (connection refused, the broker
     * answered that it did not take it) or never sent. {@code false} when the outcome is unknown (a timeout, a
     * connection lost after the request went out): the MQ may have stored it. The engine tells its caller which
     * ({@code DeliveryException#mayHaveBeenStored}) when the fallback store fails too.
     */
    public boolean notStored() {
        return notStored;
    }

    /** This failure, known not to have been stored by the MQ ({@link #notStored()}); itself if it already is. */
    public TransportException asNotStored() {
        if (notStored) {
            return this;
        }
        TransportException copy = new TransportException(kind, scope, broker, getMessage(), getCause(), true);
        copy.setStackTrace(getStackTrace());
        return copy;
    }

    /**
     * Whether this failure counts towards degrading the namespace: an infrastructure failure that is
     * {@link FailureScope#UNATTRIBUTED} or {@link FailureScope#CLUSTER}.
     */
    public boolean countsAgainstCluster() {
        return isInfrastructure() && (scope == FailureScope.UNATTRIBUTED || scope == FailureScope.CLUSTER);
    }
}
