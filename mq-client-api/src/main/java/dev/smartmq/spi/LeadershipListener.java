package dev.smartmq.spi;

/**
 * Callback of a {@link Leadership}: hears that this instance became or stopped being the namespace leader.
 *
 * <p>Thread rules: runs on the executor given to {@link Leadership#addListener}; implementations must not block.
 */
@FunctionalInterface
public interface LeadershipListener {

    /** This instance became ({@code true}) or stopped being ({@code false}) the namespace leader. */
    void leadershipChanged(boolean leader);
}
