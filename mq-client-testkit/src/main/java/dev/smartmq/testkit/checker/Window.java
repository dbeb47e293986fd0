package dev.smartmq.testkit.checker;

/**
 * One maximal bad interval (see {@link WindowKind}), in the checker's clock (epoch milliseconds by default).
 *
 * @param startMillis when the first bad attempt of the run began
 * @param endMillis   when the next good outcome completed, or, if {@code closed} is false, when the last
 *                    bad outcome completed (the window was still open when the report was taken)
 * @param closed      whether a good outcome ended the window
 */
public record Window(long startMillis, long endMillis, boolean closed) {

    /** {@code endMillis - startMillis}. */
    public long durationMillis() {
        return endMillis - startMillis;
    }
}
