package dev.smartmq.samples;

import dev.smartmq.api.ConfigurationException;
import java.io.PrintStream;

/**
 * Runs the order-payment drill from the command line and exits with its code (see {@link DrillResult}):
 * {@code ./mvnw -q -pl samples -am compile exec:java -Dexec.args="--rate 200 --duration 60s --fault broker-kill"}.
 * The last line printed is the machine-readable {@code RESULT ...} line.
 */
public final class DemoMain {

    private DemoMain() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        System.out.flush();
        // exec:java runs us inside Maven's JVM: only an explicit exit hands the drill's code to the shell (and no
        // library thread that outlived its close can keep the JVM alive). Everything is closed by now.
        System.exit(code);
    }

    /** Parses, runs and prints; returns the exit code instead of exiting. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        DrillOptions options;
        try {
            options = DrillOptions.parse(args);
        } catch (ConfigurationException e) {
            err.println("error: " + e.getMessage());
            err.println();
            err.println(DrillOptions.USAGE);
            return DrillResult.EXIT_USAGE;
        }
        if (options.help()) {
            out.println(DrillOptions.USAGE);
            return DrillResult.EXIT_OK;
        }
        DrillResult result = new OrderPaymentDrill(options, out).run();
        print(result, out);
        return result.exitCode();
    }

    /** The human summary, then the {@code RESULT} line as the very last line. */
    static void print(DrillResult result, PrintStream out) {
        out.println(result.summary());
        out.println(result.resultLine());
        out.flush();
    }
}
