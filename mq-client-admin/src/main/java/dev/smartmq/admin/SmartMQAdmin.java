package dev.smartmq.admin;

import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code smartmq-admin}: the operator's tool for a SmartMQ namespace — the degradation switch in ZooKeeper
 * (status, history, drills), the fallback backlog and the dead letters in Redis.
 *
 * <p>Exit codes are {@link ExitCodes}: 0 ok, 1 runtime failure, 2 usage, 3 access denied, 4 precondition
 * failed. Output goes to stdout (tables, or JSON with {@code --json}); errors and logs go to stderr. Secrets
 * come from files or environment variables only and are never printed.
 */
@Command(name = "smartmq-admin", mixinStandardHelpOptions = true, versionProvider = SmartMQAdmin.Version.class,
        description = "Operate a SmartMQ namespace: degradation switch (ZooKeeper), fallback backlog and dead letters (Redis).",
        subcommands = {SwitchCommand.class, BacklogCommand.class, DlqCommand.class, GroupsCommand.class,
                CommandLine.HelpCommand.class},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  ok", "  1  runtime failure (ZooKeeper/Redis/RocketMQ unreachable or failing)",
                "  2  bad arguments or usage", "  3  access denied (ZooKeeper ACL, Redis AUTH/ACL)",
                "  4  precondition failed (compare-and-set lost, state does not allow it, no such dead letter)",
                "", "Credentials: env SMARTMQ_ZK_AUTH or --zk-auth-file (user:password); env SMARTMQ_REDIS_PASSWORD "
                        + "or --redis-password-file. Never on the command line."})
public final class SmartMQAdmin implements Runnable {

    @Spec
    CommandSpec spec;

    SmartMQAdmin() {
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a command is required: switch, backlog, dlq or groups");
    }

    /** Runs the CLI and exits the JVM with its exit code. */
    public static void main(String[] args) {
        int code = newCommandLine(AdminEnvironment.system()).execute(args);
        System.exit(code);
    }

    /** A command line for {@code env}; call {@code setOut}/{@code setErr} on it to capture output (tests). */
    static CommandLine newCommandLine(AdminEnvironment env) {
        CommandLine cl = new CommandLine(new SmartMQAdmin(), new Factory(env));
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setUsageHelpAutoWidth(true);
        return cl;
    }

    /** Runs {@code args} with {@code env}, printing to {@code out}/{@code err}; returns the exit code. */
    static int run(AdminEnvironment env, PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = newCommandLine(env);
        cl.setOut(out);
        cl.setErr(err);
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** Creates commands, handing the environment to those that take it. */
    private static final class Factory implements CommandLine.IFactory {
        private final AdminEnvironment env;

        Factory(AdminEnvironment env) {
            this.env = env;
        }

        @Override
        public <K> K create(Class<K> cls) throws Exception {
            for (Constructor<?> c : cls.getDeclaredConstructors()) {
                Class<?>[] p = c.getParameterTypes();
                if (p.length == 1 && p[0] == AdminEnvironment.class) {
                    c.setAccessible(true);
                    return cls.cast(c.newInstance(env));
                }
            }
            return CommandLine.defaultFactory().create(cls);
        }
    }

    /** The version from the jar manifest, if any. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = SmartMQAdmin.class.getPackage().getImplementationVersion();
            return new String[] {"smartmq-admin " + (v == null ? "(development build)" : v)};
        }
    }
}
