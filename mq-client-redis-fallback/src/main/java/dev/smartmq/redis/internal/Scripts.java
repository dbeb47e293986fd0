package dev.smartmq.redis.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts of the store. Each touches only keys of one shard hash tag, so each is atomic and works
 * in Redis Cluster. They run by EVALSHA; after a server restart (the script cache is empty) the caller
 * falls back to EVAL once, which caches them again.
 *
 * <p>Write scripts carry a {@code #!lua} shebang so Redis 7 refuses them as a whole when it is out of
 * memory, never half-way; scripts that only move values (claim, release, dead-letter, recover, adopt) are
 * {@code allow-oom} so consumers can still drain a full Redis.
 */
public final class Scripts {

    /** A script and its SHA1. */
    public record Script(String name, byte[] body, byte[] sha) {
        public String shaHex() {
            return new String(sha, StandardCharsets.US_ASCII);
        }
    }

    /**
     * Fan-out append. KEYS = q1, f1, q2, f2, ... (one pair per group of the same shard); ARGV[1] = max
     * backlog per shard, ARGV[2] = value. A group whose shard is full is skipped, so one full (abandoned) group
     * never fails the healthy ones. Returns 1 (written to every group), {i, ...} (written to every group but
     * those whose queue is KEYS[i]), or -i when every group is full (KEYS[i] the first; nothing written).
     */
    public static final Script APPEND = script("append", """
            #!lua
            local cap = tonumber(ARGV[1])
            local full = {}
            local skipped = {}
            for i = 1, #KEYS, 2 do
              if redis.call('LLEN', KEYS[i]) + redis.call('HLEN', KEYS[i + 1]) >= cap then
                full[i] = true
                skipped[#skipped + 1] = i
              end
            end
            if #skipped * 2 == #KEYS then
              return -skipped[1]
            end
            for i = 1, #KEYS, 2 do
              if not full[i] then
                redis.call('RPUSH', KEYS[i], ARGV[2])
              end
            end
            if #skipped == 0 then return 1 end
            return skipped
            """);

    /**
     * Batched fan-out append: the appends of one group-commit flush (on a cluster: of one slot) in one call, with
     * exactly the outcome each would have had as its own {@link #APPEND}, in order. KEYS = q1, f1, q2, f2, ...
     * (each (queue, in-flight) pair once); ARGV[1] = max backlog per shard, ARGV[2] = number of appends m, then per
     * append: the count c of its groups, c pair numbers (1-based, into KEYS), its value. The backlog of a pair is
     * read once per call (LLEN + HLEN) and counted down as values are queued; the values of a queue go out in one
     * RPUSH per 1000. Returns one reply per append, as {@link #APPEND}'s: 1, {i, ...} (skipped groups, i the
     * index of the group's queue in that append's own key list q, f, q, f, ...), or -i (every group full).
     */
    public static final Script APPEND_BATCH = script("append-batch", """
            #!lua
            local cap = tonumber(ARGV[1])
            local room = {}
            local pending = {}
            local out = {}
            local a = 3
            for m = 1, tonumber(ARGV[2]) do
              local c = tonumber(ARGV[a])
              local first = a + 1
              local value = ARGV[first + c]
              a = first + c + 1
              local skipped = {}
              for j = 0, c - 1 do
                local pair = tonumber(ARGV[first + j])
                local r = room[pair]
                if r == nil then
                  r = cap - redis.call('LLEN', KEYS[2 * pair - 1]) - redis.call('HLEN', KEYS[2 * pair])
                  room[pair] = r
                end
                if r <= 0 then skipped[#skipped + 1] = 2 * j + 1 end
              end
              if #skipped == c then
                out[m] = -skipped[1]
              else
                local s = 1
                for j = 0, c - 1 do
                  if skipped[s] == 2 * j + 1 then
                    s = s + 1
                  else
                    local pair = tonumber(ARGV[first + j])
                    room[pair] = room[pair] - 1
                    local list = pending[pair]
                    if list == nil then list = {}; pending[pair] = list end
                    list[#list + 1] = value
                  end
                end
                if #skipped == 0 then out[m] = 1 else out[m] = skipped end
              end
            end
            for pair, list in pairs(pending) do
              for i = 1, #list, 1000 do
                redis.call('RPUSH', KEYS[2 * pair - 1], unpack(list, i, math.min(i + 999, #list)))
              end
            end
            return out
            """);

    /**
     * Claim. KEYS = q, f, n [, l]; ARGV = max, consumerId, claimToken. Pops up to max values from the head
     * and records each in the in-flight hash under "seq|token|consumer". Returns {field1, value1, ...}.
     * An empty shard costs this one script call (one LPOP inside). With the lease key l (an ORDERED shard) it
     * claims only while consumerId holds the lease and nothing of the shard is in flight (fencing).
     */
    public static final Script CLAIM = script("claim", """
            #!lua flags=allow-oom
            if #KEYS >= 4 then
              if redis.call('GET', KEYS[4]) ~= ARGV[2] then return {} end
              if redis.call('HLEN', KEYS[2]) > 0 then return {} end
            end
            local vals = redis.call('LPOP', KEYS[1], tonumber(ARGV[1]))
            if not vals then return {} end
            local last = redis.call('INCRBY', KEYS[3], #vals)
            local first = last - #vals
            local out = {}
            for i = 1, #vals do
              out[2 * i - 1] = string.format('%016x', first + i) .. '|' .. ARGV[3] .. '|' .. ARGV[2]
              out[2 * i] = vals[i]
            end
            redis.call('HSET', KEYS[2], unpack(out))
            return out
            """);

    /**
     * Return in-flight entries to the head of the queue, oldest claim first in line. KEYS = q, f [, l].
     * ARGV[1] = "dead": entries whose consumer is not in ARGV[2..] (orphans), unless the shard's lease l is
     * held by a consumer not in ARGV[2..] (it is alive for the store and still works on them); "token": entries
     * whose claim token is in ARGV[2..] (claims whose reply was lost). Returns how many were returned.
     */
    public static final Script RETURN = script("return", """
            #!lua flags=allow-oom
            if redis.call('HLEN', KEYS[2]) == 0 then return 0 end
            local set = {}
            for j = 2, #ARGV do set[ARGV[j]] = true end
            local byToken = ARGV[1] == 'token'
            if not byToken and #KEYS >= 3 then
              local holder = redis.call('GET', KEYS[3])
              if holder and not set[holder] then return 0 end
            end
            local all = redis.call('HGETALL', KEYS[2])
            local found = {}
            for i = 1, #all, 2 do
              local token, consumer = string.match(all[i], '^[0-9a-f]+|([^|]*)|(.*)$')
              local hit
              if byToken then hit = token ~= nil and set[token] else hit = consumer == nil or not set[consumer] end
              if hit then found[#found + 1] = i end
            end
            table.sort(found, function(a, b) return all[a] < all[b] end)
            for k = #found, 1, -1 do
              local i = found[k]
              redis.call('LPUSH', KEYS[1], all[i + 1])
              redis.call('HDEL', KEYS[2], all[i])
            end
            return #found
            """);

    /**
     * Ack. KEYS = q, f, n; ARGV = in-flight fields. Deletes them; when that left the shard empty (nothing queued,
     * nothing in flight) it deletes the shard's claim sequence too, so a drained shard leaves no key behind.
     * Returns how many fields were deleted.
     */
    public static final Script ACK = script("ack", """
            #!lua flags=allow-oom
            local n = 0
            for i = 1, #ARGV, 1000 do n = n + redis.call('HDEL', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV))) end
            if redis.call('HLEN', KEYS[2]) == 0 and redis.call('LLEN', KEYS[1]) == 0 then
              redis.call('DEL', KEYS[3])
            end
            return n
            """);

    /**
     * Shard lease, take or renew. KEYS = l; ARGV = consumerId, lease ms. Free or already ours: (re)set with
     * the lease as TTL, return 1; held by another consumer: return 0.
     */
    public static final Script LEASE = script("lease", """
            #!lua flags=allow-oom
            local holder = redis.call('GET', KEYS[1])
            if holder and holder ~= ARGV[1] then return 0 end
            redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
            return 1
            """);

    /** Shard lease, give up. KEYS = l; ARGV = consumerId. Deletes it only if held by consumerId; returns 1 or 0. */
    public static final Script LEASE_RELEASE = script("lease-release", """
            #!lua flags=allow-oom
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0
            """);

    /** Release. KEYS = q, f; ARGV = field, value. Back to the head if still in flight; returns 1 or 0. */
    public static final Script RELEASE = script("release", """
            #!lua flags=allow-oom
            if redis.call('HDEL', KEYS[2], ARGV[1]) == 1 then
              redis.call('LPUSH', KEYS[1], ARGV[2])
              return 1
            end
            return 0
            """);

    /**
     * Dead-letter. KEYS = f, d, q, n; ARGV = field, record. Moves it if still in flight; deletes the claim sequence
     * when the shard is then empty (as {@link #ACK}); returns 1 or 0.
     */
    public static final Script DEAD_LETTER = script("dead-letter", """
            #!lua flags=allow-oom
            if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
              redis.call('RPUSH', KEYS[2], ARGV[2])
              if redis.call('HLEN', KEYS[1]) == 0 and redis.call('LLEN', KEYS[3]) == 0 then
                redis.call('DEL', KEYS[4])
              end
              return 1
            end
            return 0
            """);

    /**
     * Adopt. KEYS = unclaimed q, group q; ARGV = max. Moves up to max values from the tail of the
     * unclaimed queue to the head of the group's, so they keep their order and come before newer ones.
     */
    public static final Script ADOPT = script("adopt", """
            #!lua flags=allow-oom
            local n = 0
            local max = tonumber(ARGV[1])
            while n < max do
              local v = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
              if not v then break end
              n = n + 1
            end
            return n
            """);

    /**
     * Idempotency guard, begin. KEYS = the id's record; ARGV = lease in ms. Takes the in-progress lease
     * ("p") unless a record exists. Returns 1 (taken: run the handler), 2 (another delivery holds the lease)
     * or 0 (handled before: "d", or "1" written by {@code firstSeen}).
     */
    public static final Script GUARD_BEGIN = script("guard-begin", """
            #!lua
            if redis.call('SET', KEYS[1], 'p', 'NX', 'PX', tonumber(ARGV[1])) then return 1 end
            if redis.call('GET', KEYS[1]) == 'p' then return 2 end
            return 0
            """);

    /**
     * Distribute. KEYS = unclaimed q, group1 q, group2 q, ... (one shard); ARGV = max. Moves up to max values
     * from the tail of the unclaimed queue to the head of every group's queue, so each group gets all of them,
     * in order, before newer ones. Returns how many left the unclaimed queue.
     */
    public static final Script DISTRIBUTE = script("distribute", """
            #!lua
            local n = 0
            local max = tonumber(ARGV[1])
            while n < max do
              local v = redis.call('RPOP', KEYS[1])
              if not v then break end
              for i = 2, #KEYS do
                redis.call('LPUSH', KEYS[i], v)
              end
              n = n + 1
            end
            return n
            """);

    /** Replay one dead letter. KEYS = d, q; ARGV = record, value. Returns 1 if the record was still there. */
    public static final Script REPLAY = script("replay", """
            #!lua
            if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 then
              redis.call('RPUSH', KEYS[2], ARGV[2])
              return 1
            end
            return 0
            """);

    /** Purge. KEYS = d. Returns how many entries were deleted. */
    public static final Script PURGE = script("purge", """
            #!lua flags=allow-oom
            local n = redis.call('LLEN', KEYS[1])
            redis.call('DEL', KEYS[1])
            return n
            """);

    /**
     * Deletes one shard of a group that is gone for good. KEYS = q, f, d, n, z (queue, in flight, dead letters, claim
     * sequence, delayed set: one hash tag). Returns the values deleted (queued + in flight + dead-lettered + held):
     * counted and deleted in one atomic step, so a delayed value moved meanwhile is counted once and never left.
     */
    public static final Script DELETE_SHARD = script("delete-shard", """
            #!lua flags=allow-oom
            local n = redis.call('LLEN', KEYS[1]) + redis.call('HLEN', KEYS[2]) + redis.call('LLEN', KEYS[3])
                + redis.call('ZCARD', KEYS[5])
            redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
            return n
            """);

    private Scripts() {
    }

    private static Script script(String name, String body) {
        try {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(bytes);
            return new Script(name, bytes, HexFormat.of().formatHex(digest).getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by the JDK", e);
        }
    }
}
