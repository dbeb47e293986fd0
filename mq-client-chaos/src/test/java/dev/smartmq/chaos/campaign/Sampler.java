package dev.smartmq.chaos.campaign;

import dev.smartmq.api.SwitchStatus;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.zookeeper.ZkDegradationSwitch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Samples what an SRE would watch, every {@value #PERIOD_MS} ms, for the timeline: the switch document as an
 * observer (not a leader candidate) sees it, and the fallback backlog of every group, read straight from Redis
 * (not through the faulted link; {@code -1} while Redis cannot answer). Also flags any observed epoch going
 * backwards. Thread: {@code smartmq-campaign-sampler-1}, stopped by {@link #stop()}.
 */
final class Sampler {

    static final long PERIOD_MS = 500;

    /** One sample; {@code backlog} is per group, -1 when unknown. */
    record Sample(long time, SwitchStatus status, boolean reachable, Map<String, Long> backlog) {
    }

    private final ZkDegradationSwitch observer;
    private final RedisFallbackStore store;
    private final String topic;
    private final Set<String> groups;
    private final List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean running = true;
    private volatile long epochRegressions;
    private Thread thread;

    Sampler(ZkDegradationSwitch observer, RedisFallbackStore store, String topic, Set<String> groups) {
        this.observer = observer;
        this.store = store;
        this.topic = topic;
        this.groups = groups;
    }

    void start() {
        thread = new Thread(this::run, "smartmq-campaign-sampler-1");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        long lastEpoch = -1;
        while (running) {
            SwitchStatus s = observer.current();
            if (s.epoch() < lastEpoch) {
                epochRegressions++;
            }
            lastEpoch = Math.max(lastEpoch, s.epoch());
            samples.add(new Sample(System.currentTimeMillis(), s, observer.isReachable(), backlog()));
            try {
                Thread.sleep(PERIOD_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Backlog per group now (-1 for a group Redis could not count). */
    Map<String, Long> backlog() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String g : groups) {
            long b;
            try {
                b = store.backlog(topic, g);
            } catch (RuntimeException e) {
                b = -1;
            }
            m.put(g, b);
        }
        return m;
    }

    void stop() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(5_000);
    }

    List<Sample> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    long epochRegressions() {
        return epochRegressions;
    }
}
