package dev.smartmq.chaos.campaign;

/**
 * One fault as it was really applied: kind, target, and the wall-clock times it was applied and healed
 * ({@code healedAt} is {@code Long.MAX_VALUE} while it lasts). Immutable.
 */
record FaultRecord(FaultKind kind, String target, long appliedAt, long healedAt) {

    boolean overlaps(long from, long to) {
        return appliedAt <= to && healedAt >= from;
    }

    boolean activeAt(long t) {
        return appliedAt <= t && t <= healedAt;
    }

    String label() {
        return kind.label() + (target.isEmpty() ? "" : "(" + target + ")");
    }
}
