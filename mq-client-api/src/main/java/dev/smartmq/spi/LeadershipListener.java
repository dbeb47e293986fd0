package dev.smartmq.spi;

/**
 * Callback of a {@link Leadership}, run on the executor given to {@link Leadership#addListener}. Implementations
 * must not block.
 */
@FunctionalInterface
public interface LeadershipListener {

    /** This instance became ({@code true}) or stopped being ({@code false}) the namespace leader. */
    void leadershipChanged(boolean leader);
}
