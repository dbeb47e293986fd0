package dev.smartmq.core.internal;

import java.util.concurrent.TimeUnit;

/**
 * Whether MQ deliveries of an ORDERED subscription may go to the handler now: closed while the fallback backlog
 * of the group must be drained first, shut for good when the subscription ends.
 *
 * <p>Threads: every method synchronizes on the gate; MQ listener threads wait in {@link #awaitOpen}, the
 * maintenance thread opens and closes it. Callers that must pause or resume the MQ side together with a change
 * of the gate hold the gate's monitor around both.
 */
final class OrderedGate {
    private boolean open = true;
    private boolean shut;

    synchronized boolean isOpen() {
        return open;
    }

    synchronized void set(boolean open) {
        this.open = open;
        notifyAll();
    }

    synchronized void shut() {
        shut = true;
        notifyAll();
    }

    /** Waits up to {@code millis} for the gate to open; {@code false} if it did not, or was shut. */
    synchronized boolean awaitOpen(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!open && !shut) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return open && !shut;
    }
}
