package dev.smartmq.api;

/** Delivery order of a subscription. */
public enum Ordering {
    /** Messages are handled in parallel; no order between them. Fallback and MQ are drained at once. */
    CONCURRENT,
    /**
     * Messages with the same key are handled one at a time in send order (within each path). On
     * recovery, the fallback backlog is drained before MQ consumption resumes, so fallback messages of a
     * key come before newer MQ messages of that key.
     */
    ORDERED
}
