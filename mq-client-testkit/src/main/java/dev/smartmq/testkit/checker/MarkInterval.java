package dev.smartmq.testkit.checker;

import java.util.Objects;

/**
 * The time between two consecutive marks.
 *
 * @param from   the earlier mark's name
 * @param to     the later mark's name
 * @param millis {@code to.atMillis - from.atMillis}
 */
public record MarkInterval(String from, String to, long millis) {
    public MarkInterval {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
    }
}
