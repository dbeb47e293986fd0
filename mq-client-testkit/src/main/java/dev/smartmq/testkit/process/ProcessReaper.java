package dev.smartmq.testkit.process;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Kills every child process the testkit's fixtures started (child JVMs, {@code redis-server}s) and did not end
 * themselves, when this JVM exits, even if a test failed before it could close its fixture. Descendants go first
 * (an AOF rewrite child), and SIGKILL also ends a SIGSTOPped process.
 *
 * <p>Why a static registry (against our "no static mutable state" rule): a shutdown hook is JVM-global and
 * must reach every child whichever fixture, extension or test class started it. It exposes only
 * register/unregister; every access holds {@link #LOCK}. (A parent killed with SIGKILL runs no hook:
 * {@link ParentLink} in a child JVM covers that case.) For the testkit's own fixtures, not a user API.
 */
public final class ProcessReaper {

    private static final Object LOCK = new Object();
    private static final Set<Process> CHILDREN = new LinkedHashSet<>();
    private static boolean hookInstalled;

    private ProcessReaper() {
    }

    public static void register(Process process) {
        synchronized (LOCK) {
            if (!hookInstalled) {
                Runtime.getRuntime().addShutdownHook(new Thread(ProcessReaper::killAll, "smartmq-testkit-reaper-1"));
                hookInstalled = true;
            }
            CHILDREN.add(process);
        }
    }

    public static void unregister(Process process) {
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
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly(); // SIGKILL also ends a SIGSTOPped process
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
