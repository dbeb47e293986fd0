package dev.smartmq.admin;

import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.ConsumerRegistration;
import dev.smartmq.spi.ConsumerRegistry;
import dev.smartmq.spi.Coordination;
import dev.smartmq.spi.Leadership;
import dev.smartmq.spi.LeadershipListener;
import dev.smartmq.spi.SwitchAccessDeniedException;
import dev.smartmq.spi.SwitchListener;
import dev.smartmq.spi.SwitchStore;
import dev.smartmq.spi.SwitchTransition;
import dev.smartmq.spi.TransitionResult;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The coordination an engine started by an operator's tool sees (issue 22): it reads the namespace's document and
 * groups as usual, but it is never the leader (so it never runs the prober or the drain decision, and never hands
 * an expired drill back) and it refuses every transition (so a failure detector tripped on an operator's laptop
 * that cannot reach the brokers degrades only that process, locally, never the fleet). Wrap a coordination built
 * with {@code joinElection(false)}: then the tool does not even appear in the election.
 *
 * <p>Thread rules: those of the wrapped coordination; this class holds no state of its own.
 */
final class ReadOnlyCoordination implements Coordination {

    private final Coordination delegate;
    private final SwitchStore switchStore;
    private final ConsumerRegistry registry;
    private final Leadership leadership = new NeverLeader();

    /**
     * @param storedShardCount reads the namespace's stored shard count without writing it (empty: none stored, or
     *                         unreadable)
     */
    ReadOnlyCoordination(Coordination delegate, Supplier<OptionalInt> storedShardCount) {
        this.delegate = delegate;
        this.switchStore = new ReadOnlySwitchStore(delegate.switchStore(), storedShardCount);
        this.registry = new NonConsumingRegistry(delegate.registry());
    }

    @Override
    public void start() {
        delegate.start();
    }

    @Override
    public String namespace() {
        return delegate.namespace();
    }

    @Override
    public SwitchStore switchStore() {
        return switchStore;
    }

    @Override
    public ConsumerRegistry registry() {
        return registry;
    }

    /** Never the leader: the leader runs the prober and the drain decision, which are the fleet's, not the tool's. */
    @Override
    public Leadership leadership() {
        return leadership;
    }

    @Override
    public void close() {
        delegate.close();
    }

    /** Reads the switch; refuses every transition; checks the shard count without recording it. */
    private record ReadOnlySwitchStore(SwitchStore delegate, Supplier<OptionalInt> storedShardCount)
            implements SwitchStore {

        @Override
        public SwitchStatus current() {
            return delegate.current();
        }

        @Override
        public boolean isReachable() {
            return delegate.isReachable();
        }

        /** Always refused: an operator's tool changes the switch only through the explicit switch commands. */
        @Override
        public TransitionResult transition(SwitchTransition transition) {
            throw new SwitchAccessDeniedException("smartmq-admin never publishes an automatic transition (refused "
                    + transition.target() + " at epoch " + transition.expectedEpoch() + ": " + transition.reason()
                    + "); this process stays degraded locally only", null);
        }

        @Override
        public void addListener(SwitchListener listener, Executor executor) {
            delegate.addListener(listener, executor);
        }

        @Override
        public void removeListener(SwitchListener listener) {
            delegate.removeListener(listener);
        }

        /**
         * Checks, never records: a stored count is returned (the engine refuses to start when {@code --shard-count}
         * differs); with none stored the tool's own count is answered and nothing is written, because the
         * namespace's count is the services' to fix at first use, not an operator's default.
         */
        @Override
        public OptionalInt recordShardCount(int shards) {
            OptionalInt stored = storedShardCount.get();
            return stored.isPresent() ? stored : OptionalInt.of(shards);
        }
    }

    /** Reads the registry; registers no consumer and publishes no instance report (the tool is not in the fleet). */
    private record NonConsumingRegistry(ConsumerRegistry delegate) implements ConsumerRegistry {

        @Override
        public ConsumerRegistration registerConsumer(String topic, String group, String consumerId) {
            throw new UnsupportedOperationException("smartmq-admin does not consume");
        }

        @Override
        public Set<String> groups(String topic) {
            return delegate.groups(topic);
        }

        @Override
        public Map<String, Set<String>> registeredGroups() {
            return delegate.registeredGroups();
        }

        @Override
        public Optional<Set<String>> readGroups(String topic) {
            return delegate.readGroups(topic);
        }

        @Override
        public Optional<Set<String>> liveConsumers(String topic, String group) {
            return delegate.liveConsumers(topic, group);
        }
    }

    /** Never the leader; so nobody ever hears of a change. */
    private static final class NeverLeader implements Leadership {
        @Override
        public boolean isLeader() {
            return false;
        }

        @Override
        public void addListener(LeadershipListener listener, Executor executor) {
        }

        @Override
        public void removeListener(LeadershipListener listener) {
        }
    }
}
