package dev.smartmq.testkit.checker;

import java.util.List;
import java.util.Objects;

/**
 * What one consumer group received, against what the producer sent.
 *
 * @param group                the consumer group
 * @param expected             whether the group had to receive every acknowledged message (declared with
 *                             {@link DeliveryChecker#expectGroups(String...)}, or every observed group if none
 *                             was declared); {@code lost} is counted only for expected groups
 * @param sent                 send attempts (the producer's, the same for every group)
 * @param acked                acknowledged sends (the producer's)
 * @param failed               sends the SDK said were not stored (the producer's)
 * @param unknown              sends with an unknown outcome (the producer's)
 * @param consumed             distinct message ids delivered to this group
 * @param lost                 acknowledged ids never delivered to this group
 * @param duplicates           deliveries beyond the first of each id
 * @param orderViolations      messages whose first delivery came after the first delivery of a message with
 *                             the same key and a later sequence number; each late message counts once, however
 *                             many messages overtook it, and redeliveries never count (they are duplicates)
 * @param unexpected           delivered ids that were never acknowledged and are not explained by an unknown
 *                             send (phantoms), including ids the SDK said neither path stored
 * @param deliveredViaMq       deliveries (not distinct) with route {@code MQ}
 * @param deliveredViaFallback deliveries (not distinct) with route {@code FALLBACK}
 * @param lostIds              a bounded sample of lost ids, sorted, for debugging
 */
public record GroupReport(String group, boolean expected, long sent, long acked, long failed, long unknown,
                          long consumed, long lost, long duplicates, long orderViolations, long unexpected,
                          long deliveredViaMq, long deliveredViaFallback, List<String> lostIds) {

    public GroupReport {
        Objects.requireNonNull(group, "group");
        lostIds = List.copyOf(lostIds);
    }
}
