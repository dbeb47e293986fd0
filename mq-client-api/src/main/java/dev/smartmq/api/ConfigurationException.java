package dev.smartmq.api;

/** A configuration value or combination is invalid; the message names the field and the bad value. */
public class ConfigurationException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ConfigurationException(String message) {
        super(message);
    }

    /** Throws unless {@code condition} holds. */
    public static void check(boolean condition, String field, Object value, String rule) {
        if (!condition) {
            throw new ConfigurationException(field + " " + rule + ", but was " + value);
        }
    }
}
