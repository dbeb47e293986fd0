package dev.smartmq.spring.boot.autoconfigure;

import dev.smartmq.api.ConfigurationException;

/**
 * A {@code smartmq.*} (or accepted {@code rocketmq.*}) property has a value SmartMQ refuses. Thrown while the
 * application context starts, so the context fails; the message names the property, the value (secrets
 * masked) and the rule it breaks. Immutable.
 */
public class InvalidSmartMQPropertyException extends ConfigurationException {
    private static final long serialVersionUID = 1L;

    private final String property;
    private final String value;
    private final String reason;

    public InvalidSmartMQPropertyException(String property, String value, String reason) {
        super("Invalid SmartMQ property " + property + (value == null ? "" : "=" + value) + ": " + reason);
        this.property = property;
        this.value = value;
        this.reason = reason;
    }

    /** The property name, e.g. {@code smartmq.engine.failure-threshold}. */
    public String property() {
        return property;
    }

    /** The refused value as configured (secrets masked), or null when a combination is refused. */
    public String value() {
        return value;
    }

    /** Why it was refused. */
    public String reason() {
        return reason;
    }
}
