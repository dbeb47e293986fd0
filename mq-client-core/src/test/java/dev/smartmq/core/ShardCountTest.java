package dev.smartmq.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.testkit.fakes.FakeSwitch;
import dev.smartmq.testkit.fakes.MutableClock;
import org.junit.jupiter.api.Test;

/** One shard count per namespace (issue 12): a second instance with another one would strand shards. */
class ShardCountTest {

    @Test
    void anInstanceWithAnotherShardCountThanTheNamespacesRefusesToStartNamingBoth() {
        MutableClock clock = MutableClock.startingNow();
        FakeSwitch shared = new FakeSwitch(clock);
        try (Rig first = new Rig(8, clock, shared); Rig second = new Rig(16, clock, shared);
             Rig third = new Rig(8, clock, shared)) {
            first.start(Rig.fastConfig().build());
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> second.start(Rig.fastConfig().build()));
            assertTrue(e.getMessage().contains("16") && e.getMessage().contains("8"), e.getMessage());
            assertTrue(second.events.contains("store.close"), "what was started is closed again: " + second.events);
            third.start(Rig.fastConfig().build());
            assertEquals(8, third.store.shardCount(), "the same count starts");
        }
    }
}
