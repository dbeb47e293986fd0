package dev.smartmq.chaos.campaign;

import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.SwitchTransition;
import dev.smartmq.spi.SwitchUnavailableException;
import dev.smartmq.spi.TransitionResult;
import dev.smartmq.testkit.proxy.FaultProxy;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays a {@link FaultSchedule} against the real servers and client processes: one dispatcher thread waits for
 * each planned time (the waiting is the schedule) and hands the apply or heal to the executor of the fault's
 * target, so a slow restart of one broker never delays a Redis fault, and one target's heal always runs after
 * its apply. Records what really happened ({@link FaultRecord}s with wall-clock times) and any fault it could not
 * apply or heal. {@link #healEverything()} ends the schedule and undoes every fault.
 *
 * <p>Threads: {@code smartmq-campaign-dispatcher-1} and one {@code smartmq-campaign-fault-<target>-1} per target; all stopped by
 * {@link #healEverything()}.
 */
final class FaultInjector {

    private static final Logger log = LoggerFactory.getLogger(FaultInjector.class);
    static final String OPERATOR = SwitchHistoryChecker.OPERATOR_PREFIX + "-campaign";

    private final CampaignServers servers;
    private final ClientFleet fleet;
    private final ZkDegradationSwitch operator;
    private final List<FaultSchedule.Planned> plan;
    private final CampaignConfig config;
    private final Map<String, ExecutorService> executors = new LinkedHashMap<>();
    private final List<FaultRecord> records = Collections.synchronizedList(new ArrayList<>());
    private final List<String> errors = Collections.synchronizedList(new ArrayList<>());
    private final Map<FaultSchedule.Planned, Integer> recordIndex = Collections.synchronizedMap(new LinkedHashMap<>());
    private volatile boolean ending;
    private Thread dispatcher;
    private long startedAt;

    FaultInjector(CampaignServers servers, ClientFleet fleet, ZkDegradationSwitch operator,
                  List<FaultSchedule.Planned> plan, CampaignConfig config) {
        this.config = config;
        this.servers = servers;
        this.fleet = fleet;
        this.operator = operator;
        this.plan = plan;
    }

    /** Starts playing the schedule now. */
    void start() {
        startedAt = System.currentTimeMillis();
        record Step(long at, FaultSchedule.Planned p, boolean apply) {
        }
        List<Step> steps = new ArrayList<>();
        for (FaultSchedule.Planned p : plan) {
            steps.add(new Step(p.atMillis(), p, true));
            if (p.durationMillis() > 0) {
                steps.add(new Step(p.atMillis() + p.durationMillis(), p, false));
            }
        }
        steps.sort(Comparator.comparingLong(Step::at));
        dispatcher = new Thread(() -> {
            for (Step s : steps) {
                long wait = startedAt + s.at() - System.currentTimeMillis();
                try {
                    if (wait > 0) {
                        Thread.sleep(wait);
                    }
                } catch (InterruptedException e) {
                    return;
                }
                executor(s.p()).execute(() -> {
                    if (s.apply()) {
                        apply(s.p());
                    } else {
                        heal(s.p());
                    }
                });
            }
        }, "smartmq-campaign-dispatcher-1");
        dispatcher.setDaemon(true);
        dispatcher.start();
    }

    /** Stops the schedule, heals every fault still in force, and returns when every target is healthy again. */
    void healEverything() throws InterruptedException {
        ending = true; // applies still queued behind a slow heal are dropped
        dispatcher.interrupt();
        dispatcher.join(10_000);
        synchronized (recordIndex) {
            for (Map.Entry<FaultSchedule.Planned, Integer> e : recordIndex.entrySet()) {
                FaultRecord r = records.get(e.getValue());
                if (r.healedAt() == Long.MAX_VALUE && e.getKey().durationMillis() > 0) {
                    executor(e.getKey()).execute(() -> heal(e.getKey()));
                }
            }
        }
        for (ExecutorService ex : executors.values()) {
            ex.shutdown();
        }
        for (ExecutorService ex : executors.values()) {
            if (!ex.awaitTermination(3, TimeUnit.MINUTES)) {
                errors.add("a fault executor did not finish healing within 3 minutes");
            }
        }
        // Belt and braces: whatever a failed heal left behind.
        try {
            servers.healAll();
        } catch (RuntimeException e) {
            errors.add("final heal of the servers failed: " + e);
        }
        for (String name : ClientFleet.allNames(config)) {
            fleet.zooKeeperLinks(name).forEach(FaultProxy::heal);
            try {
                fleet.start(name);
            } catch (RuntimeException e) {
                errors.add("restart of " + name + " failed: " + e);
            }
        }
        restoreDrill();
    }

    List<FaultRecord> records() {
        synchronized (records) {
            return List.copyOf(records);
        }
    }

    List<String> errors() {
        synchronized (errors) {
            return List.copyOf(errors);
        }
    }

    long startedAt() {
        return startedAt;
    }

    private ExecutorService executor(FaultSchedule.Planned p) {
        String key = p.kind().brokerFault() ? "brokers" : p.target();
        synchronized (executors) {
            return executors.computeIfAbsent(key, k -> Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "smartmq-campaign-fault-" + k + "-1");
                t.setDaemon(true);
                return t;
            }));
        }
    }

    private void apply(FaultSchedule.Planned p) {
        if (ending) {
            log.info("FAULT  skipped (the faulted phase is over) {}", p);
            return;
        }
        long t0 = System.currentTimeMillis();
        log.info("FAULT  +{}s apply {}", (t0 - startedAt) / 1000.0, p);
        int index;
        synchronized (records) {
            records.add(new FaultRecord(p.kind(), p.target(), t0, Long.MAX_VALUE));
            index = records.size() - 1;
        }
        recordIndex.put(p, index);
        try {
            doApply(p);
        } catch (SwitchUnavailableException e) {
            // An operator cannot reach the switch while ZooKeeper has no quorum (the schedule may draw a drill then):
            // the drill did not happen. Recorded as zero-length with the reason, not as an injector error.
            long t = System.currentTimeMillis();
            records.set(index, new FaultRecord(p.kind(), p.target() + " (not applied: ZooKeeper unreachable)", t0, t));
            recordIndex.remove(p);
            log.info("FAULT  not applied (the operator cannot reach ZooKeeper): {}", p);
            return;
        } catch (RuntimeException e) {
            errors.add("apply " + p + " failed: " + e);
            log.warn("apply {} failed", p, e);
        }
        if (p.durationMillis() == 0) {
            records.set(index, new FaultRecord(p.kind(), p.target(), t0, System.currentTimeMillis()));
        }
    }

    private void heal(FaultSchedule.Planned p) {
        Integer index = recordIndex.get(p);
        if (index == null) {
            return;
        }
        FaultRecord r = records.get(index);
        if (r.healedAt() != Long.MAX_VALUE) {
            return;
        }
        try {
            doHeal(p);
        } catch (RuntimeException e) {
            errors.add("heal " + p + " failed: " + e);
            log.warn("heal {} failed", p, e);
        }
        long t1 = System.currentTimeMillis();
        records.set(index, new FaultRecord(r.kind(), r.target(), r.appliedAt(), t1));
        log.info("FAULT  +{}s healed {}", (t1 - startedAt) / 1000.0, p);
    }

    private int broker(String target) {
        return Integer.parseInt(target.substring("broker-".length()));
    }

    private void doApply(FaultSchedule.Planned p) {
        var mq = servers.rocketMQ();
        switch (p.kind()) {
            case BROKER_KILL -> mq.killBroker(broker(p.target()));
            case BROKER_PAUSE -> mq.pauseBroker(broker(p.target()));
            case BROKER_BLACKHOLE -> mq.brokerProxy(broker(p.target())).blackHole();
            case BROKER_LATENCY -> mq.brokerProxy(broker(p.target())).latency(Duration.ofMillis(p.param()));
            case BROKER_RESTART -> mq.restartBroker(broker(p.target()));
            case ALL_BROKERS_KILL -> {
                for (int i = 0; i < mq.brokerCount(); i++) {
                    mq.killBroker(i);
                }
            }
            case REDIS_KILL -> servers.redis().kill();
            case REDIS_PAUSE -> servers.redis().pause();
            case REDIS_RESTART -> servers.redis().restart();
            case REDIS_SQUEEZE -> servers.squeezeRedis();
            case REDIS_LINK_BLACKHOLE -> servers.redisProxy().blackHole();
            case ZK_NODE_KILL -> servers.killZooKeeperNode((int) p.param());
            case ZK_QUORUM_LOSS -> {
                servers.killZooKeeperNode(0);
                servers.killZooKeeperNode(1);
            }
            case ZK_SESSION_EXPIRY -> fleet.zooKeeperLinks(p.target()).forEach(FaultProxy::blackHole);
            case PRODUCER_KILL, CONSUMER_KILL -> fleet.kill(p.target());
            case CONSUMER_LEAVE -> fleet.stop(p.target());
            case OPERATOR_DRILL -> drill(p);
            case GROUP_JOIN -> fleet.start(p.target());
        }
    }

    private void doHeal(FaultSchedule.Planned p) {
        var mq = servers.rocketMQ();
        switch (p.kind()) {
            case BROKER_KILL -> mq.startBroker(broker(p.target()));
            case BROKER_PAUSE -> mq.resumeBroker(broker(p.target()));
            case BROKER_BLACKHOLE, BROKER_LATENCY -> mq.brokerProxy(broker(p.target())).heal();
            case ALL_BROKERS_KILL -> {
                for (int i = 0; i < mq.brokerCount(); i++) {
                    mq.startBroker(i);
                }
            }
            case REDIS_KILL -> servers.redis().restart();
            case REDIS_PAUSE -> servers.redis().resume();
            case REDIS_SQUEEZE -> servers.unsqueezeRedis();
            case REDIS_LINK_BLACKHOLE -> servers.redisProxy().heal();
            case ZK_NODE_KILL, ZK_QUORUM_LOSS -> servers.restartZooKeeperNodes();
            case ZK_SESSION_EXPIRY -> fleet.zooKeeperLinks(p.target()).forEach(FaultProxy::heal);
            case PRODUCER_KILL, CONSUMER_KILL, CONSUMER_LEAVE -> fleet.start(p.target());
            case OPERATOR_DRILL -> {
                if (p.param() == 1) {
                    restoreDrill();
                }
            }
            case BROKER_RESTART, REDIS_RESTART, GROUP_JOIN -> {
                // point faults: nothing to undo
            }
        }
    }

    /** MANUAL DEGRADED; TTL = the planned duration, or twice that when the operator restores it early (param 1). */
    private void drill(FaultSchedule.Planned p) {
        Duration ttl = Duration.ofMillis(p.param() == 1 ? 2 * p.durationMillis() : p.durationMillis());
        for (int attempt = 0; attempt < 5; attempt++) {
            SwitchStatus cur = operator.current();
            var r = operator.transition(new SwitchTransition(cur.epoch(), SwitchState.DEGRADED, SwitchMode.MANUAL,
                    "campaign drill", OPERATOR, Instant.now().plus(ttl)));
            if (r.applied()) {
                return;
            }
        }
        throw new IllegalStateException("the operator's drill did not apply after 5 attempts");
    }

    /** An operator restore of our drill if it is still in force (MANUAL DEGRADED -> RECOVERING AUTO). */
    private void restoreDrill() {
        for (int attempt = 0; attempt < 5; attempt++) {
            SwitchStatus cur = operator.current();
            if (cur.mode() != SwitchMode.MANUAL || !cur.changedBy().equals(OPERATOR)) {
                return;
            }
            SwitchState target = cur.state() == SwitchState.DEGRADED ? SwitchState.RECOVERING : cur.state();
            TransitionResult r;
            try {
                r = operator.transition(new SwitchTransition(cur.epoch(), target, SwitchMode.AUTO,
                        "campaign drill over", OPERATOR, null));
            } catch (SwitchUnavailableException e) {
                if (!ending) {
                    // ZooKeeper has no quorum now: the drill's TTL (twice its planned length) hands it back instead
                    log.info("FAULT  early restore of the drill skipped (the operator cannot reach ZooKeeper)");
                    return;
                }
                throw e;
            }
            if (r.applied()) {
                return;
            }
        }
        errors.add("the operator could not restore the drill after 5 attempts");
    }
}
