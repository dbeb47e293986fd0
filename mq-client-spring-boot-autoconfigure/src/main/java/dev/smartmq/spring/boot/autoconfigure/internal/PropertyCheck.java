package dev.smartmq.spring.boot.autoconfigure.internal;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.spring.boot.autoconfigure.InvalidSmartMQPropertyException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Feeds one property into a SmartMQ builder setter and turns the builder's {@link ConfigurationException}
 * into an {@link InvalidSmartMQPropertyException} naming the property. Stateless.
 */
public final class PropertyCheck {
    private PropertyCheck() {
    }

    /** Calls {@code setter} unless {@code value} is null (null keeps the builder's default). */
    public static <T> void apply(String property, T value, Consumer<T> setter) {
        if (value == null) {
            return;
        }
        try {
            setter.accept(value);
        } catch (ConfigurationException e) {
            throw new InvalidSmartMQPropertyException(property, "'" + value + "'", e.getMessage());
        }
    }

    /** As {@link #apply}, but never shows the value. */
    public static <T> void applySecret(String property, T value, Consumer<T> setter) {
        if (value == null) {
            return;
        }
        try {
            setter.accept(value);
        } catch (ConfigurationException e) {
            throw new InvalidSmartMQPropertyException(property, "<masked>", e.getMessage());
        }
    }

    /** Runs a builder's {@code build()}; a refused combination names the property section. */
    public static <T> T build(String section, Supplier<T> build) {
        try {
            return build.get();
        } catch (InvalidSmartMQPropertyException e) {
            throw e;
        } catch (ConfigurationException e) {
            throw new InvalidSmartMQPropertyException(propertyOf(section, e.getMessage()), null, e.getMessage());
        }
    }

    /** The builders' messages start with the field name ({@code probeTimeout must ...}): its property name. */
    static String propertyOf(String section, String message) {
        int space = message == null ? -1 : message.indexOf(' ');
        String field = space > 0 ? message.substring(0, space) : "";
        if (!field.matches("[a-z][A-Za-z]*")) {
            return section + ".*";
        }
        return section + "." + field.replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT);
    }

    /** Refuses {@code property} with {@code reason} unless {@code condition} holds. */
    public static void check(boolean condition, String property, Object value, String reason) {
        if (!condition) {
            throw new InvalidSmartMQPropertyException(property, value == null ? null : "'" + value + "'", reason);
        }
    }
}
