package dev.smartmq.spi;

import dev.smartmq.api.SmartMQException;

/** The switch store (ZooKeeper) cannot be reached; the last known state still holds. */
public class SwitchUnavailableException extends SmartMQException {
    private static final long serialVersionUID = 1L;

    public SwitchUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
