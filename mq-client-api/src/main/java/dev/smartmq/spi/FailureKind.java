package dev.smartmq.spi;

/** Whose fault a failure is. Only {@link #INFRASTRUCTURE} failures ever count towards degradation. */
public enum FailureKind {
    /**
     * The MQ (or store) could not do its job: connection refused, timeout, no route, broker busy, flush or
     * replica timeout, name server down. Retrying elsewhere may succeed.
     */
    INFRASTRUCTURE,
    /** The request was wrong (topic, body or property rejected). Retrying will not help; nothing degrades. */
    INPUT
}
