package dev.smartmq.zookeeper.internal;

import dev.smartmq.spi.SwitchUnavailableException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.zookeeper.KeeperException;

/**
 * ZooKeeper calls with a deadline the caller chooses. Curator's foreground calls wait as long as the
 * client's retry policy and connection timeout say (and a shared client's settings are not ours), so every
 * call here runs in the background and the caller waits on a future, never longer than its deadline.
 */
public final class ZkCalls {

    /** Starts a background operation that reports to {@code callback}. */
    @FunctionalInterface
    public interface Starter {
        void start(BackgroundCallback callback) throws Exception;
    }

    private ZkCalls() {
    }

    public static CompletableFuture<CuratorEvent> submit(Starter starter) {
        CompletableFuture<CuratorEvent> f = new CompletableFuture<>();
        try {
            starter.start((client, event) -> f.complete(event));
        } catch (Exception e) {
            f.completeExceptionally(e);
        }
        return f;
    }

    /**
     * Waits for {@code call} until {@code deadlineNanos} ({@link System#nanoTime()} based).
     *
     * @throws SwitchUnavailableException if it did not answer in time or failed locally
     */
    public static CuratorEvent await(CompletableFuture<CuratorEvent> call, long deadlineNanos, String what) {
        long remaining = deadlineNanos - System.nanoTime();
        try {
            return call.get(Math.max(0, remaining), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new SwitchUnavailableException("ZooKeeper did not answer " + what + " in time", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SwitchUnavailableException("interrupted while waiting for ZooKeeper to answer " + what, e);
        } catch (ExecutionException e) {
            throw new SwitchUnavailableException("ZooKeeper call " + what + " failed: " + e.getCause(), e.getCause());
        }
    }

    /** {@link #submit} then {@link #await}. */
    public static CuratorEvent call(long deadlineNanos, String what, Starter starter) {
        return await(submit(starter), deadlineNanos, what);
    }

    public static KeeperException.Code code(CuratorEvent event) {
        return KeeperException.Code.get(event.getResultCode());
    }

    public static long deadline(Duration timeout) {
        return System.nanoTime() + timeout.toNanos();
    }

    public static long remainingMillis(long deadlineNanos) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    /** An unavailable-store exception for a result code that is not one the caller expects. */
    public static SwitchUnavailableException unavailable(String what, KeeperException.Code code) {
        return new SwitchUnavailableException("ZooKeeper " + what + " failed: " + code,
                KeeperException.create(code));
    }
}
