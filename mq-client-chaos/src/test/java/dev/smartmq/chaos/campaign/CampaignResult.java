package dev.smartmq.chaos.campaign;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything one campaign concluded: the verdicts of every checker, the convergence figures, injector errors
 * known defects seen (reported, not failing, see {@link KnownDefects}) and where the report, histories and
 * timeline picture are. {@link #passed()} is what the test asserts.
 */
record CampaignResult(long seed, List<Verdict> verdicts, boolean converged, long convergeMillis,
                      List<String> leftBehind, List<String> knownDefects, List<String> injectorErrors, String table,
                      String line, Path outDir) {

    CampaignResult {
        verdicts = List.copyOf(verdicts);
        leftBehind = List.copyOf(leftBehind);
        knownDefects = List.copyOf(knownDefects);
        injectorErrors = List.copyOf(injectorErrors);
    }

    Verdict verdict(String checker) {
        return verdicts.stream().filter(v -> v.checker().equals(checker)).findFirst().orElseThrow();
    }

    boolean passed() {
        return converged && leftBehind.isEmpty() && injectorErrors.isEmpty() && verdicts.stream().allMatch(Verdict::ok);
    }
}
