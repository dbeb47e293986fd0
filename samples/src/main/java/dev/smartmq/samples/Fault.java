package dev.smartmq.samples;

import dev.smartmq.testkit.rocketmq.EmbeddedRocketMQ;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The MQ outage a drill causes mid-stream, and how it is repaired. */
public enum Fault {

    /** The broker process goes away (graceful stop: connections refused), then restarts on its port and store. */
    BROKER_KILL("broker-kill") {
        @Override
        void inject(EmbeddedRocketMQ rocketMQ) {
            rocketMQ.stopBroker();
        }

        @Override
        void repair(EmbeddedRocketMQ rocketMQ) {
            rocketMQ.startBroker();
        }
    },

    /**
     * The network path to the broker hangs (a proxy holds every byte, connections stay open): sends time out
     * instead of failing fast, which is the harder case for a detector.
     *
     * <p>Repair resets every connection through the proxy, then lets traffic pass again: the partition lasted
     * long enough that the connections across it are dead (clients gave up on them after their timeouts), so
     * nothing held is delivered late and clients reconnect. Why not a plain {@code heal()}: it would replay the
     * connections the clients had already abandoned, including their queued heartbeats, and RocketMQ 5.5's broker
     * then registers those already-closed channels as live consumers of the group; the group's rebalance splits
     * the queues with these phantoms and leaves most of them unread until the broker expires the channels
     * (about two minutes).
     */
    BROKER_BLACKHOLE("broker-blackhole") {
        @Override
        void inject(EmbeddedRocketMQ rocketMQ) {
            rocketMQ.brokerProxy().blackHole();
        }

        @Override
        void repair(EmbeddedRocketMQ rocketMQ) {
            rocketMQ.brokerProxy().cutConnections();
            rocketMQ.brokerProxy().heal();
        }
    },

    /** No fault: a baseline run on a healthy MQ. */
    NONE("none") {
        @Override
        void inject(EmbeddedRocketMQ rocketMQ) {
        }

        @Override
        void repair(EmbeddedRocketMQ rocketMQ) {
        }
    };

    private final String optionName;

    Fault(String optionName) {
        this.optionName = optionName;
    }

    /** The name used on the command line. */
    public String optionName() {
        return optionName;
    }

    /** Whether the broker must run behind a fault proxy for this fault. */
    boolean needsBrokerProxy() {
        return this == BROKER_BLACKHOLE;
    }

    abstract void inject(EmbeddedRocketMQ rocketMQ);

    abstract void repair(EmbeddedRocketMQ rocketMQ);

    /** Parses a command-line name ({@code broker-kill}, {@code broker-blackhole}, {@code none}). */
    public static Fault fromOption(String name) {
        for (Fault f : values()) {
            if (f.optionName.equals(name == null ? null : name.toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new IllegalArgumentException("--fault must be one of " + names() + ", but was " + name);
    }

    static String names() {
        return Arrays.stream(values()).map(Fault::optionName).collect(Collectors.joining("|"));
    }
}
