package dev.smartmq.testkit.checker;

import java.util.Objects;

/**
 * A drill event the drill marked ({@link DeliveryChecker#mark(String)}).
 *
 * @param name     e.g. {@code "broker-killed"}, {@code "degraded"}, {@code "recovered"}
 * @param atMillis when, in the checker's clock
 */
public record Mark(String name, long atMillis) {
    public Mark {
        Objects.requireNonNull(name, "name");
    }
}
