package dev.smartmq.testkit.redis;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Kills every {@code redis-server} child this JVM started when the JVM exits, even if a test failed before
 * it could close its fixture.
 *
 * <p>Why a static registry (against our "no static mutable state" rule): a JVM shutdown hook is itself
 * JVM-global, and it must reach every child whichever fixture, extension or test class started it. The
 * registry is private to this package, exposes only register/unregister, and every access holds
 * {@link #LOCK}; nothing outside can read or change it.
 */
final class ChildProcessReaper {

    private static final Object LOCK = new Object();
    private static final Set<Process> CHILDREN = new LinkedHashSet<>();
    private static boolean hookInstalled;

    private ChildProcessReaper() {
    }

    static void register(Process process) {
        synchronized (LOCK) {
            if (!hookInstalled) {
                Runtime.getRuntime().addShutdownHook(new Thread(ChildProcessReaper::killAll, "smartmq-testkit-reaper-1"));
                hookInstalled = true;
            }
            CHILDREN.add(process);
        }
    }

    static void unregister(Process process) {
        synchronized (LOCK) {
            CHILDREN.remove(process);
        }
    }

    private static void killAll() {
        List<Process> toKill;
        synchronized (LOCK) {
            toKill = new ArrayList<>(CHILDREN);
            CHILDREN.clear();
        }
        for (Process p : toKill) {
            // SIGKILL also ends a SIGSTOPped process; descendants first (an AOF rewrite child).
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (Process p : toKill) {
            try {
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
