package dev.smartmq.admin;

import dev.smartmq.api.Message;
import dev.smartmq.redis.RedisDeadLetters;
import dev.smartmq.redis.DeadLetter;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.redis.ShardBacklog;
import dev.smartmq.spi.Envelope;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code smartmq-admin dlq ...}: the per-group dead-letter lists of the fallback store (Redis). */
@Command(name = "dlq", mixinStandardHelpOptions = true,
        description = "Inspect, replay and purge the dead letters of a (topic, group) in the fallback store.",
        subcommands = {DlqCommand.ListLetters.class, DlqCommand.Show.class, DlqReplay.class, DlqCommand.Purge.class})
final class DlqCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required: list, show, replay or purge");
    }

    /** Options every dlq command takes. */
    abstract static class DlqBase extends AdminCommand {
        @Option(names = "--topic", paramLabel = "<topic>", required = true, description = "The topic.")
        String topic;

        @Option(names = "--group", paramLabel = "<group>", required = true, description = "The consumer group.")
        String group;

        DlqBase(AdminEnvironment env) {
            super(env);
        }

        void checkNames() {
            checkName("--topic", topic);
            checkName("--group", group);
        }

        long total(RedisFallbackStore store) {
            long n = 0;
            for (ShardBacklog s : store.backlogPerShard(topic, group)) {
                n += s.deadLettered();
            }
            return n;
        }

        DeadLetter find(RedisFallbackStore store, String id) {
            Optional<DeadLetter> d = RedisDeadLetters.of(store).find(topic, group, id);
            if (d.isEmpty()) {
                throw AdminException.precondition("no dead letter with id " + id + " for topic " + topic + ", group "
                        + group + " in namespace " + common.namespace);
            }
            return d.get();
        }
    }

    static Map<String, Object> letterDoc(DeadLetter d, boolean withBody) {
        Map<String, Object> m = new LinkedHashMap<>();
        Envelope e = d.envelope();
        m.put("id", e == null ? null : e.id());
        m.put("shard", d.shard());
        m.put("reason", d.reason());
        m.put("deadAt", d.deadAt().toString());
        m.put("consumerId", d.consumerId());
        m.put("attempts", e == null ? null : e.attempts());
        m.put("bornAt", e == null ? null : Instant.ofEpochMilli(e.bornTimestamp()).toString());
        m.put("key", e == null ? null : e.message().key());
        m.put("tags", e == null ? null : e.message().tags());
        m.put("properties", e == null ? null : e.message().properties());
        m.put("bodySize", e == null ? null : e.message().bodySize());
        m.put("rawSize", d.rawSize());
        m.put("decodeError", d.decodeError());
        if (withBody && e != null) {
            byte[] body = e.message().body();
            m.put("bodyBase64", Base64.getEncoder().encodeToString(body));
            m.put("bodyText", utf8(body));
        }
        return m;
    }

    /** The body as text if it is valid UTF-8, else {@code null}. */
    static String utf8(byte[] body) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------------------------------------ list

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List dead letters (shard by shard, oldest first within a shard). Bodies are not shown.")
    static final class ListLetters extends DlqBase {
        @Option(names = "--limit", paramLabel = "<n>", defaultValue = "50",
                description = "At most this many (default: ${DEFAULT-VALUE}).")
        int limit;

        ListLetters(AdminEnvironment env) {
            super(env);
        }

        @Override
        int execute() {
            checkNames();
            if (limit < 1 || limit > 100_000) {
                throw AdminException.usage("--limit must be between 1 and 100000, but was " + limit);
            }
            try (RedisFallbackStore store = common.openStore(env, err())) {
                long total = total(store);
                List<DeadLetter> letters = RedisDeadLetters.of(store).list(topic, group, limit);
                if (common.json) {
                    List<Map<String, Object>> list = new ArrayList<>();
                    letters.forEach(d -> list.add(letterDoc(d, false)));
                    Map<String, Object> doc = new LinkedHashMap<>();
                    doc.put("namespace", common.namespace);
                    doc.put("topic", topic);
                    doc.put("group", group);
                    doc.put("total", total);
                    doc.put("deadLetters", list);
                    printJson(doc);
                    return ExitCodes.OK;
                }
                if (letters.isEmpty()) {
                    out().println("no dead letters for topic " + topic + ", group " + group);
                    return ExitCodes.OK;
                }
                List<List<String>> rows = new ArrayList<>();
                for (DeadLetter d : letters) {
                    Envelope e = d.envelope();
                    rows.add(List.of(e == null ? "(corrupt)" : e.id(), Integer.toString(d.shard()), d.deadAt().toString(),
                            e == null ? "-" : Integer.toString(e.attempts()), Views.cell(e == null ? null : e.message().key(), 30),
                            e == null ? Integer.toString(d.rawSize()) : Integer.toString(e.message().bodySize()),
                            Views.cell(e == null ? d.decodeError() : d.reason(), 80)));
                }
                Views.printTable(out(), List.of("ID", "SHARD", "DEAD-AT", "ATTEMPTS", "KEY", "SIZE", "REASON"), rows);
                out().println();
                out().println("showing " + letters.size() + " of " + total + " dead letter(s)");
                return ExitCodes.OK;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ show

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Show one dead letter in full (exit 4 if there is none with that id).")
    static final class Show extends DlqBase {
        @Option(names = "--id", paramLabel = "<id>", required = true, description = "Message id.")
        String id;

        @Option(names = "--body", description = "Also print the body (it may hold personal data).")
        boolean body;

        Show(AdminEnvironment env) {
            super(env);
        }

        @Override
        int execute() {
            checkNames();
            try (RedisFallbackStore store = common.openStore(env, err())) {
                DeadLetter d = find(store, id);
                Map<String, Object> doc = letterDoc(d, body);
                if (common.json) {
                    Map<String, Object> wrapped = new LinkedHashMap<>();
                    wrapped.put("namespace", common.namespace);
                    wrapped.put("topic", topic);
                    wrapped.put("group", group);
                    wrapped.putAll(doc);
                    printJson(wrapped);
                    return ExitCodes.OK;
                }
                List<String[]> rows = new ArrayList<>();
                rows.add(new String[] {"topic", topic});
                rows.add(new String[] {"group", group});
                doc.forEach((k, v) -> {
                    if (!"bodyBase64".equals(k) && !"bodyText".equals(k)) {
                        rows.add(new String[] {k, v == null ? "-" : v.toString()});
                    }
                });
                Views.printKeyValues(out(), rows);
                if (body && d.envelope() != null) {
                    out().println();
                    Object text = doc.get("bodyText");
                    out().println(text != null ? "body (UTF-8):" : "body (base64):");
                    out().println(text != null ? text : doc.get("bodyBase64"));
                }
                return ExitCodes.OK;
            }
        }
    }

    // ----------------------------------------------------------------------------------------------- purge

    @Command(name = "purge", mixinStandardHelpOptions = true,
            description = "Delete the dead letters of (topic, group), or only --id. Requires --yes.")
    static final class Purge extends DlqBase {
        @Option(names = "--id", paramLabel = "<id>", description = "Only this message id (exit 4 if absent).")
        String id;

        @Option(names = "--yes", description = "Really delete (without it nothing is deleted, exit 2).")
        boolean yes;

        Purge(AdminEnvironment env) {
            super(env);
        }

        @Override
        int execute() {
            checkNames();
            if (!yes) {
                throw AdminException.usage("purge deletes dead letters for good: add --yes to confirm");
            }
            try (RedisFallbackStore store = common.openStore(env, err())) {
                long deleted;
                if (id != null) {
                    find(store, id);
                    if (!RedisDeadLetters.of(store).remove(topic, group, id)) {
                        throw AdminException.precondition("the dead letter " + id + " disappeared while purging "
                                + "(replayed or purged by someone else)");
                    }
                    deleted = 1;
                } else {
                    deleted = RedisDeadLetters.of(store).purge(topic, group);
                }
                if (common.json) {
                    Map<String, Object> doc = new LinkedHashMap<>();
                    doc.put("namespace", common.namespace);
                    doc.put("topic", topic);
                    doc.put("group", group);
                    doc.put("deleted", deleted);
                    printJson(doc);
                } else {
                    out().println("deleted " + deleted + " dead letter(s) of topic " + topic + ", group " + group);
                }
                return ExitCodes.OK;
            }
        }
    }

    /** The message a replay sends: the dead letter's, marked with the original id. */
    static Message replayMessage(Envelope e) {
        return e.message().toBuilder().property(DlqReplay.REPLAY_OF_PROPERTY, e.id()).build();
    }
}
