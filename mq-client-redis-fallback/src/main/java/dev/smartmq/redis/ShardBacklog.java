package dev.smartmq.redis;

/**
 * Backlog of one shard of a (topic, group), for admin tooling. Immutable, any thread.
 *
 * @param shard         shard index
 * @param queued        values waiting in the shard
 * @param inFlight      values claimed and not yet acknowledged
 * @param deadLettered  entries in the shard's dead-letter list
 * @param delayed       values held in the shard's delayed set until their {@code deliverAt} (then moved to the tail
 *                      of the queue); not part of {@link #pending()}, as {@code FallbackStore#delayedBacklog} is not
 *                      part of {@code backlog}
 */
public record ShardBacklog(int shard, long queued, long inFlight, long deadLettered, long delayed) {

    /** A shard without delayed messages (the form before delayed messages were counted). */
    public ShardBacklog(int shard, long queued, long inFlight, long deadLettered) {
        this(shard, queued, inFlight, deadLettered, 0);
    }

    /** What {@link dev.smartmq.spi.FallbackStore#backlog} counts: queued plus in flight. */
    public long pending() {
        return queued + inFlight;
    }
}
