package dev.smartmq.admin;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Message;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.Subscription;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.rocketmq.RocketMQTransport;
import dev.smartmq.spi.DegradationSwitch;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.io.IOException;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * One SmartMQ instance for the fleet ITs: in-process ({@link #start}) or as a separate JVM ({@link #main}: prints
 * {@code READY <instanceId>} and runs until its stdin closes, or it is killed).
 */
final class FleetMember {

    /** ZooKeeper session timeout of members: a killed one leaves the election within it. */
    static final Duration SESSION_TIMEOUT = Duration.ofSeconds(4);

    private FleetMember() {
    }

    /**
     * A started instance; {@code group} null for a producer-only one; {@code wrap} may decorate its switch.
     * Producers send one message so they show the producer role.
     */
    static SmartMQ start(String zk, String redisHost, int redisPort, String namesrv, String ns, String topic,
                         String group, int failureThreshold, UnaryOperator<DegradationSwitch> wrap) {
        SmartMQ mq = SmartMQ.builder()
                .config(SmartMQConfig.custom().namespace(ns).failureThreshold(failureThreshold)
                        .drainCheckInterval(Duration.ofMillis(500)).build())
                .transport(RocketMQTransport.builder().nameServer(namesrv).producerGroup("fleet-" + ns)
                        .sendTimeout(Duration.ofSeconds(2)).nameServerTimeout(Duration.ofSeconds(5)).build())
                .fallbackStore(RedisFallbackStore.builder().standalone(redisHost, redisPort).namespace(ns).shards(2)
                        .build())
                .degradationSwitch(wrap.apply(ZkDegradationSwitch.builder().connectString(zk).namespace(ns)
                        .sessionTimeout(SESSION_TIMEOUT).build()))
                .build();
        if (group != null) {
            mq.consumer().subscribe(Subscription.of(topic, group), m -> ConsumeResult.SUCCESS);
        }
        return mq;
    }

    static void send(SmartMQ mq, String topic, int n) {
        for (int i = 0; i < n; i++) {
            mq.producer().send(Message.builder(topic).body("fleet " + i).build());
        }
    }

    /** args: zk redisHost redisPort namesrv namespace topic group */
    public static void main(String[] args) throws IOException {
        try (SmartMQ mq = start(args[0], args[1], Integer.parseInt(args[2]), args[3], args[4], args[5], args[6], 10,
                s -> s)) {
            System.out.println("READY " + mq.instanceId());
            System.out.flush();
            while (System.in.read() >= 0) {
                // runs until the parent closes stdin or kills this JVM
            }
        }
    }
}
