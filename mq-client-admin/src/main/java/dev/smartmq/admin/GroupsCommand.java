package dev.smartmq.admin;

import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.rocketmq.MigrationGuard;
import dev.smartmq.rocketmq.RocketMQTransport;
import java.time.Duration;
import java.util.TreeMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code smartmq-admin groups list|remove}: the consumer-group registry in ZooKeeper, with each group's live
 * consumers and (with Redis) its fallback backlog and delayed messages; removal of an abandoned group (issue 12). Not thread-safe;
 * one command per JVM run.
 */
@Command(name = "groups", mixinStandardHelpOptions = true,
        description = "List the consumer groups registered in ZooKeeper, or remove an abandoned one.",
        subcommands = {GroupsCommand.ListGroups.class, GroupsCommand.Remove.class})
final class GroupsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required: list or remove");
    }

    /** {@code groups list}: every (topic, group), its live consumers and, with --redis, its backlog. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List the registered consumer groups: live consumers per group, and with --redis the "
                    + "fallback backlog (pending = queued + in flight), delayed messages (held until due) and dead "
                    + "letters.",
                    "A group with 0 live consumers and a backlog is what holds a recovery: see 'groups remove'.",
                    "With --namesrv also the consumer groups the brokers know for those topics that are NOT "
                            + "registered (raw RocketMQ consumers: they never see what is sent while degraded)."})
    static final class ListGroups extends AdminCommand {
        @Option(names = "--topic", paramLabel = "<topic>", description = "Only this topic.")
        String topic;

        @Option(names = "--namesrv", paramLabel = "<host:port[;host:port]>", description = "RocketMQ name server: "
                + "also list the broker-side consumer groups of each topic that are not registered with SmartMQ.")
        String namesrv;

        ListGroups(AdminEnvironment env) {
            super(env);
        }

        @Override
        int execute() {
            if (topic != null) {
                checkName("--topic", topic);
            }
            common.requireZk();
            Map<String, Set<String>> registry;
            List<Map<String, Object>> docs = new ArrayList<>();
            try (ZkSession zk = zk()) {
                registry = topic == null ? zk.registry() : Map.of(topic, zk.groups(topic));
                registry.forEach((t, groups) -> {
                    for (String g : groups) {
                        Map<String, Object> d = new LinkedHashMap<>();
                        d.put("topic", t);
                        d.put("group", g);
                        d.put("liveConsumers", zk.liveConsumers(t, g));
                        docs.add(d);
                    }
                });
            }
            if (common.hasRedis()) {
                try (RedisFallbackStore store = common.openStore(env, err())) {
                    for (Map<String, Object> d : docs) {
                        String t = (String) d.get("topic");
                        String g = (String) d.get("group");
                        if (!validName(t) || !validName(g)) {
                            d.put("invalidName", true);
                            continue;
                        }
                        long pending = 0;
                        long dead = 0;
                        long delayed = 0;
                        for (var s : store.backlogPerShard(t, g)) {
                            pending += s.pending();
                            dead += s.deadLettered();
                            delayed += s.delayed();
                        }
                        d.put("pending", pending);
                        d.put("delayed", delayed); // held until due: a group with only these is not empty
                        d.put("deadLettered", dead);
                    }
                }
            }
            Map<String, Set<String>> unregistered = namesrv == null ? null : unregistered(registry);
            int unregisteredCount = 0;
            if (unregistered != null) {
                for (Map<String, Object> d : docs) {
                    d.put("registered", true);
                }
                for (Map.Entry<String, Set<String>> e : unregistered.entrySet()) {
                    for (String g : e.getValue()) {
                        Map<String, Object> d = new LinkedHashMap<>();
                        d.put("topic", e.getKey());
                        d.put("group", g);
                        d.put("registered", false);
                        docs.add(d);
                        unregisteredCount++;
                    }
                }
            }
            if (common.json) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("namespace", common.namespace);
                doc.put("groups", docs);
                if (unregistered != null) {
                    doc.put("unregisteredBrokerGroups", unregisteredCount);
                }
                printJson(doc);
                return ExitCodes.OK;
            }
            if (docs.isEmpty()) {
                out().println("no consumer group is registered in namespace " + common.namespace
                        + (topic == null ? "" : " for topic " + topic));
                return ExitCodes.OK;
            }
            List<List<String>> rows = new ArrayList<>();
            for (Map<String, Object> d : docs) {
                List<String> row = new ArrayList<>(List.of(String.valueOf(d.get("topic")),
                        String.valueOf(d.get("group")),
                        d.containsKey("liveConsumers") ? String.valueOf(d.get("liveConsumers")) : "-",
                        d.containsKey("pending") ? String.valueOf(d.get("pending")) : "-",
                        d.containsKey("delayed") ? String.valueOf(d.get("delayed")) : "-",
                        d.containsKey("deadLettered") ? String.valueOf(d.get("deadLettered")) : "-"));
                if (unregistered != null) {
                    row.add(Boolean.TRUE.equals(d.get("registered")) ? "yes" : "NO (broker only)");
                }
                rows.add(row);
            }
            List<String> header = new ArrayList<>(List.of("TOPIC", "GROUP", "CONSUMERS", "PENDING", "DELAYED",
                    "DEAD-LETTERED"));
            if (unregistered != null) {
                header.add("REGISTERED");
            }
            Views.printTable(out(), header, rows);
            if (unregisteredCount > 0) {
                out().println("WARNING: " + unregisteredCount + " consumer group(s) read a topic on the broker but are"
                        + " not registered with SmartMQ: they will NOT get what is sent while the MQ is degraded."
                        + " Move them to SmartMQ before the topic's producers.");
            }
            return ExitCodes.OK;
        }

        /** Per topic of {@code registry} (or --topic), the broker-side groups the registry does not know. */
        private Map<String, Set<String>> unregistered(Map<String, Set<String>> registry) {
            if (namesrv.isBlank()) {
                throw AdminException.usage("--namesrv must not be blank");
            }
            Duration timeout = common.timeout.compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30)
                    : common.timeout;
            RocketMQTransport.Builder tb = RocketMQTransport.builder().nameServer(namesrv)
                    .producerGroup("smartmq-admin-groups").nameServerTimeout(timeout);
            String accessKey = env.get(AdminEnvironment.ROCKETMQ_ACCESS_KEY_ENV);
            String secretKey = env.get(AdminEnvironment.ROCKETMQ_SECRET_KEY_ENV);
            if ((accessKey == null) != (secretKey == null)) {
                throw AdminException.usage("set both " + AdminEnvironment.ROCKETMQ_ACCESS_KEY_ENV + " and "
                        + AdminEnvironment.ROCKETMQ_SECRET_KEY_ENV + ", or neither");
            }
            if (accessKey != null) {
                tb.aclCredentials(accessKey, secretKey);
            }
            Map<String, Set<String>> result = new TreeMap<>();
            try (RocketMQTransport transport = tb.build()) {
                transport.start();
                for (Map.Entry<String, Set<String>> e : registry.entrySet()) {
                    Set<String> missing = MigrationGuard.unregisteredOf(
                            transport.brokerConsumerGroups(e.getKey(), timeout), e.getValue());
                    if (!missing.isEmpty()) {
                        result.put(e.getKey(), missing);
                    }
                }
            }
            return result;
        }

        private static boolean validName(String s) {
            return s != null && s.matches("[A-Za-z0-9_-]{1,127}");
        }
    }

    /** {@code groups remove}: deletes an abandoned group's record, and with --purge its fallback data. */
    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = {"Remove a consumer group that is gone for good: its record in ZooKeeper (so fallback "
                    + "sends stop writing for it and it no longer holds a recovery), and with --purge its fallback "
                    + "messages (delayed ones too) and dead letters in Redis.",
                    "Refused (exit 4) while the group has a live consumer. Needs the writer identity (--zk-auth-file)."})
    static final class Remove extends AdminCommand {
        @Option(names = "--topic", paramLabel = "<topic>", required = true, description = "The topic.")
        String topic;

        @Option(names = "--group", paramLabel = "<group>", required = true, description = "The consumer group.")
        String group;

        @Option(names = "--purge", description = "Also delete the group's fallback messages and dead letters (needs "
                + "--redis); without it they stay in Redis.")
        boolean purge;

        Remove(AdminEnvironment env) {
            super(env);
        }

        @Override
        int execute() {
            checkName("--topic", topic);
            checkName("--group", group);
            common.requireZk();
            if (purge && !common.hasRedis()) {
                throw AdminException.usage("--purge needs --redis or --redis-cluster");
            }
            boolean removed;
            try (ZkSession zk = zk()) {
                int live = zk.liveConsumers(topic, group);
                if (live > 0) {
                    throw AdminException.precondition("group " + group + " of topic " + topic + " has " + live
                            + " live consumer(s): it is not abandoned; not removed");
                }
                removed = zk.removeGroup(topic, group);
            }
            Long purged = null;
            Long left = null;
            Long delayedLeft = null;
            if (common.hasRedis()) {
                try (RedisFallbackStore store = common.openStore(env, err())) {
                    if (purge) {
                        purged = store.deleteGroup(topic, group);
                    } else {
                        left = store.backlog(topic, group);
                        delayedLeft = store.delayedBacklog(topic, group);
                    }
                }
            }
            if (common.json) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("namespace", common.namespace);
                doc.put("topic", topic);
                doc.put("group", group);
                doc.put("removed", removed);
                if (purged != null) {
                    doc.put("purgedMessages", purged);
                }
                if (left != null) {
                    doc.put("pendingLeftInRedis", left);
                    doc.put("delayedLeftInRedis", delayedLeft);
                }
                printJson(doc);
            } else {
                out().println(removed ? "removed group " + group + " of topic " + topic + " from the registry"
                        : "group " + group + " of topic " + topic + " was not registered");
                if (purged != null) {
                    out().println("deleted " + purged + " fallback messages (queued, in flight, delayed) and dead "
                            + "letters of the group from Redis");
                }
                if (left != null && left + delayedLeft > 0) {
                    out().println("WARNING: " + (left + delayedLeft) + " fallback messages of the group stay in Redis ("
                            + (delayedLeft > 0 ? delayedLeft + " of them delayed until due; " : "")
                            + "use --purge to delete them)");
                }
            }
            return removed || purged != null ? ExitCodes.OK : ExitCodes.PRECONDITION_FAILED;
        }
    }
}
