package dev.smartmq.spi;

import java.util.Objects;

/**
 * A {@link SwitchListener} that passes leadership changes on to a {@link LeadershipListener} and ignores the
 * rest: how a deprecated {@link DegradationSwitch} composite serves {@link Leadership#addListener}. Two wrappers
 * of the same listener are equal.
 *
 * <p>Thread rules: immutable; runs on whatever thread the switch calls it on.
 */
@SuppressWarnings("deprecation")
final class LeadershipOnlyListener implements SwitchListener {
    private final LeadershipListener listener;

    LeadershipOnlyListener(LeadershipListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    @Override
    public void onLeadershipChanged(boolean leader) {
        listener.leadershipChanged(leader);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LeadershipOnlyListener other && other.listener.equals(listener);
    }

    @Override
    public int hashCode() {
        return listener.hashCode();
    }

    @Override
    public String toString() {
        return "leadership of " + listener;
    }
}
