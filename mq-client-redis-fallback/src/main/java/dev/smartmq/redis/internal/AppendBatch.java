package dev.smartmq.redis.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The appends of one group-commit flush that go into one {@link Scripts#APPEND_BATCH} call: all of them on a
 * single server, those of one slot on a cluster (a script may only touch keys of one slot there). Each
 * (queue, in-flight) pair is passed once, so the script reads a shard's backlog once per call instead of once per
 * message; appends keep their submission order inside the call, and a shard is always in exactly one call of a
 * flush, so per-shard order holds whatever order the calls run in.
 *
 * <p>Thread rules: built, sent and read by one writer thread; not shared.
 */
final class AppendBatch {

    final List<AppendWriter.Pending> members = new ArrayList<>();
    /** Index into the flush's list of each member (to find its {@code WAIT}). */
    final List<Integer> indexes = new ArrayList<>();
    private final List<byte[]> keys = new ArrayList<>();
    private final Map<ByteBuffer, Integer> pairOf = new HashMap<>();
    private final List<byte[]> body = new ArrayList<>();
    private byte[] cap;

    /** Splits a flush into its calls (one on a single server, one per slot on a cluster), in order of first use. */
    static List<AppendBatch> split(List<AppendWriter.Pending> live, boolean cluster) {
        if (!cluster) {
            AppendBatch one = new AppendBatch();
            for (int i = 0; i < live.size(); i++) {
                one.add(live.get(i), i);
            }
            return List.of(one);
        }
        Map<Integer, AppendBatch> bySlot = new LinkedHashMap<>();
        for (int i = 0; i < live.size(); i++) {
            AppendWriter.Pending p = live.get(i);
            bySlot.computeIfAbsent(JedisClusterCRC16.getSlot(p.keys.get(0)), s -> new AppendBatch()).add(p, i);
        }
        return new ArrayList<>(bySlot.values());
    }

    private void add(AppendWriter.Pending p, int index) {
        members.add(p);
        indexes.add(index);
        cap = p.args.get(0);
        body.add(ascii(p.keys.size() / 2));
        for (int k = 0; k + 1 < p.keys.size(); k += 2) {
            byte[] q = p.keys.get(k);
            byte[] f = p.keys.get(k + 1);
            Integer pair = pairOf.computeIfAbsent(ByteBuffer.wrap(q), x -> {
                keys.add(q);
                keys.add(f);
                return keys.size() / 2;
            });
            body.add(ascii(pair));
        }
        body.add(p.args.get(1));
    }

    List<byte[]> keys() {
        return keys;
    }

    List<byte[]> args() {
        List<byte[]> args = new ArrayList<>(body.size() + 2);
        args.add(cap);
        args.add(ascii(members.size()));
        args.addAll(body);
        return args;
    }

    private static byte[] ascii(int n) {
        return Integer.toString(n).getBytes(StandardCharsets.US_ASCII);
    }
}
