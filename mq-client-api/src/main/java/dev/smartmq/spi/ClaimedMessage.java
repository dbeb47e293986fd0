package dev.smartmq.spi;

import java.util.Objects;

/**
 * A message a consumer claimed from a fallback shard. It sits in that consumer's in-flight set until
 * {@link FallbackStore#ack}, {@link FallbackStore#release} or {@link FallbackStore#deadLetter}; if the
 * consumer dies first, {@link FallbackStore#recoverOrphans} returns it to its shard.
 *
 * @param envelope   the decoded message; {@code attempts} counts deliveries before this one
 * @param topic      topic of the shard
 * @param group      consumer group of the shard
 * @param shard      shard index, {@code 0 <= shard < shardCount}
 * @param consumerId the consumer instance that claimed it
 * @param handle     adapter-private token that identifies the in-flight entry (e.g. the raw value)
 */
public record ClaimedMessage(Envelope envelope, String topic, String group, int shard, String consumerId,
                             Object handle) {
    public ClaimedMessage {
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(consumerId, "consumerId");
    }
}
