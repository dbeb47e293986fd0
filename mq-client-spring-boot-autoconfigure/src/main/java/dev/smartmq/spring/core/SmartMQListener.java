package dev.smartmq.spring.core;

import dev.smartmq.api.Ordering;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a bean method as the handler of one SmartMQ subscription (topic, consumer group): it receives every
 * message of the topic on both paths (MQ and fallback store), at least once.
 *
 * <p>The method takes one parameter: {@link dev.smartmq.api.ReceivedMessage} (id, key, tags, properties,
 * route, attempt), {@code byte[]}, {@code String}, or any type the {@link SmartMQMessageConverter} reads (JSON
 * by default). It returns {@code void} (success) or a {@link dev.smartmq.api.ConsumeResult}. Throwing means
 * "retry later", exactly as a core {@link dev.smartmq.api.MessageHandler}: redelivered with back-off, then
 * dead-lettered after {@code smartmq.engine.max-delivery-attempts} on the fallback path; a body that cannot be
 * converted to the parameter type is retried the same way (and logged).
 *
 * <p>Subscriptions start when the application context has started and stop, before the producer closes, when
 * it stops. Attributes accept {@code ${...}} placeholders. The method is called on SmartMQ's consumer threads,
 * concurrently unless {@link #ordering()} is {@link Ordering#ORDERED}.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface SmartMQListener {

    /** The topic. */
    String topic();

    /** The consumer group: every group gets every message. */
    String group();

    /** Tag expression ({@code *}, {@code a}, {@code a || b}); every tag by default. */
    String tag() default "*";

    /** CONCURRENT (default) or ORDERED (per key, fallback drained first on recovery). */
    Ordering ordering() default Ordering.CONCURRENT;
}
