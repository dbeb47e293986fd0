package dev.smartmq.core.event;

import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import java.time.Instant;

/**
 * Something that happened to one {@link dev.smartmq.core.SmartMQ} instance's view of its degradation switch.
 * Events are immutable values; subscribe with {@link SmartMQEventPublisher}. Every event names the namespace
 * and the time (the instance's clock) it was seen.
 */
public sealed interface SmartMQEvent {

    /** The namespace of the instance that saw the event. */
    String namespace();

    /** When the instance saw it. */
    Instant at();

    /**
     * The state this instance routes by changed ({@link dev.smartmq.core.SmartMQ#effectiveState()}): a new
     * switch document, a local degradation, or the end of one.
     *
     * @param locallyDegraded whether {@code current} is DEGRADED because this instance degraded on its own and
     *                        has not published it yet
     */
    record StateTransition(String namespace, Instant at, SwitchState previous, SwitchState current,
                           boolean locallyDegraded) implements SmartMQEvent {
    }

    /**
     * This instance's failure detector tripped: it routes to the fallback store now and publishes DEGRADED
     * to the switch as soon as it can.
     */
    record LocalDegradation(String namespace, Instant at, String reason) implements SmartMQEvent {
    }

    /** A newer switch document was seen, whoever wrote it. */
    record SwitchChanged(String namespace, Instant at, SwitchStatus previous, SwitchStatus current)
            implements SmartMQEvent {
    }

    /** This instance wrote a switch transition and it was applied ({@code status} is the new document). */
    record Published(String namespace, Instant at, SwitchStatus status) implements SmartMQEvent {
    }

    /**
     * The switch moved RECOVERING → NORMAL: the leader saw the fallback backlog of every registered group at
     * zero. {@code byThisInstance} says whether this instance (as leader) made that transition.
     */
    record DrainFinished(String namespace, Instant at, SwitchStatus status, boolean byThisInstance)
            implements SmartMQEvent {
    }

    /**
     * The transport isolated one broker of several on this instance (DESIGN.md §4: a broker that keeps failing
     * while the others serve): keyless sends avoid it, keyed sends whose queue lives on it go to the fallback
     * store until a probe re-admits it. The namespace is not degraded and the switch does not change: this is a
     * local, per-broker decision, reported here because no switch event shows it.
     *
     * @param broker the broker's name as the transport knows it
     * @param reason why (the failures that isolated it)
     */
    record BrokerIsolated(String namespace, Instant at, String broker, String reason) implements SmartMQEvent {
    }

    /** A broker this instance had isolated was probed healthy and takes its keys again. */
    record BrokerReadmitted(String namespace, Instant at, String broker, String reason) implements SmartMQEvent {
    }
}
