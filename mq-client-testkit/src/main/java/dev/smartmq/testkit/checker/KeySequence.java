package dev.smartmq.testkit.checker;

import java.util.concurrent.atomic.AtomicInteger;

/** Hands out per-key sequence numbers in acknowledgement order; one shared instance per key. */
final class KeySequence {

    final String key;
    private final AtomicInteger last = new AtomicInteger();

    KeySequence(String key) {
        this.key = key;
    }

    int next() {
        return last.incrementAndGet();
    }
}
