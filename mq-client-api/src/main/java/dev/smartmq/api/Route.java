package dev.smartmq.api;

/** The path a message took. */
public enum Route {
    /** Through the primary message queue (RocketMQ). */
    MQ,
    /** Through the fallback store (Redis) because the MQ was degraded or failed for this message. */
    FALLBACK
}
