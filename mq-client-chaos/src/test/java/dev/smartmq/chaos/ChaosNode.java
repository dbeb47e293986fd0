package dev.smartmq.chaos;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Meter;
import dev.smartmq.api.SmartConsumer;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.rocketmq.RocketMQTransport;
import dev.smartmq.testkit.proxy.FaultProxy;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.imps.CuratorFrameworkState;

/**
 * One SmartMQ instance of the chaos cluster, as a separate service would run it: its own RocketMQ clients,
 * Redis pool, ZooKeeper session (a Curator client the test holds, so it can expire or drop the session) and
 * engine threads. Tests drive it through {@link #producer()} and {@link #consumer()} only; the port objects
 * are exposed for fault injection and read-only inspection.
 */
final class ChaosNode implements AutoCloseable {

    private final String name;
    private final CuratorFramework curator;
    private final FaultProxy zkProxy;
    private final ZkDegradationSwitch zkSwitch;
    private final RedisFallbackStore store;
    private final RocketMQTransport transport;
    private final SmartMQ mq;
    private final AtomicBoolean closed = new AtomicBoolean();

    ChaosNode(String name, CuratorFramework curator, FaultProxy zkProxy, ZkDegradationSwitch zkSwitch,
              RedisFallbackStore store, RocketMQTransport transport, SmartMQ mq) {
        this.name = name;
        this.curator = curator;
        this.zkProxy = zkProxy;
        this.zkSwitch = zkSwitch;
        this.store = store;
        this.transport = transport;
        this.mq = mq;
    }

    String name() {
        return name;
    }

    SmartProducer producer() {
        return mq.producer();
    }

    SmartConsumer consumer() {
        return mq.consumer();
    }

    SmartMQ smartMQ() {
        return mq;
    }

    /** The switch document this instance last saw. */
    SwitchStatus status() {
        return mq.switchStatus();
    }

    /** The state this instance routes by. */
    SwitchState effectiveState() {
        return mq.effectiveState();
    }

    ZkDegradationSwitch zkSwitch() {
        return zkSwitch;
    }

    CuratorFramework curator() {
        return curator;
    }

    RedisFallbackStore store() {
        return store;
    }

    RocketMQTransport transport() {
        return transport;
    }

    boolean isLeader() {
        return zkSwitch.isLeader();
    }

    /** Count of meter {@code smartmq.<name>} (0 if absent). */
    long meter(String metric) {
        Meter m = mq.metrics().getMeters().get("smartmq." + metric);
        return m == null ? 0 : m.getCount();
    }

    /** Count of counter {@code smartmq.<name>} (0 if absent). */
    long counter(String metric) {
        Counter c = mq.metrics().getCounters().get("smartmq." + metric);
        return c == null ? 0 : c.getCount();
    }

    /** The proxy this node reaches ZooKeeper through, or {@code null} if it connects directly. */
    FaultProxy zooKeeperProxy() {
        return zkProxy;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            mq.close();
        } finally {
            if (curator.getState() == CuratorFrameworkState.STARTED) {
                curator.close();
            }
        }
    }

    @Override
    public String toString() {
        return name + "{" + mq.consumerId() + "}";
    }
}
