package dev.smartmq.admin;

import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.spi.SwitchTransition;
import dev.smartmq.spi.TransitionResult;
import dev.smartmq.core.SwitchOperator;
import dev.smartmq.spi.SwitchStore;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code smartmq-admin switch ...}: the degradation switch of a namespace in ZooKeeper. */
@Command(name = "switch", mixinStandardHelpOptions = true,
        description = "Show, list and change the degradation switch of a namespace (ZooKeeper).",
        subcommands = {SwitchCommand.Status.class, SwitchCommand.History.class, SwitchCommand.Degrade.class,
                SwitchCommand.Restore.class})
final class SwitchCommand implements Runnable {

    /** Longest drill the CLI accepts: a forgotten drill must end on its own. */
    static final Duration MAX_TTL = Duration.ofDays(7);

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "a subcommand is required: status, history, degrade or restore");
    }

    // ---------------------------------------------------------------------------------------------- status

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show the switch: state, mode, reason, changedBy, changedAt, expiresAt, epoch, reachable.")
    static final class Status extends AdminCommand {
        Status(AdminEnvironment env) {
            super(env);
        }

        @Override
        int execute() {
            try (ZkSession zk = zk()) {
                boolean initialized = zk.namespaceExists();
                SwitchStatus s = initialized ? zk.zkSwitch().current() : SwitchStatus.initial();
                Instant now = env.clock().instant();
                if (common.json) {
                    Map<String, Object> doc = new LinkedHashMap<>();
                    doc.put("namespace", common.namespace);
                    doc.putAll(Views.status(s, now));
                    doc.put("reachable", true);
                    doc.put("initialized", initialized);
                    printJson(doc);
                } else {
                    Map<String, Object> extra = new LinkedHashMap<>();
                    extra.put("reachable", true);
                    if (!initialized) {
                        extra.put("initialized", "false (no SmartMQ instance has used this namespace yet)");
                    }
                    Views.printStatus(out(), common.namespace, s, now, extra);
                }
                return ExitCodes.OK;
            }
        }
    }

    // --------------------------------------------------------------------------------------------- history

    @Command(name = "history", mixinStandardHelpOptions = true,
            description = "List the most recent switch transitions, newest first.")
    static final class History extends AdminCommand {
        @Option(names = "--limit", paramLabel = "<n>", defaultValue = "20",
                description = "How many transitions (default: ${DEFAULT-VALUE}; the switch keeps its last 100 by default).")
        int limit;

        History(AdminEnvironment env) {
            super(env);
        }

        @Override
        int execute() {
            if (limit < 1 || limit > 10_000) {
                throw AdminException.usage("--limit must be between 1 and 10000, but was " + limit);
            }
            try (ZkSession zk = zk()) {
                List<SwitchStatus> entries = zk.namespaceExists() ? zk.zkSwitch().history(limit) : List.of();
                Instant now = env.clock().instant();
                if (common.json) {
                    List<Map<String, Object>> list = new ArrayList<>();
                    for (SwitchStatus s : entries) {
                        Map<String, Object> m = Views.status(s, now);
                        m.remove("manualExpired");
                        list.add(m);
                    }
                    Map<String, Object> doc = new LinkedHashMap<>();
                    doc.put("namespace", common.namespace);
                    doc.put("transitions", list);
                    printJson(doc);
                } else if (entries.isEmpty()) {
                    out().println("no transitions recorded for namespace " + common.namespace);
                } else {
                    List<List<String>> rows = new ArrayList<>();
                    for (SwitchStatus s : entries) {
                        rows.add(List.of(Long.toString(s.epoch()), s.changedAt().toString(), s.state().name(),
                                s.mode().name(), Views.cell(s.changedBy(), 40),
                                s.expiresAt() == null ? "-" : s.expiresAt().toString(), Views.cell(s.reason(), 80)));
                    }
                    Views.printTable(out(), List.of("EPOCH", "CHANGED-AT", "STATE", "MODE", "CHANGED-BY",
                            "EXPIRES-AT", "REASON"), rows);
                }
                return ExitCodes.OK;
            }
        }
    }

    // ------------------------------------------------------------------------------------- degrade/restore

    /** What degrade and restore share: reason, operator, the CAS and its report. */
    abstract static class Change extends AdminCommand {
        @Option(names = "--reason", paramLabel = "<text>", required = true,
                description = "Why (stored in the switch and its history; never put a secret here).")
        String reason;

        @Option(names = "--operator", paramLabel = "<name>",
                description = "Who is acting (default: $USER@host).")
        String operator;

        @Option(names = "--expect-epoch", paramLabel = "<epoch>",
                description = "Compare-and-set from this epoch (as shown by 'switch status') instead of the epoch "
                        + "read now; exit 4 if the switch moved since.")
        Long expectEpoch;

        Change(AdminEnvironment env) {
            super(env);
        }

        String actor() {
            String name = operator;
            if (name == null) {
                String user = env.get("USER");
                if (user == null) {
                    user = System.getProperty("user.name", "unknown");
                }
                name = user + "@" + env.host();
            }
            if (name.isBlank() || name.length() > 200) {
                throw AdminException.usage("--operator must be 1-200 characters, but was '" + name + "'");
            }
            return name;
        }

        void checkReason() {
            if (reason == null || reason.isBlank()) {
                throw AdminException.usage("--reason must not be blank: say why the switch is changed");
            }
            if (reason.length() > 500) {
                throw AdminException.usage("--reason must be at most 500 characters, but was " + reason.length());
            }
        }

        /** The switch, warning first if this command is about to create the namespace with an open ACL. */
        SwitchStore openSwitch(ZkSession zk) {
            if (common.zkWriters.isEmpty() && !zk.namespaceExists()) {
                err().println("warning: namespace " + common.namespace + " does not exist yet: creating its nodes "
                        + "with an OPEN ACL (any client may change the switch). Pass the services' --zk-writer list, "
                        + "or let the services create the namespace first.");
            }
            return zk.zkSwitch();
        }

        int apply(SwitchStore sw, SwitchStatus before, SwitchState target, SwitchMode mode,
                  Instant expiresAt, String hint) {
            long expected = expectEpoch != null ? expectEpoch : before.epoch();
            TransitionResult r = sw.transition(new SwitchTransition(expected, target, mode, reason.strip(), actor(),
                    expiresAt));
            Instant now = env.clock().instant();
            if (!r.applied()) {
                SwitchStatus cur = r.current();
                throw AdminException.precondition("compare-and-set lost: expected epoch " + expected
                        + " but the switch is " + cur.state() + "/" + cur.mode() + " at epoch " + cur.epoch()
                        + " (changed by " + (cur.changedBy().isEmpty() ? "-" : cur.changedBy()) + "); nothing "
                        + "changed. Check 'switch status' and retry.");
            }
            report(true, before, r.current(), now, hint);
            return ExitCodes.OK;
        }

        /** Runs an operator call, mapping a lost race to exit 4 and bad input to exit 2. */
        SwitchOperator.Outcome operate(java.util.function.Supplier<SwitchOperator.Outcome> call) {
            try {
                return call.get();
            } catch (IllegalStateException e) {
                throw AdminException.precondition(e.getMessage() + ". Check 'switch status' and retry.");
            } catch (IllegalArgumentException e) {
                throw AdminException.usage(e.getMessage());
            }
        }

        void report(boolean applied, SwitchStatus before, SwitchStatus after, Instant now, String hint) {
            if (common.json) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("namespace", common.namespace);
                doc.put("applied", applied);
                doc.put("previous", Views.status(before, now));
                doc.put("current", Views.status(after, now));
                doc.put("hint", hint);
                printJson(doc);
            } else {
                out().println(applied
                        ? "switch of namespace " + common.namespace + ": " + before.state() + "/" + before.mode()
                            + " (epoch " + before.epoch() + ") -> " + after.state() + "/" + after.mode()
                            + " (epoch " + after.epoch() + ")"
                        : "switch of namespace " + common.namespace + " unchanged");
                Views.printStatus(out(), common.namespace, after, now, Map.of());
                if (hint != null) {
                    out().println();
                    out().println(hint);
                }
            }
        }
    }

    @Command(name = "degrade", mixinStandardHelpOptions = true,
            description = {"Start a drill: MANUAL DEGRADED until now + --ttl (compare-and-set from the current epoch).",
                    "Producers send to the fallback store, consumers drain it; the SDK never reverts a MANUAL state "
                            + "before it expires. At expiry the SDK leader moves it to RECOVERING (AUTO)."})
    static final class Degrade extends Change {
        @Option(names = "--ttl", paramLabel = "<duration>", defaultValue = "30m", converter = Durations.class,
                description = "How long the drill lasts, e.g. 30m, 2h (default: ${DEFAULT-VALUE}, at most 7d).")
        Duration ttl;

        Degrade(AdminEnvironment env) {
            super(env);
        }

        @Override
        int execute() {
            checkReason();
            if (ttl.isNegative() || ttl.compareTo(Duration.ofSeconds(1)) < 0 || ttl.compareTo(MAX_TTL) > 0) {
                throw AdminException.usage("--ttl must be between 1s and " + Durations.format(MAX_TTL) + ", but was "
                        + Durations.format(ttl));
            }
            actor();
            try (ZkSession zk = zk()) {
                SwitchStore sw = openSwitch(zk);
                SwitchStatus before = sw.current();
                Instant expiresAt = env.clock().instant().plus(ttl).truncatedTo(ChronoUnit.SECONDS);
                if (expectEpoch == null) {
                    // The same call as SmartMQ.operator().degrade(...): epochs handled inside.
                    SwitchOperator.Outcome o = operate(() -> SwitchOperator.of(sw, env.clock())
                            .degrade(reason, ttl, actor()));
                    report(true, o.previous(), o.current(), env.clock().instant(), hint(o.current().expiresAt()));
                    return ExitCodes.OK;
                }
                return apply(sw, before, SwitchState.DEGRADED, SwitchMode.MANUAL, expiresAt, hint(expiresAt));
            }
        }

        private static String hint(Instant expiresAt) {
            return "Drill running until " + expiresAt + ". Watch 'smartmq-admin status' or "
                    + "'smartmq-admin backlog --topic <T>'; end it early with 'smartmq-admin switch restore --reason ...'.";
        }
    }

    @Command(name = "restore", mixinStandardHelpOptions = true,
            description = {"End a drill: hand the switch back to the SDK as RECOVERING (AUTO).",
                    "Producers return to the MQ at once; consumers drain the fallback backlog, and the SDK leader "
                            + "moves the switch to NORMAL when every group's backlog is empty. If the MQ is in fact "
                            + "down, the SDK degrades again on its own (AUTO).",
                    "A MANUAL state other than DEGRADED is handed back to AUTO unchanged. An AUTO DEGRADED switch "
                            + "(a real outage) needs --force. NORMAL/RECOVERING in AUTO: nothing to do (exit 0)."})
    static final class Restore extends Change {
        private static final String RECOVERING_HINT = "Producers are back on the MQ; consumers drain the fallback "
                + "store and the SDK leader moves the switch to NORMAL when the backlog is empty. Watch "
                + "'smartmq-admin status' (it warns when no instance leads: then nobody finishes RECOVERING).";
        @Option(names = "--force", description = "Also restore an AUTO DEGRADED switch (the SDK detected an outage "
                + "and its prober has not seen the MQ healthy yet).")
        boolean force;

        Restore(AdminEnvironment env) {
            super(env);
        }

        @Override
        int execute() {
            checkReason();
            actor();
            try (ZkSession zk = zk()) {
                SwitchStore sw = openSwitch(zk);
                SwitchStatus before = sw.current();
                Instant now = env.clock().instant();
                if (before.state() == SwitchState.DEGRADED) {
                    if (before.mode() == SwitchMode.AUTO && !force) {
                        throw AdminException.precondition("the switch is DEGRADED in AUTO mode (epoch "
                                + before.epoch() + ", by " + before.changedBy() + ": " + before.reason()
                                + "): the SDK detected an outage and its prober recovers it when the MQ is healthy. "
                                + "Use --force to move it to RECOVERING anyway.");
                    }
                }
                if (expectEpoch == null) {
                    // The same call as SmartMQ.operator().restore(...): epochs handled inside.
                    SwitchOperator.Outcome o = operate(() -> SwitchOperator.of(sw, env.clock())
                            .restore(reason, actor(), force));
                    if (o.applied()) {
                        report(true, o.previous(), o.current(), env.clock().instant(),
                                o.current().state() == SwitchState.RECOVERING ? RECOVERING_HINT
                                        : "The switch is back under the SDK's control.");
                        return ExitCodes.OK;
                    }
                    before = o.current();
                } else if (before.state() == SwitchState.DEGRADED) {
                    return apply(sw, before, SwitchState.RECOVERING, SwitchMode.AUTO, null, RECOVERING_HINT);
                } else if (before.mode() == SwitchMode.MANUAL) {
                    return apply(sw, before, before.state(), SwitchMode.AUTO, null,
                            "The switch is back under the SDK's control.");
                }
                if (common.json) {
                    report(false, before, before, now, "nothing to restore: the switch is " + before.state() + " (AUTO)");
                } else {
                    out().println("nothing to restore: the switch of namespace " + common.namespace + " is "
                            + before.state() + " (AUTO, epoch " + before.epoch() + ")");
                }
                return ExitCodes.OK;
            }
        }
    }
}
