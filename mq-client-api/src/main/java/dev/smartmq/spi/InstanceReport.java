package dev.smartmq.spi;

import dev.smartmq.api.SwitchState;
import java.time.Instant;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What one SmartMQ instance tells the namespace about itself (issue 22): the engine builds it, the
 * {@link ConsumerRegistry} publishes it in the namespace's instance registry so operators see the fleet. Two
 * reports that are {@link #equals equal} describe the same state: an adapter writes only when the report changes.
 * Leadership is not part of it: the switch knows that itself.
 *
 * @param instanceId     {@code host/pid/id}, the actor this instance signs its transitions with
 * @param host           host name
 * @param pid            process id
 * @param sdkVersion     SmartMQ version (from the jar manifest; {@code development} when run from classes)
 * @param startedAt      when the engine started
 * @param effectiveState the state this instance routes by (DEGRADED while degraded locally and not published)
 * @param effectiveSince when the effective state last changed (or the start)
 * @param lastEpochSeen  epoch of the newest switch document this instance saw
 * @param producer       whether this instance has sent at least one message
 * @param consumerGroups subscriptions as {@code topic/group}, sorted
 */
public record InstanceReport(String instanceId, String host, long pid, String sdkVersion, Instant startedAt,
                             SwitchState effectiveState, Instant effectiveSince, long lastEpochSeen,
                             boolean producer, SortedSet<String> consumerGroups) {
    public InstanceReport {
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(sdkVersion, "sdkVersion");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(effectiveState, "effectiveState");
        Objects.requireNonNull(effectiveSince, "effectiveSince");
        consumerGroups = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(consumerGroups));
    }
}
