package dev.smartmq.spi;

/**
 * What an {@link FailureKind#INFRASTRUCTURE infrastructure} failure of a send says about the MQ cluster, as far
 * as the transport knows (DESIGN.md §4, "Only the cluster's failure degrades the fleet"). The engine counts only
 * {@link #UNATTRIBUTED} and {@link #CLUSTER} failures towards degrading the namespace; every other scope still
 * sends the message to the fallback store, but is the transport's local business.
 */
public enum FailureScope {
    /** The transport cannot tell where the failure lies (the default): counts as a failure of the cluster. */
    UNATTRIBUTED,
    /**
     * The failure is evidence against the whole cluster: every broker serving the topic is failing or isolated,
     * or the name server is unreachable. Counts.
     */
    CLUSTER,
    /**
     * One broker failed while other brokers of the topic serve ({@link TransportException#broker()} names it); the
     * transport isolates it locally after a few such failures. Does not count.
     */
    BROKER,
    /**
     * Not attempted: the message's queue lives on a broker this transport has isolated locally, so the send failed
     * at once without I/O, while other brokers serve. Does not count.
     */
    BROKER_ISOLATED,
    /**
     * This topic has no route (it does not exist, or has no writable queue) while the name server answers: a
     * misconfigured topic, not an outage. Does not count; the engine warns once per topic per minute.
     */
    TOPIC,
    /**
     * A healthy broker refused this kind of message only, for a reason of its own configuration or load that other
     * messages do not share: a timer message ({@code deliverAt}) while the broker's timer wheel is off
     * ({@code timerWheelEnable=false}) or its timer is under flow control. Not an outage: the message goes to the
     * fallback store (which holds a delayed message until its time); does not count, the broker is not isolated, and
     * the engine warns once per topic per minute.
     */
    MESSAGE_KIND
}
