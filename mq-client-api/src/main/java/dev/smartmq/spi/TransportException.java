package dev.smartmq.spi;

import dev.smartmq.api.SmartMQException;
import java.util.Objects;

/** A primary-transport call failed; {@link #kind()} says whether the MQ or the input is at fault. */
public class TransportException extends SmartMQException {
    private static final long serialVersionUID = 1L;

    private final FailureKind kind;

    public TransportException(FailureKind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
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
}
