package dev.smartmq.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.testkit.fakes.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class MessageIdsTest {

    @Test
    void idsAreUuidV7CarryingTheClocksMilliseconds() {
        MutableClock clock = MutableClock.startingNow();
        String id = new MessageIds(clock).next();
        UUID u = UUID.fromString(id);
        assertEquals(7, u.version());
        assertEquals(2, u.variant());
        assertEquals(clock.millis(), u.getMostSignificantBits() >>> 16);
    }

    @Test
    void idsAreStrictlyIncreasingEvenWhenTheClockStandsStillOrStepsBack() {
        MutableClock clock = MutableClock.startingNow();
        MessageIds ids = new MessageIds(clock);
        List<String> all = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            if (i == 10_000) {
                clock.advance(Duration.ofSeconds(-5));
            }
            all.add(ids.next());
        }
        for (int i = 1; i < all.size(); i++) {
            assertTrue(all.get(i - 1).compareTo(all.get(i)) < 0, all.get(i - 1) + " !< " + all.get(i));
        }
        assertEquals(all.size(), new HashSet<>(all).size());
    }

    @Test
    void twoGeneratorsInOneJvmDoNotShareState() {
        MutableClock clock = MutableClock.startingNow();
        MessageIds a = new MessageIds(clock);
        MessageIds b = new MessageIds(clock);
        HashSet<String> seen = new HashSet<>();
        for (int i = 0; i < 5_000; i++) {
            assertTrue(seen.add(a.next()));
            assertTrue(seen.add(b.next()));
        }
    }
}
