package dev.smartmq.redis.internal;

import dev.smartmq.api.Message;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Picks a message's shard. With a key: the unsigned 32-bit MurmurHash3 (x86_32, seed 0) of the key's UTF-8
 * bytes modulo the shard count — the same on every JVM and version, so a key always maps to the same shard
 * and keeps its FIFO order. Without a key: round robin, so keyless messages spread evenly.
 */
public final class ShardRouter {

    private final int shards;
    private final AtomicInteger next = new AtomicInteger();

    public ShardRouter(int shards) {
        this.shards = shards;
    }

    public int shardFor(Message message) {
        String key = message.key();
        if (key != null) {
            return shardForKey(key, shards);
        }
        return Math.floorMod(next.getAndIncrement(), shards);
    }

    public static int shardForKey(String key, int shards) {
        return (int) (Integer.toUnsignedLong(murmur3x86_32(key.getBytes(StandardCharsets.UTF_8), 0)) % shards);
    }

    /** MurmurHash3 x86_32 (public domain algorithm by Austin Appleby). */
    public static int murmur3x86_32(byte[] data, int seed) {
        final int c1 = 0xcc9e2d51;
        final int c2 = 0x1b873593;
        int h1 = seed;
        int len = data.length;
        int blocks = len / 4;
        for (int i = 0; i < blocks; i++) {
            int off = i * 4;
            int k1 = (data[off] & 0xff) | ((data[off + 1] & 0xff) << 8) | ((data[off + 2] & 0xff) << 16)
                    | ((data[off + 3] & 0xff) << 24);
            k1 *= c1;
            k1 = Integer.rotateLeft(k1, 15);
            k1 *= c2;
            h1 ^= k1;
            h1 = Integer.rotateLeft(h1, 13);
            h1 = h1 * 5 + 0xe6546b64;
        }
        int tail = blocks * 4;
        int k1 = 0;
        switch (len & 3) {
            case 3:
                k1 ^= (data[tail + 2] & 0xff) << 16;
                // fall through
            case 2:
                k1 ^= (data[tail + 1] & 0xff) << 8;
                // fall through
            case 1:
                k1 ^= data[tail] & 0xff;
                k1 *= c1;
                k1 = Integer.rotateLeft(k1, 15);
                k1 *= c2;
                h1 ^= k1;
                break;
            default:
                break;
        }
        h1 ^= len;
        h1 ^= h1 >>> 16;
        h1 *= 0x85ebca6b;
        h1 ^= h1 >>> 13;
        h1 *= 0xc2b2ae35;
        h1 ^= h1 >>> 16;
        return h1;
    }
}
