package dev.smartmq.testkit.checker;

import java.util.List;
import java.util.Objects;

/**
 * The windows of one {@link WindowKind}.
 *
 * @param kind          which outcomes were bad
 * @param count         number of windows
 * @param longestMillis duration of the longest window (0 if none)
 * @param totalMillis   sum of all window durations
 * @param openAtEnd     whether the last window had not ended when the report was taken (no good outcome
 *                      after it)
 * @param windows       the windows in time order, at most {@link DeliveryChecker#MAX_WINDOWS_LISTED} (the
 *                      numbers above are exact even when this list is cut)
 */
public record WindowSummary(WindowKind kind, long count, long longestMillis, long totalMillis, boolean openAtEnd,
                            List<Window> windows) {

    public WindowSummary {
        Objects.requireNonNull(kind, "kind");
        windows = List.copyOf(windows);
    }
}
