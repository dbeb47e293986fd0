package dev.smartmq.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.spi.SwitchAccessDeniedException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.apache.zookeeper.KeeperException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import redis.clients.jedis.exceptions.JedisAccessControlException;

/**
 * Base of every leaf command: common options, and the one place where failures become a message on stderr
 * (plus a JSON error document on stdout with {@code --json}) and an {@link ExitCodes exit code}. Stack traces
 * only with {@code --verbose}.
 */
abstract class AdminCommand implements Callable<Integer> {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,127}");

    final AdminEnvironment env;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    AdminCommand(AdminEnvironment env) {
        this.env = env;
    }

    /** Does the work and returns the exit code; throws {@link AdminException} or library exceptions. */
    abstract int execute() throws Exception;

    @Override
    public final Integer call() {
        if (common.verbose) {
            Logging.verbose();
        }
        try {
            common.validate();
            return execute();
        } catch (Exception e) {
            int code = exitCodeFor(e);
            String message = messageFor(e);
            err().println("smartmq-admin: " + message);
            if (common.verbose) {
                e.printStackTrace(err());
            }
            if (common.json) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("error", message);
                doc.put("exitCode", code);
                printJson(doc);
            }
            return code;
        } finally {
            out().flush();
            err().flush();
        }
    }

    static int exitCodeFor(Throwable e) {
        if (e instanceof AdminException a) {
            return a.exitCode();
        }
        if (e instanceof ConfigurationException || e instanceof InvalidMessageException) {
            return ExitCodes.USAGE;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SwitchAccessDeniedException || t instanceof JedisAccessControlException
                    || t instanceof KeeperException.NoAuthException) {
                return ExitCodes.ACCESS_DENIED;
            }
            String m = t.getMessage();
            if (m != null && (m.contains("WRONGPASS") || m.contains("NOAUTH") || m.contains("NOPERM"))) {
                return ExitCodes.ACCESS_DENIED;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return ExitCodes.FAILURE;
    }

    private static String messageFor(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            m = e.getClass().getSimpleName();
        }
        if (exitCodeFor(e) == ExitCodes.ACCESS_DENIED && !(e instanceof AdminException)) {
            m = "access denied: " + m;
        }
        return m;
    }

    // --------------------------------------------------------------------------------------------- output

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    void printJson(Object doc) {
        try {
            out().println(MAPPER.writeValueAsString(doc));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write JSON", e);
        }
    }

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    // ------------------------------------------------------------------------------------------ helpers

    static void checkName(String option, String value) {
        if (value == null || !NAME.matcher(value).matches()) {
            throw AdminException.usage(option + " must be 1-127 characters of [A-Za-z0-9_-], but was '" + value + "'");
        }
    }

    ZkSession zk() {
        return ZkSession.connect(common, common.zkAuth(env, err()));
    }
}
