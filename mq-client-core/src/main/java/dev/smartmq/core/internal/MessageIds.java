package dev.smartmq.core.internal;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Random;
import java.util.UUID;

/**
 * UUIDv7 message ids (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter (method 1, "fixed
 * length dedicated counter") and 62 random bits. Ids of one generator are strictly increasing even when the
 * clock stands still or steps back, because the generator never reuses a millisecond it has left: it keeps
 * counting in the last one, and borrows the next millisecond when the counter overflows.
 */
final class MessageIds {
    private static final int COUNTER_BITS = 12;
    private static final int COUNTER_MAX = (1 << COUNTER_BITS) - 1;
    /** A fresh millisecond starts the counter below half its range, so a burst has room to count up. */
    private static final int COUNTER_SEED_BOUND = 1 << (COUNTER_BITS - 1);

    private final Clock clock;
    private final Random random;
    private long lastMillis = -1;
    private int counter;

    MessageIds(Clock clock) {
        this.clock = clock;
        // Seeded once from the OS; the ids need uniqueness, not unpredictability.
        this.random = new Random(new SecureRandom().nextLong());
    }

    synchronized String next() {
        long now = clock.millis();
        if (now > lastMillis) {
            lastMillis = now;
            counter = random.nextInt(COUNTER_SEED_BOUND);
        } else if (++counter > COUNTER_MAX) {
            lastMillis++;
            counter = random.nextInt(COUNTER_SEED_BOUND);
        }
        long msb = ((lastMillis & 0xFFFF_FFFF_FFFFL) << 16) | 0x7000L | counter;
        long lsb = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(msb, lsb).toString();
    }
}
