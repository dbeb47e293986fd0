package dev.smartmq.rocketmq.internal;

import dev.smartmq.api.Subscription;
import dev.smartmq.rocketmq.ConsumeFrom;
import dev.smartmq.spi.TransportListener;
import dev.smartmq.spi.TransportSubscription;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The transport's push consumers, one {@link GroupConsumer} per consumer group, created by the group's first
 * subscription and dropped (closed) when its last one goes.
 *
 * A {@link StalledPullWatchdog}, started with the first group, has RocketMQ replace a queue whose pull went
 * unanswered on a dead connection.
 *
 * <p>Threads: {@link #subscribe} and {@link #close} serialize on this object; a group's consumer threads are
 * RocketMQ's; the watchdog's thread reads the groups through {@link #groups()}.
 */
public final class GroupConsumers {
    private final ClientSettings client;
    private final ConsumeFrom consumeFrom;
    private final int consumeThreads;
    private final Map<String, GroupConsumer> byGroup = new HashMap<>();
    private final StalledPullWatchdog watchdog = new StalledPullWatchdog(this::groups);

    public GroupConsumers(ClientSettings client, ConsumeFrom consumeFrom, int consumeThreads) {
        this.client = client;
        this.consumeFrom = consumeFrom;
        this.consumeThreads = consumeThreads;
    }

    public synchronized TransportSubscription subscribe(Subscription subscription, TransportListener listener) {
        GroupConsumer group = byGroup.get(subscription.group());
        if (group != null && group.isEmpty()) {
            byGroup.remove(subscription.group());
            group = null;
        }
        if (group == null) {
            group = new GroupConsumer(subscription.group(), subscription.ordering(), client, consumeFrom,
                    consumeThreads, listener.redelivery());
            byGroup.put(subscription.group(), group);
            watchdog.start();
        }
        try {
            return group.add(subscription, listener);
        } finally {
            if (group.isEmpty()) {
                byGroup.remove(subscription.group());
                group.close();
            }
        }
    }

    /** A snapshot of the current groups. */
    synchronized List<GroupConsumer> groups() {
        return new ArrayList<>(byGroup.values());
    }

    /** Closes every group's consumer and stops the watchdog. */
    public synchronized void close() {
        watchdog.close();
        byGroup.values().forEach(GroupConsumer::close);
        byGroup.clear();
    }
}
