package dev.smartmq.spring.core;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * {@code byte[]} as is, {@code String} as UTF-8, anything else as JSON through the application's Jackson
 * {@link ObjectMapper} (the one Spring Boot configured, so its modules and settings apply). Without an
 * ObjectMapper only {@code byte[]} and {@code String} are accepted. Thread-safe (ObjectMapper is).
 */
public class DefaultSmartMQMessageConverter implements SmartMQMessageConverter {

    private final Supplier<ObjectMapper> objectMapper;

    /** {@code objectMapper} may return null: JSON is then refused with a clear message. */
    public DefaultSmartMQMessageConverter(Supplier<ObjectMapper> objectMapper) {
        this.objectMapper = objectMapper;
    }

    @Override
    public byte[] toBody(Object payload) {
        if (payload == null) {
            throw new IllegalArgumentException("payload must not be null");
        }
        if (payload instanceof byte[] bytes) {
            return bytes;
        }
        if (payload instanceof String text) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        try {
            return mapper(payload.getClass()).writeValueAsBytes(payload);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + payload.getClass().getName() + " as JSON: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public Object fromBody(byte[] body, Type targetType) {
        if (targetType == byte[].class) {
            return body;
        }
        if (targetType == String.class) {
            return new String(body, StandardCharsets.UTF_8);
        }
        ObjectMapper m = mapper(targetType);
        try {
            JavaType type = m.getTypeFactory().constructType(targetType);
            return m.readValue(body, type);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the body as " + targetType.getTypeName() + " (JSON): "
                    + e.getMessage(), e);
        }
    }

    private ObjectMapper mapper(Type type) {
        ObjectMapper m = objectMapper.get();
        if (m == null) {
            throw new IllegalArgumentException("no Jackson ObjectMapper in the application; only String and byte[] "
                    + "payloads can be converted, not " + type.getTypeName());
        }
        return m;
    }
}
