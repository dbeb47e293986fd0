package dev.smartmq.core.internal;

import dev.smartmq.spi.FallbackStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leases of the ORDERED fallback shards this consumer instance delivers (DESIGN.md §6: at most one instance
 * delivers an ordered shard at a time). A lease lives in the store for {@code orderedShardLease}; this class
 * remembers, per shard, until when it may trust its lease locally: two thirds of the lease after the start of
 * the store call that took or last renewed it (the last third absorbs clock rate differences and the call's own
 * time). {@link #renewAll()} renews every held lease in one store call per (topic, group) and should run every
 * third of the lease; a lease that could not be renewed in time is simply no longer {@link #holds held}.
 *
 * <p>Thread rules: {@link #acquire}, {@link #holds} and {@link #release} are called by the worker that polls the
 * shard (one at a time per shard), {@link #renewAll()} by the lease thread; the state is a concurrent map, and a
 * renewal never resurrects a lease that was released meanwhile.
 */
final class ShardLeases {
    private static final Logger log = LoggerFactory.getLogger(ShardLeases.class);

    private record Key(String topic, String group, int shard) {
    }

    private final FallbackStore store;
    private final String consumerId;
    private final Duration lease;
    private final long trustNanos;
    /** Held leases: until when (System.nanoTime) this instance trusts each. */
    private final ConcurrentMap<Key, Long> trustedUntil = new ConcurrentHashMap<>();

    ShardLeases(FallbackStore store, String consumerId, Duration lease) {
        this.store = store;
        this.consumerId = consumerId;
        this.lease = lease;
        this.trustNanos = lease.toNanos() * 2 / 3;
    }

    /** How often {@link #renewAll()} must run. */
    long renewIntervalNanos() {
        return Math.max(TimeUnit.MILLISECONDS.toNanos(10), lease.toNanos() / 3);
    }

    /**
     * Whether this instance holds the shard's lease now, taking it when it is free (one store call unless it is
     * held and trusted already).
     *
     * @throws RuntimeException the store's failure (the lease is then not held)
     */
    boolean acquire(String topic, String group, int shard) {
        if (holds(topic, group, shard)) {
            return true;
        }
        Key k = new Key(topic, group, shard);
        long start = System.nanoTime();
        boolean held = store.acquireShardLeases(topic, group, List.of(shard), consumerId, lease).contains(shard);
        if (held) {
            trustedUntil.put(k, start + trustNanos);
        } else {
            trustedUntil.remove(k);
        }
        return held;
    }

    /** Whether the lease is held and still trusted (no I/O). */
    boolean holds(String topic, String group, int shard) {
        Long until = trustedUntil.get(new Key(topic, group, shard));
        return until != null && until - System.nanoTime() > 0;
    }

    /** Whether this instance took the shard's lease and did not release it (trusted or not any more). */
    boolean tookLease(String topic, String group, int shard) {
        return trustedUntil.containsKey(new Key(topic, group, shard));
    }

    /** Gives the lease up (in the store too; if that fails it expires by itself). */
    void release(String topic, String group, int shard) {
        if (trustedUntil.remove(new Key(topic, group, shard)) == null) {
            return;
        }
        try {
            store.releaseShardLease(topic, group, shard, consumerId);
        } catch (RuntimeException e) {
            log.debug("SmartMQ: releasing the lease of shard {} of ({}, {}) failed ({}); it expires by itself", shard,
                    topic, group, e.getMessage());
        }
    }

    /** Gives up every lease of (topic, group). */
    void releaseAll(String topic, String group) {
        for (Key k : new ArrayList<>(trustedUntil.keySet())) {
            if (k.topic().equals(topic) && k.group().equals(group)) {
                release(k.topic(), k.group(), k.shard());
            }
        }
    }

    /** Renews every held lease: one store call per (topic, group). Runs on the lease thread. */
    void renewAll() {
        Map<List<String>, List<Integer>> byGroup = new HashMap<>();
        for (Key k : trustedUntil.keySet()) {
            byGroup.computeIfAbsent(List.of(k.topic(), k.group()), x -> new ArrayList<>()).add(k.shard());
        }
        byGroup.forEach((tg, shards) -> {
            String topic = tg.get(0);
            String group = tg.get(1);
            long start = System.nanoTime();
            Set<Integer> held;
            try {
                held = store.acquireShardLeases(topic, group, shards, consumerId, lease);
            } catch (RuntimeException e) {
                log.warn("SmartMQ: renewing {} ordered shard leases of ({}, {}) failed ({}); delivery of those shards "
                        + "stops if this lasts {} ms", shards.size(), topic, group, e.getMessage(),
                        TimeUnit.NANOSECONDS.toMillis(trustNanos));
                return;
            }
            for (int s : shards) {
                Key k = new Key(topic, group, s);
                if (held.contains(s)) {
                    trustedUntil.computeIfPresent(k, (x, old) -> start + trustNanos);
                } else if (trustedUntil.remove(k) != null) {
                    log.warn("SmartMQ: consumer {} lost the lease of ordered shard {} of ({}, {}) to another instance",
                            consumerId, s, topic, group);
                }
            }
        });
    }
}
