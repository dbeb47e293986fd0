package dev.smartmq.admin;

import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.redis.ShardBacklog;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code smartmq-admin backlog}: what waits in the fallback store, per group and optionally per shard: pending
 * (queued + in flight), delayed (held until due) and dead-lettered. Read-only. Not thread-safe; one command per run.
 */
@Command(name = "backlog", mixinStandardHelpOptions = true,
        description = {"Show the fallback backlog (Redis) of a topic: per consumer group pending = queued + in "
                + "flight, delayed (held until due, then queued) and dead-lettered; per shard with --shards.",
                "Without --group, the groups registered in ZooKeeper for the topic (needs --zk); messages sent while "
                        + "no group was registered are shown as 'unclaimed'."})
final class BacklogCommand extends AdminCommand {

    /** The store's reserved group of messages sent while no group was registered (mq-client-redis-fallback README). */
    static final String UNCLAIMED = "#unclaimed";

    @Option(names = "--topic", paramLabel = "<topic>", required = true, description = "The topic.")
    String topic;

    @Option(names = "--group", paramLabel = "<group>", description = "Only this consumer group.")
    String group;

    @Option(names = "--shards", description = "Also show every non-empty shard (JSON: every shard).")
    boolean perShard;

    BacklogCommand(AdminEnvironment env) {
        super(env);
    }

    @Override
    int execute() {
        checkName("--topic", topic);
        if (group != null) {
            checkName("--group", group);
        }
        List<String> groups = new ArrayList<>();
        Map<String, Integer> live = new LinkedHashMap<>();
        if (group != null) {
            groups.add(group);
        } else {
            if (!common.hasZk()) {
                throw AdminException.usage("--group <group>, or --zk to list the groups registered for the topic, "
                        + "is required");
            }
            try (ZkSession zk = zk()) {
                Set<String> registered = zk.groups(topic);
                groups.addAll(registered);
                for (String g : registered) {
                    live.put(g, zk.liveConsumers(topic, g));
                }
            }
        }
        List<Map<String, Object>> docs = new ArrayList<>();
        Map<String, Object> unclaimed;
        try (RedisFallbackStore store = common.openStore(env, err())) {
            for (String g : groups) {
                docs.add(groupDoc(g, store.backlogPerShard(topic, g), live.get(g)));
            }
            unclaimed = group == null ? groupDoc(UNCLAIMED, store.backlogPerShard(topic, UNCLAIMED), null) : null;
        }
        if (common.json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("namespace", common.namespace);
            doc.put("topic", topic);
            doc.put("shardCount", common.shards);
            doc.put("groups", docs);
            if (unclaimed != null) {
                unclaimed.remove("group");
                doc.put("unclaimed", unclaimed);
            }
            printJson(doc);
            return ExitCodes.OK;
        }
        if (docs.isEmpty()) {
            out().println("no consumer group is registered for topic " + topic + " in namespace " + common.namespace);
        }
        List<List<String>> rows = new ArrayList<>();
        for (Map<String, Object> d : docs) {
            rows.add(row(d));
        }
        if (unclaimed != null && ((Long) unclaimed.get("pending") > 0 || (Long) unclaimed.get("delayed") > 0
                || docs.isEmpty())) {
            Map<String, Object> u = new LinkedHashMap<>(unclaimed);
            u.put("group", "(unclaimed)");
            rows.add(row(u));
        }
        if (!rows.isEmpty()) {
            Views.printTable(out(), List.of("GROUP", "PENDING", "QUEUED", "IN-FLIGHT", "DELAYED", "DEAD-LETTERED",
                    "CONSUMERS"), rows);
        }
        if (perShard) {
            for (Map<String, Object> d : docs) {
                printShards(d);
            }
        }
        return ExitCodes.OK;
    }

    private Map<String, Object> groupDoc(String g, List<ShardBacklog> shards, Integer liveConsumers) {
        long queued = 0;
        long inFlight = 0;
        long dead = 0;
        long delayed = 0;
        for (ShardBacklog s : shards) {
            queued += s.queued();
            inFlight += s.inFlight();
            dead += s.deadLettered();
            delayed += s.delayed();
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("group", g);
        d.put("pending", queued + inFlight);
        d.put("queued", queued);
        d.put("inFlight", inFlight);
        d.put("delayed", delayed); // held until due, not in pending: a group with only these is not empty
        d.put("deadLettered", dead);
        if (liveConsumers != null) {
            d.put("liveConsumers", liveConsumers);
        }
        if (perShard) {
            List<Map<String, Object>> list = new ArrayList<>();
            for (ShardBacklog s : shards) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("shard", s.shard());
                m.put("pending", s.pending());
                m.put("queued", s.queued());
                m.put("inFlight", s.inFlight());
                m.put("delayed", s.delayed());
                m.put("deadLettered", s.deadLettered());
                list.add(m);
            }
            d.put("shards", list);
        }
        return d;
    }

    private static List<String> row(Map<String, Object> d) {
        Object consumers = d.get("liveConsumers");
        return List.of(String.valueOf(d.get("group")), String.valueOf(d.get("pending")), String.valueOf(d.get("queued")),
                String.valueOf(d.get("inFlight")), String.valueOf(d.get("delayed")), String.valueOf(d.get("deadLettered")),
                consumers == null ? "-" : consumers.toString());
    }

    @SuppressWarnings("unchecked")
    private void printShards(Map<String, Object> d) {
        List<Map<String, Object>> shards = (List<Map<String, Object>>) d.get("shards");
        List<List<String>> rows = new ArrayList<>();
        int empty = 0;
        for (Map<String, Object> s : shards) {
            if ((Long) s.get("pending") == 0 && (Long) s.get("deadLettered") == 0 && (Long) s.get("delayed") == 0) {
                empty++;
                continue;
            }
            rows.add(List.of(String.valueOf(s.get("shard")), String.valueOf(s.get("pending")),
                    String.valueOf(s.get("queued")), String.valueOf(s.get("inFlight")),
                    String.valueOf(s.get("delayed")), String.valueOf(s.get("deadLettered"))));
        }
        out().println();
        out().println("group " + d.get("group") + ": " + rows.size() + " non-empty shard(s), " + empty + " empty");
        if (!rows.isEmpty()) {
            Views.printTable(out(), List.of("SHARD", "PENDING", "QUEUED", "IN-FLIGHT", "DELAYED", "DEAD-LETTERED"), rows);
        }
    }
}
