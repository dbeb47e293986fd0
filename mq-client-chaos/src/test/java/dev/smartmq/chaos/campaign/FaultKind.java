package dev.smartmq.chaos.campaign;

/**
 * The faults a campaign draws from (issue 14's list), each with what it targets and how long it lasts.
 * A duration of 0 is a point fault (a restart: the fault ends when the restart is done).
 */
enum FaultKind {
    BROKER_KILL("broker-kill-9", Target.BROKER, 4_000, 12_000),
    BROKER_PAUSE("broker-sigstop", Target.BROKER, 3_000, 10_000),
    BROKER_BLACKHOLE("broker-blackhole", Target.BROKER, 3_000, 10_000),
    BROKER_LATENCY("broker-latency", Target.BROKER, 4_000, 12_000),
    BROKER_RESTART("broker-restart", Target.BROKER, 0, 0),
    ALL_BROKERS_KILL("brokers-all-kill-9", Target.ALL_BROKERS, 6_000, 15_000),
    REDIS_KILL("redis-kill-9", Target.REDIS, 3_000, 8_000),
    REDIS_PAUSE("redis-sigstop", Target.REDIS, 2_000, 6_000),
    REDIS_RESTART("redis-restart", Target.REDIS, 0, 0),
    REDIS_SQUEEZE("redis-maxmemory", Target.REDIS, 3_000, 8_000),
    REDIS_LINK_BLACKHOLE("redis-link-blackhole", Target.REDIS, 2_000, 6_000),
    ZK_NODE_KILL("zk-node-kill", Target.ZOOKEEPER, 4_000, 12_000),
    ZK_QUORUM_LOSS("zk-quorum-loss", Target.ZOOKEEPER, 4_000, 10_000),
    ZK_SESSION_EXPIRY("zk-session-expiry", Target.ANY_CLIENT, 9_000, 9_000),
    PRODUCER_KILL("producer-kill-9", Target.PRODUCER, 2_000, 8_000),
    CONSUMER_KILL("consumer-kill-9", Target.CONSUMER, 2_000, 8_000),
    CONSUMER_LEAVE("group-member-leave", Target.CONSUMER, 3_000, 10_000),
    OPERATOR_DRILL("operator-drill", Target.SWITCH, 4_000, 10_000),
    /** A late group's consumer process starts (once; never drawn at random: placed by {@link FaultSchedule#withLateJoins}). */
    GROUP_JOIN("group-join", Target.LATE_GROUP, 0, 0);

    /** What a fault acts on; the schedule never gives one target two faults at once. */
    enum Target { BROKER, ALL_BROKERS, REDIS, ZOOKEEPER, ANY_CLIENT, PRODUCER, CONSUMER, SWITCH, LATE_GROUP }

    private final String label;
    private final Target target;
    private final long minMillis;
    private final long maxMillis;

    FaultKind(String label, Target target, long minMillis, long maxMillis) {
        this.label = label;
        this.target = target;
        this.minMillis = minMillis;
        this.maxMillis = maxMillis;
    }

    String label() {
        return label;
    }

    Target target() {
        return target;
    }

    long minMillis() {
        return minMillis;
    }

    long maxMillis() {
        return maxMillis;
    }

    /** Whether it makes a broker unreachable, slow or restart (the MQ path's order exceptions). */
    boolean brokerFault() {
        return target == Target.BROKER || target == Target.ALL_BROKERS;
    }

    /** Whether it can cut a client off the registry's updates (the late-group rule's propagation window). */
    boolean zooKeeperFault() {
        return target == Target.ZOOKEEPER || this == ZK_SESSION_EXPIRY;
    }
}
