/**
 * The public event API of a {@link dev.smartmq.core.SmartMQ} instance: {@link dev.smartmq.core.event.SmartMQEvent}
 * values and the {@link dev.smartmq.core.event.SmartMQEventPublisher} to subscribe to them
 * ({@code mq.events().onStateTransition(e -> ...)}).
 */
package dev.smartmq.core.event;
