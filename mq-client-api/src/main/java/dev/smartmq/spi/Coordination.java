package dev.smartmq.spi;

/**
 * What a fleet shares through one coordination service: the {@link SwitchStore degradation switch}, the
 * {@link ConsumerRegistry registry} and the {@link Leadership leader election} of one namespace. The three share
 * one connection (on ZooKeeper: one Curator client, {@code mq-client-zk-switch}'s {@code ZkCoordination}), so
 * they see the store reachable or not together. Each can be implemented and faked alone (see
 * {@code mq-client-testkit}'s {@code dev.smartmq.testkit.fakes}); {@link #of} bundles three of them.
 *
 * <p>Thread rules: {@link #start()} once, before the views are used; {@link #close()} once, idempotent; the views
 * may be called from any thread.
 */
public interface Coordination extends AutoCloseable {

    /** Connects, reads the switch document, starts watching and joins the leader election. Called once. */
    void start();

    /** The degradation switch. */
    SwitchStore switchStore();

    /** The consumer-group and instance registry. */
    ConsumerRegistry registry();

    /** The leader election. */
    Leadership leadership();

    /**
     * The SmartMQ namespace served, if the adapter has one; the engine refuses to start when it differs from
     * {@code SmartMQConfig.namespace()} (a mismatch would split one fleet into two that never see each
     * other's switch or fallback messages). {@code null} when the adapter has no notion of namespace.
     */
    default String namespace() {
        return null;
    }

    /** Leaves the election, removes this instance's registrations and closes what the adapter created. */
    @Override
    void close();

    /**
     * Three separately built parts as one coordination (for tests and custom adapters). {@code start} and
     * {@code close} do nothing: the parts' owner runs their lifecycle.
     */
    static Coordination of(String namespace, SwitchStore switchStore, ConsumerRegistry registry,
                           Leadership leadership) {
        java.util.Objects.requireNonNull(switchStore, "switchStore");
        java.util.Objects.requireNonNull(registry, "registry");
        java.util.Objects.requireNonNull(leadership, "leadership");
        return new Coordination() {
            @Override
            public void start() {
            }

            @Override
            public SwitchStore switchStore() {
                return switchStore;
            }

            @Override
            public ConsumerRegistry registry() {
                return registry;
            }

            @Override
            public Leadership leadership() {
                return leadership;
            }

            @Override
            public String namespace() {
                return namespace;
            }

            @Override
            public void close() {
            }
        };
    }
}
