package dev.smartmq.samples;

import dev.smartmq.testkit.checker.CheckReport;
import java.util.Optional;

/**
 * The outcome of one drill: the checker's report, the measured times, the human summary and the one-line
 * {@code RESULT}, and the exit code.
 *
 * @param report        the final {@link CheckReport}
 * @param degradeMs     fault injected → DEGRADED seen by the order service, or -1 if it never was
 * @param recoverMs     fault repaired → NORMAL seen again (fallback backlog drained), or -1 if it never was
 * @param peakBacklog   largest total fallback backlog sampled (all groups)
 * @param sawDegraded   whether the switch went DEGRADED after the fault
 * @param sawNormal     whether it came back to NORMAL afterwards
 * @param lateSamePath  first deliveries overtaken by a later message of their key on the same path, all groups
 * @param lateAcrossPaths first deliveries overtaken by a later message of their key that came by the other path
 * @param failedPhase   the phase that did not complete in time or failed, if any
 * @param failureDetail what went wrong in that phase
 * @param summary       the human-readable table and extra lines
 */
public record DrillResult(CheckReport report, long degradeMs, long recoverMs, long peakBacklog, boolean sawDegraded,
                          boolean sawNormal, long lateSamePath, long lateAcrossPaths, String failedPhase, String failureDetail, String summary) {

    /** Exit code when nothing acknowledged was lost and every phase completed. */
    public static final int EXIT_OK = 0;
    /** Exit code when acknowledged messages were lost (takes precedence over {@link #EXIT_INCOMPLETE}). */
    public static final int EXIT_LOST = 1;
    /** Exit code when a phase did not complete within its bounded timeout. */
    public static final int EXIT_INCOMPLETE = 2;
    /** Exit code for bad command-line options. */
    public static final int EXIT_USAGE = 64;

    /** The phase that failed, if any. */
    public Optional<String> failure() {
        return Optional.ofNullable(failedPhase);
    }

    /** {@code RESULT sent=<n> acked=<n> lost=<n> duplicates=<n> order_violations=<n> degrade_ms=<n> recover_ms=<n>}. */
    public String resultLine() {
        return report.resultLine(degradeMs, recoverMs);
    }

    /** {@link #EXIT_LOST} if anything was lost, else {@link #EXIT_INCOMPLETE} if a phase failed, else {@link #EXIT_OK}. */
    public int exitCode() {
        if (!report.isClean()) {
            return EXIT_LOST;
        }
        return failedPhase == null ? EXIT_OK : EXIT_INCOMPLETE;
    }
}
