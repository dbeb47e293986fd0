package dev.smartmq.redis;

import dev.smartmq.spi.Envelope;
import java.time.Instant;
import java.util.Optional;

/**
 * One dead-lettered value of a (topic, group), for admin tooling.
 *
 * @param shard       the shard it came from (and is replayed to)
 * @param reason      why it was dead-lettered (handler failures, or the decode error of a corrupt value)
 * @param deadAt      when
 * @param consumerId  the consumer that dead-lettered it
 * @param envelope    the decoded message, or {@code null} if the value is corrupt
 * @param decodeError why the value could not be decoded, or {@code null}
 * @param rawSize     size of the stored value in bytes
 */
public record DeadLetter(int shard, String reason, Instant deadAt, String consumerId, Envelope envelope,
                         String decodeError, int rawSize) {

    /** The message id, if the value could be decoded. */
    public Optional<String> messageId() {
        return envelope == null ? Optional.empty() : Optional.of(envelope.id());
    }
}
