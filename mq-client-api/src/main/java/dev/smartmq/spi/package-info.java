/**
 * The ports SmartMQ's engine ({@code mq-client-core}) drives, and the adapters implement:
 *
 * <ul>
 *   <li>{@link dev.smartmq.spi.PrimaryTransport} — the MQ (RocketMQ in {@code mq-client-rocketmq});</li>
 *   <li>{@link dev.smartmq.spi.FallbackStore} — the sharded fallback queue (Redis in
 *       {@code mq-client-redis-fallback});</li>
 *   <li>{@link dev.smartmq.spi.Coordination} — one namespace's {@link dev.smartmq.spi.SwitchStore fleet-wide
 *       switch}, {@link dev.smartmq.spi.ConsumerRegistry consumer-group registry} and
 *       {@link dev.smartmq.spi.Leadership leadership} over one connection (ZooKeeper in
 *       {@code mq-client-zk-switch}); {@link dev.smartmq.spi.DegradationSwitch} is the deprecated 1.x
 *       composite of the three.</li>
 * </ul>
 *
 * <p>Contracts every adapter keeps:
 * <ul>
 *   <li>Lifecycle: {@code start()} once, then use, then {@code close()} (idempotent). An adapter built
 *       from connection settings owns the clients it creates and closes them; a client the user passed in
 *       (a {@code UnifiedJedis}, a {@code CuratorFramework}) is shared and never closed by the adapter.</li>
 *   <li>Failures are classified by the adapter, never by the engine: {@link dev.smartmq.spi.TransportException}
 *       says whether a failure is the infrastructure's or the input's.</li>
 *   <li>No call blocks longer than the adapter's configured timeouts; async variants never block the
 *       caller at all.</li>
 *   <li>No secret (password, ACL secret key) is ever logged or put in an exception message.</li>
 * </ul>
 *
 * <p>Only the JDK and {@code dev.smartmq.api} types appear here.
 */
package dev.smartmq.spi;
