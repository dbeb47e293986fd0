package dev.smartmq.zookeeper;

import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.ConsumerRegistration;
import dev.smartmq.spi.ConsumerRegistry;
import dev.smartmq.spi.DegradationSwitch;
import dev.smartmq.spi.InstanceReport;
import dev.smartmq.spi.Leadership;
import dev.smartmq.spi.LeadershipListener;
import dev.smartmq.spi.SwitchListener;
import dev.smartmq.spi.SwitchStore;
import dev.smartmq.spi.SwitchTransition;
import dev.smartmq.spi.TransitionResult;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * The 1.x face of {@link ZkCoordination}: the switch, registry and leader election of one namespace as one
 * {@link DegradationSwitch}. Every method delegates to a {@link ZkCoordination} built from the same options (its
 * guarantees, resources and thread rules are this class's); {@link #addListener(SwitchListener, Executor)} also
 * delivers leadership changes to {@link SwitchListener#onLeadershipChanged}, as 1.x did.
 *
 * <p>Migration: replace {@code ZkDegradationSwitch.builder()} by {@link ZkCoordination#builder()} (same options)
 * and {@code SmartMQ.builder().degradationSwitch(..)} by {@code .coordination(..)}; read the switch through
 * {@code switchStore()}, the registry through {@code registry()} and leadership through {@code leadership()}.
 *
 * @deprecated use {@link ZkCoordination}
 */
@Deprecated(since = "1.1")
@SuppressWarnings("deprecation")
public final class ZkDegradationSwitch implements DegradationSwitch {

    private final ZkCoordination zk;
    private final Map<SwitchListener, LeadershipListener> leadershipAdapters = new ConcurrentHashMap<>();

    private ZkDegradationSwitch(ZkSettings settings) {
        this.zk = new ZkCoordination(settings);
    }

    /** A builder with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** As {@link ZkCoordination#digestIdentity}. */
    public static String digestIdentity(String user, String password) {
        return ZkCoordination.digestIdentity(user, password);
    }

    /** The coordination this switch delegates to. */
    public ZkCoordination coordination() {
        return zk;
    }

    /** The coordination's switch view (which, unlike this object, delivers no leadership changes). */
    @Override
    public SwitchStore switchStore() {
        return zk.switchStore();
    }

    @Override
    public ConsumerRegistry registry() {
        return zk.registry();
    }

    @Override
    public Leadership leadership() {
        return zk.leadership();
    }

    @Override
    public void start() {
        zk.start();
    }

    @Override
    public void close() {
        zk.close();
    }

    @Override
    public String namespace() {
        return zk.namespace();
    }

    /** The identity this instance uses in the election and in its registrations. */
    public String instanceId() {
        return zk.instanceId();
    }

    @Override
    public SwitchStatus current() {
        return zk.switchStore().current();
    }

    @Override
    public boolean isReachable() {
        return zk.switchStore().isReachable();
    }

    @Override
    public TransitionResult transition(SwitchTransition transition) {
        return zk.switchStore().transition(transition);
    }

    @Override
    public List<SwitchStatus> history(int limit) {
        return zk.switchStore().history(limit);
    }

    @Override
    public OptionalInt recordShardCount(int shards) {
        return zk.switchStore().recordShardCount(shards);
    }

    /** Status, reachability and (as in 1.x) leadership changes. */
    @Override
    public void addListener(SwitchListener listener, Executor executor) {
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(executor, "executor");
        LeadershipListener adapter = listener::onLeadershipChanged;
        if (leadershipAdapters.putIfAbsent(listener, adapter) == null) {
            zk.leadership().addListener(adapter, executor);
        }
        zk.switchStore().addListener(listener, executor);
    }

    @Override
    public void removeListener(SwitchListener listener) {
        zk.switchStore().removeListener(listener);
        LeadershipListener adapter = leadershipAdapters.remove(listener);
        if (adapter != null) {
            zk.leadership().removeListener(adapter);
        }
    }

    @Override
    public boolean isLeader() {
        return zk.leadership().isLeader();
    }

    @Override
    public Optional<String> fleetLeader() {
        return zk.leadership().fleetLeader();
    }

    @Override
    public void addListener(LeadershipListener listener, Executor executor) {
        zk.leadership().addListener(listener, executor);
    }

    @Override
    public void removeListener(LeadershipListener listener) {
        zk.leadership().removeListener(listener);
    }

    @Override
    public ConsumerRegistration registerConsumer(String topic, String group, String consumerId) {
        return zk.registry().registerConsumer(topic, group, consumerId);
    }

    @Override
    public Set<String> groups(String topic) {
        return zk.registry().groups(topic);
    }

    @Override
    public Map<String, Set<String>> registeredGroups() {
        return zk.registry().registeredGroups();
    }

    @Override
    public Optional<Set<String>> readGroups(String topic) {
        return zk.registry().readGroups(topic);
    }

    @Override
    public Optional<Set<String>> liveConsumers(String topic, String group) {
        return zk.registry().liveConsumers(topic, group);
    }

    @Override
    public void reportInstance(InstanceReport report) {
        zk.registry().reportInstance(report);
    }

    @Override
    public String toString() {
        return "ZkDegradationSwitch" + zk.toString().substring("ZkCoordination".length());
    }

    /** Options of a {@link ZkDegradationSwitch}, the same as {@link ZkCoordination.Builder}'s. */
    public static final class Builder extends ZkOptions<Builder> {
        private Builder() {
        }

        /** Validates combinations and builds a switch (not started). */
        public ZkDegradationSwitch build() {
            return new ZkDegradationSwitch(settings());
        }
    }
}
