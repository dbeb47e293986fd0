package dev.smartmq.testkit.rocketmq;

import java.util.Objects;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension giving a test class one shared {@link EmbeddedRocketMQ}, started before the first test
 * and closed after the last one.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RocketMQExtension mq = RocketMQExtension.create();
 *
 * @Test void sends() {
 *     producer.setNamesrvAddr(mq.rocketMQ().nameServerAddress());
 * }
 * }</pre>
 *
 * Register it on a {@code static} field: JUnit calls {@code beforeAll}/{@code afterAll} only for static
 * registrations. Tests that stop the broker or the name server should start them again (or run last): the
 * instance is shared by every test of the class. The instance's shutdown hook stops it if the JVM exits
 * before {@code afterAll}.
 */
public final class RocketMQExtension implements BeforeAllCallback, AfterAllCallback {

    private final Consumer<EmbeddedRocketMQ.Builder> customizer;
    private volatile EmbeddedRocketMQ rocketMQ;

    private RocketMQExtension(Consumer<EmbeddedRocketMQ.Builder> customizer) {
        this.customizer = Objects.requireNonNull(customizer, "customizer");
    }

    /** One name server and one broker with the defaults. */
    public static RocketMQExtension create() {
        return new RocketMQExtension(b -> { });
    }

    /** Customised, e.g. {@code RocketMQExtension.create(b -> b.withBrokerProxy().brokers(2))}. */
    public static RocketMQExtension create(Consumer<EmbeddedRocketMQ.Builder> customizer) {
        return new RocketMQExtension(customizer);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        EmbeddedRocketMQ.Builder builder = EmbeddedRocketMQ.builder();
        customizer.accept(builder);
        EmbeddedRocketMQ mq = builder.build();
        mq.start();
        rocketMQ = mq;
    }

    @Override
    public void afterAll(ExtensionContext context) {
        EmbeddedRocketMQ mq = rocketMQ;
        rocketMQ = null;
        if (mq != null) {
            mq.close();
        }
    }

    /**
     * The running instance.
     *
     * @throws IllegalStateException outside the test class's lifetime
     */
    public EmbeddedRocketMQ rocketMQ() {
        EmbeddedRocketMQ mq = rocketMQ;
        if (mq == null) {
            throw new IllegalStateException("RocketMQExtension is not active: register it on a static field");
        }
        return mq;
    }

    /** Shortcut for {@code rocketMQ().nameServerAddress()}. */
    public String nameServerAddress() {
        return rocketMQ().nameServerAddress();
    }
}
