package dev.smartmq.redis;

/**
 * Backlog of one shard of a (topic, group), for admin tooling.
 *
 * @param shard         shard index
 * @param queued        values waiting in the shard
 * @param inFlight      values claimed and not yet acknowledged
 * @param deadLettered  entries in the shard's dead-letter list
 */
public record ShardBacklog(int shard, long queued, long inFlight, long deadLettered) {

    /** What {@link dev.smartmq.spi.FallbackStore#backlog} counts: queued plus in flight. */
    public long pending() {
        return queued + inFlight;
    }
}
