package dev.smartmq.api;

/** Base class of every exception SmartMQ throws on purpose. Unchecked, like the JDK's I/O-free APIs. */
public class SmartMQException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SmartMQException(String message) {
        super(message);
    }

    public SmartMQException(String message, Throwable cause) {
        super(message, cause);
    }
}
