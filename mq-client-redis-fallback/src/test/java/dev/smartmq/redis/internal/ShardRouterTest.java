package dev.smartmq.redis.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.Message;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ShardRouterTest {

    @Test
    void murmur3MatchesTheReferenceVectors() {
        // MurmurHash3_x86_32 reference values (seed 0), as published with the SMHasher suite
        assertEquals(0, ShardRouter.murmur3x86_32(new byte[0], 0));
        assertEquals(0x248bfa47, ShardRouter.murmur3x86_32("hello".getBytes(StandardCharsets.UTF_8), 0));
        assertEquals(0x2e4ff723, ShardRouter.murmur3x86_32(
                "The quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.UTF_8), 0));
        assertEquals(0x514e28b7, ShardRouter.murmur3x86_32(new byte[0], 1));
    }

    @Test
    void sameKeySameShardAndKeysSpread() {
        ShardRouter router = new ShardRouter(128);
        Message a = Message.builder("t").key("order-1").body("x").build();
        int shard = router.shardFor(a);
        for (int i = 0; i < 10; i++) {
            assertEquals(shard, router.shardFor(a));
        }
        assertEquals(ShardRouter.shardForKey("order-1", 128), shard);
        int[] counts = new int[128];
        for (int i = 0; i < 128_000; i++) {
            counts[ShardRouter.shardForKey("order-" + i, 128)]++;
        }
        for (int c : counts) {
            assertTrue(c > 700 && c < 1300, "keyed spread too uneven: " + c);
        }
    }

    @Test
    void keylessMessagesRoundRobin() {
        ShardRouter router = new ShardRouter(128);
        Message m = Message.builder("t").body("x").build();
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 128; i++) {
            seen.add(router.shardFor(m));
        }
        assertEquals(128, seen.size());
    }

    @Test
    void keyLayoutIsAPureFunctionWithOneHashTagPerTopicShard() {
        KeyLayout layout = new KeyLayout("ns", 128);
        KeyLayout.ShardKeys k = layout.shard("orders", "billing", 5);
        assertEquals("smq:{ns:orders:5}:billing:q", new String(k.queue(), StandardCharsets.UTF_8));
        assertEquals("smq:{ns:orders:5}:billing:f", new String(k.inFlight(), StandardCharsets.UTF_8));
        assertEquals("smq:{ns:orders:5}:billing:d", new String(k.deadLetters(), StandardCharsets.UTF_8));
        assertEquals("smq:{ns:orders:5}:billing:n", new String(k.sequence(), StandardCharsets.UTF_8));
        assertEquals("smq:{ns:orders:5}:#unclaimed:q",
                new String(layout.shard("orders", KeyLayout.UNCLAIMED_GROUP, 5).queue(), StandardCharsets.UTF_8));
        assertEquals("smq:ns:billing:seen:id-1", layout.seen("billing", "id-1"));
    }
}
