package dev.smartmq.spring.core;

import java.lang.reflect.Type;

/**
 * Converts payloads to message bodies and back, for {@link SmartMQTemplate} and {@link SmartMQListener}
 * methods. Define a bean of this type to replace the default ({@link DefaultSmartMQMessageConverter}).
 * Implementations must be thread-safe: senders and consumer threads call them concurrently.
 */
public interface SmartMQMessageConverter {

    /**
     * The body for {@code payload}.
     *
     * @throws IllegalArgumentException if the payload cannot be converted
     */
    byte[] toBody(Object payload);

    /**
     * The value of type {@code targetType} for {@code body}.
     *
     * @throws IllegalArgumentException if the body cannot be read as that type
     */
    Object fromBody(byte[] body, Type targetType);
}
