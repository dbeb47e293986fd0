package dev.smartmq.core.internal;

import java.util.concurrent.TimeUnit;

/** Counts operations in progress so that {@code close()} can wait for them, for a bounded time. */
final class InFlightCounter {
    private int count;

    synchronized void increment() {
        count++;
    }

    synchronized void decrement() {
        if (--count == 0) {
            notifyAll();
        }
    }

    synchronized int count() {
        return count;
    }

    /** @return whether the count reached zero before the deadline ({@link System#nanoTime()}) */
    synchronized boolean awaitZero(long deadlineNanos) {
        while (count > 0) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
