package dev.smartmq.testkit.checker;

/** Looks through a cause chain (bounded, so a cyclic chain cannot loop). */
final class Causes {

    private static final int MAX_DEPTH = 16;

    private Causes() {
    }

    static <T extends Throwable> T find(Throwable t, Class<T> type) {
        Throwable cur = t;
        for (int depth = 0; cur != null && depth < MAX_DEPTH; depth++) {
            if (type.isInstance(cur)) {
                return type.cast(cur);
            }
            cur = cur.getCause();
        }
        return null;
    }
}
