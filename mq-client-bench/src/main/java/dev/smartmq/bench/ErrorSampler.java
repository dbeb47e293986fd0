package dev.smartmq.bench;

import java.util.concurrent.atomic.AtomicInteger;

/** Prints the first few errors of a round, so a failing side is explained, not just counted. */
final class ErrorSampler {
    private static final int MAX_PRINTED = 3;
    private final AtomicInteger printed = new AtomicInteger();

    void note(Throwable t) {
        if (printed.incrementAndGet() <= MAX_PRINTED) {
            System.out.println("  error: " + t);
        }
    }
}
