package dev.smartmq.core.internal;

import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SwitchState;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.ConsumerRegistration;
import dev.smartmq.spi.ConsumerRegistry;
import dev.smartmq.spi.FallbackStore;
import dev.smartmq.spi.PrimaryTransport;
import dev.smartmq.spi.TransportException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mixed fleets: re-publishes the fallback backlog of {@link SmartMQConfig#republishTopics()} to the MQ once it is
 * healthy again, so consumers that read only the MQ (raw RocketMQ push consumers) also get what was sent while
 * DEGRADED.
 *
 * <p>How: for each such topic this instance registers the pseudo consumer group {@value #GROUP} in the switch's
 * registry, so every producer of the namespace also appends DEGRADED sends to that group's shards, and the
 * RECOVERING → NORMAL decision waits for them like for any group. Outside DEGRADED this class claims them, sends
 * each to the MQ with its id kept (SmartMQ consumers and the idempotency guard see the copy as the same message)
 * and acknowledges it once the MQ stored it. A send that fails for the MQ's sake puts the rest of the batch back and
 * stops until the next tick; a message the MQ refuses as input goes to {@value #GROUP}'s dead-letter list.
 * Claims of a dead instance go back to their shards (orphan recovery among the live re-publishers).
 *
 * <p>Consequences (README "Mixed fleets"): a re-published message reaches the MQ after messages sent since the
 * recovery, so MQ consumers see it out of order relative to them (per key, re-published messages keep their send
 * order among themselves); SmartMQ consumers of the topic get it twice without an idempotency guard; a crash
 * between the send and the acknowledgement re-publishes it again (at least once).
 *
 * <p>Threads: {@link #tick()} runs on the engine's maintenance thread; {@link #close()} from the closing thread.
 */
final class Republisher {
    /** The pseudo consumer group whose shards hold the backlog to re-publish; reserved. */
    static final String GROUP = "smartmq-republish";
    private static final Logger log = LoggerFactory.getLogger(Republisher.class);
    /** Time one tick may spend sending, so the maintenance thread's other work keeps its rhythm. */
    private static final long TICK_BUDGET_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final SmartMQConfig config;
    private final PrimaryTransport transport;
    private final FallbackStore store;
    private final ConsumerRegistry sw;
    private final SwitchTracker tracker;
    private final String consumerId;
    private final Map<String, ConsumerRegistration> registrations = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private long nextReapNanos;

    Republisher(SmartMQConfig config, PrimaryTransport transport, FallbackStore store, ConsumerRegistry sw,
                SwitchTracker tracker, String consumerId) {
        this.config = config;
        this.transport = transport;
        this.store = store;
        this.sw = sw;
        this.tracker = tracker;
        this.consumerId = consumerId;
    }

    /** Registers {@value #GROUP} for every configured topic (retried by {@link #tick()} if the switch is down). */
    void start() {
        register();
    }

    private void register() {
        for (String topic : config.republishTopics()) {
            if (!registrations.containsKey(topic)) {
                try {
                    registrations.put(topic, sw.registerConsumer(topic, GROUP, consumerId));
                    log.info("SmartMQ: fallback backlog of topic {} is re-published to the MQ on recovery", topic);
                } catch (RuntimeException e) {
                    log.warn("SmartMQ: registering the re-publisher of {} failed ({}); retrying", topic, e.toString());
                }
            }
        }
    }

    /** One round: re-publish what is queued, within a time budget. Never throws. */
    void tick() {
        if (closed || config.republishTopics().isEmpty()) {
            return;
        }
        try {
            register();
            if (tracker.effectiveState() == SwitchState.DEGRADED) {
                return;
            }
            reapOrphans();
            long end = System.nanoTime() + TICK_BUDGET_NANOS;
            for (String topic : config.republishTopics()) {
                for (int shard = 0; shard < store.shardCount() && !closed; shard++) {
                    if (!drainShard(topic, shard, end)) {
                        return; // the MQ failed or the budget is used up
                    }
                }
            }
        } catch (RuntimeException e) {
            log.warn("SmartMQ: re-publishing failed: {}", e.toString());
        }
    }

    /** Returns false when the round must stop (MQ failure, budget, close). */
    private boolean drainShard(String topic, int shard, long end) {
        while (!closed) {
            if (System.nanoTime() - end > 0) {
                return false;
            }
            List<ClaimedMessage> batch = store.claim(topic, GROUP, shard, consumerId, config.claimBatchSize());
            if (batch == null || batch.isEmpty()) {
                return true;
            }
            for (int i = 0; i < batch.size(); i++) {
                ClaimedMessage m = batch.get(i);
                if (closed) {
                    releaseFrom(batch, i);
                    return false;
                }
                try {
                    transport.send(m.envelope(), config.sendTimeout());
                } catch (TransportException e) {
                    if (e.isInfrastructure()) {
                        log.info("SmartMQ: re-publishing {} to the MQ failed ({}); retrying later", m.envelope().id(),
                                e.getMessage());
                        releaseFrom(batch, i);
                        return false;
                    }
                    store.deadLetter(m, "re-publishing to the MQ refused the message: " + e.getMessage());
                    continue;
                } catch (RuntimeException e) {
                    releaseFrom(batch, i);
                    throw e;
                }
                store.ack(m);
            }
        }
        return false;
    }

    /** Puts {@code batch[from..]} back at the head of its shard, in order, uncounted. */
    private void releaseFrom(List<ClaimedMessage> batch, int from) {
        for (int i = batch.size() - 1; i >= from; i--) {
            try {
                store.release(batch.get(i), false);
            } catch (RuntimeException e) {
                log.warn("SmartMQ: returning {} to its shard failed ({}); orphan recovery returns it",
                        batch.get(i).envelope().id(), e.toString());
            }
        }
    }

    private void reapOrphans() {
        long now = System.nanoTime();
        if (now - nextReapNanos < 0) {
            return;
        }
        nextReapNanos = now + config.orphanReapInterval().toNanos();
        for (String topic : config.republishTopics()) {
            Optional<Set<String>> live = sw.liveConsumers(topic, GROUP);
            if (live == null || live.isEmpty()) {
                continue;
            }
            Set<String> alive = new HashSet<>(live.get());
            alive.add(consumerId);
            int n = store.recoverOrphans(topic, GROUP, alive);
            if (n > 0) {
                log.warn("SmartMQ: returned {} messages claimed by dead re-publishers of {} to their shards", n, topic);
            }
        }
    }

    /** Stops re-publishing and withdraws the registrations. Idempotent. */
    void close() {
        closed = true;
        registrations.values().forEach(r -> {
            try {
                r.close();
            } catch (RuntimeException e) {
                log.warn("SmartMQ: closing a re-publisher registration failed", e);
            }
        });
        registrations.clear();
    }
}
