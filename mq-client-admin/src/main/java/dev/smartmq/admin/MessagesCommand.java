package dev.smartmq.admin;

import dev.smartmq.redis.internal.DeadLetterCodec;
import dev.smartmq.redis.internal.DelayedKeys;
import dev.smartmq.redis.internal.EnvelopeAuth;
import dev.smartmq.redis.internal.EnvelopeCodec;
import dev.smartmq.redis.internal.EnvelopeFormatException;
import dev.smartmq.redis.internal.KeyLayout;
import dev.smartmq.redis.internal.ShardRouter;
import dev.smartmq.spi.Envelope;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.resps.Tuple;

/** {@code smartmq-admin messages}: messages on the Redis path. */
@Command(name = "messages", mixinStandardHelpOptions = true,
        description = "Messages on the Redis (fallback) path.",
        subcommands = {MessagesCommand.Find.class})
final class MessagesCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: find");
    }

    /**
     * {@code messages find --topic T (--id ID | --key K)}: where a message is on the Redis path — delayed (held
     * until its due time), queued (shard, position from the head), in flight (consumer), dead-lettered (reason) — for
     * every group of the topic and the unclaimed messages, or "not in Redis". Reads pages of {@value #PAGE} values
     * (ZSCAN, LRANGE, HSCAN), never a whole shard; by key only the key's shard is read. Values that fail to decode or authenticate are counted, never
     * shown as the message. Read-only. Thread rules: a command runs on picocli's thread.
     */
    @Command(name = "find", mixinStandardHelpOptions = true,
            description = {"Where a message is on the Redis path: delayed (due time), queued (shard, position), "
                    + "in flight (consumer), dead-lettered (reason), or not in Redis (exit 4). Groups come from --group, or from the "
                    + "ZooKeeper registry with --zk (plus the unclaimed messages).",
                    "Reads pages of " + Find.PAGE + " values, never a whole shard; with --key only the key's shard."})
    static final class Find extends AdminCommand {
        static final int PAGE = 200;

        @Option(names = "--topic", required = true, paramLabel = "<topic>")
        String topic;

        @Option(names = "--group", paramLabel = "<group>", description = "Only this group.")
        String group;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Target target;

        static final class Target {
            @Option(names = "--id", paramLabel = "<id>", description = "The SmartMQ message id.")
            String id;

            @Option(names = "--key", paramLabel = "<key>", description = "The message key (every message with it).")
            String key;
        }

        @Option(names = "--max-scan", paramLabel = "<n>", defaultValue = "1000000",
                description = "Give up after reading this many values (default: ${DEFAULT-VALUE}).")
        long maxScan;

        Find(AdminEnvironment env) {
            super(env);
        }

        private long scanned;
        private long undecodable;

        @Override
        int execute() {
            checkName("--topic", topic);
            if (group != null) {
                checkName("--group", group);
            }
            if (target.id != null && (target.id.isBlank() || target.id.length() > 128)) {
                throw AdminException.usage("--id must be 1-128 characters");
            }
            if (target.key != null && (target.key.isEmpty() || target.key.length() > 1024)) {
                throw AdminException.usage("--key must be 1-1024 characters");
            }
            Set<String> groups = new LinkedHashSet<>();
            if (group != null) {
                groups.add(group);
            } else {
                if (!common.hasZk()) {
                    throw AdminException.usage("--group <group>, or --zk to use the groups registered for the topic, "
                            + "is required");
                }
                try (ZkSession zk = zk()) {
                    groups.addAll(zk.groups(topic));
                }
                groups.add(KeyLayout.UNCLAIMED_GROUP);
            }
            byte[] keyBytes = common.envelopeKey(env, err());
            EnvelopeAuth auth = keyBytes == null ? null : new EnvelopeAuth(keyBytes, common.namespace);
            KeyLayout layout = new KeyLayout(common.namespace, common.shards);
            DelayedKeys delayedKeys = new DelayedKeys(layout);
            List<Map<String, Object>> found = new ArrayList<>();
            try (UnifiedJedis jedis = jedis()) {
                for (String g : groups) {
                    int from = 0;
                    int to = common.shards - 1;
                    if (target.key != null) {
                        from = ShardRouter.shardForKey(target.key, common.shards);
                        to = from;
                    }
                    for (int s = from; s <= to; s++) {
                        KeyLayout.ShardKeys k = layout.shard(topic, g, s);
                        searchShard(jedis, k, delayedKeys.zset(k), auth, found);
                    }
                }
            }
            String label = target.id != null ? "id " + target.id : "key " + target.key;
            if (common.json) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("namespace", common.namespace);
                doc.put("topic", topic);
                doc.put(target.id != null ? "id" : "key", target.id != null ? target.id : target.key);
                doc.put("found", found);
                doc.put("scanned", scanned);
                doc.put("undecodable", undecodable);
                printJson(doc);
            } else if (found.isEmpty()) {
                out().println("not in Redis: no message with " + label + " delayed, queued, in flight or dead-lettered for "
                        + "topic " + topic + " (" + scanned + " values read" + (undecodable > 0 ? ", " + undecodable
                        + " undecodable" : "") + "); it was consumed, or went through the MQ");
            } else {
                List<List<String>> rows = new ArrayList<>();
                for (Map<String, Object> f : found) {
                    rows.add(List.of(String.valueOf(f.get("id")), String.valueOf(f.get("group")),
                            f.get("dueAt") == null ? String.valueOf(f.get("where"))
                                    : f.get("where") + " until " + f.get("dueAt"),
                            String.valueOf(f.get("shard")),
                            f.get("position") == null ? "-" : String.valueOf(f.get("position")),
                            f.get("consumer") == null ? "-" : String.valueOf(f.get("consumer")),
                            f.get("reason") == null ? "-" : Views.cell(String.valueOf(f.get("reason")), 60)));
                }
                Views.printTable(out(), List.of("ID", "GROUP", "WHERE", "SHARD", "POSITION", "CONSUMER", "REASON"),
                        rows);
            }
            return found.isEmpty() ? ExitCodes.PRECONDITION_FAILED : ExitCodes.OK;
        }

        private void searchShard(UnifiedJedis jedis, KeyLayout.ShardKeys k, byte[] delayedSet, EnvelopeAuth auth,
                                 List<Map<String, Object>> found) {
            // Read in the order a value moves (delayed set -> queue -> in flight -> dead letters), so one that moves
            // during the search is seen again further on rather than missed.
            // delayed: ZSCAN pages of the shard's delayed set; score = due time (epoch ms)
            String zcursor = ScanParams.SCAN_POINTER_START;
            do {
                ScanResult<Tuple> r = jedis.zscan(delayedSet, zcursor.getBytes(StandardCharsets.UTF_8),
                        new ScanParams().count(PAGE));
                for (Tuple t : r.getResult()) {
                    Envelope e = decode(t.getBinaryElement(), auth);
                    if (matches(e)) {
                        Map<String, Object> m = location(e, k, "delayed", null, null, null);
                        m.put("dueAt", java.time.Instant.ofEpochMilli((long) t.getScore()).toString());
                        found.add(m);
                    }
                }
                zcursor = r.getCursor();
            } while (!"0".equals(zcursor) && !budgetSpent());
            // queued: pages from the head; position = index from the head (the next to be claimed is 0)
            for (long start = 0; ; start += PAGE) {
                List<byte[]> page = jedis.lrange(k.queue(), start, start + PAGE - 1);
                for (int i = 0; i < page.size(); i++) {
                    Envelope e = decode(page.get(i), auth);
                    if (matches(e)) {
                        found.add(location(e, k, "queued", start + i, null, null));
                    }
                }
                if (page.size() < PAGE || budgetSpent()) {
                    break;
                }
            }
            // in flight: HSCAN pages; field = seq|claimToken|consumerId
            String cursor = ScanParams.SCAN_POINTER_START;
            do {
                ScanResult<Map.Entry<byte[], byte[]>> r = jedis.hscan(k.inFlight(),
                        cursor.getBytes(StandardCharsets.UTF_8), new ScanParams().count(PAGE));
                for (Map.Entry<byte[], byte[]> entry : r.getResult()) {
                    Envelope e = decode(entry.getValue(), auth);
                    if (matches(e)) {
                        String field = new String(entry.getKey(), StandardCharsets.UTF_8);
                        int bar = field.lastIndexOf('|');
                        found.add(location(e, k, "inFlight", null, bar >= 0 ? field.substring(bar + 1) : field, null));
                    }
                }
                cursor = r.getCursor();
            } while (!"0".equals(cursor) && !budgetSpent());
            // dead letters: pages
            for (long start = 0; ; start += PAGE) {
                List<byte[]> page = jedis.lrange(k.deadLetters(), start, start + PAGE - 1);
                for (int i = 0; i < page.size(); i++) {
                    DeadLetterCodec.Record rec;
                    try {
                        rec = DeadLetterCodec.decode(page.get(i));
                    } catch (RuntimeException ex) {
                        undecodable++;
                        continue;
                    }
                    Envelope e = decode(rec.raw(), auth);
                    if (matches(e)) {
                        found.add(location(e, k, "deadLettered", start + i, rec.consumerId(), rec.reason()));
                    }
                }
                if (page.size() < PAGE || budgetSpent()) {
                    break;
                }
            }
        }

        private boolean budgetSpent() {
            if (scanned >= maxScan) {
                err().println("smartmq-admin: stopped after reading " + scanned + " values (--max-scan); the result "
                        + "may be incomplete");
                return true;
            }
            return false;
        }

        private Envelope decode(byte[] raw, EnvelopeAuth auth) {
            scanned++;
            try {
                return EnvelopeCodec.decode(raw, auth);
            } catch (EnvelopeFormatException | RuntimeException e) {
                undecodable++;
                return null;
            }
        }

        private boolean matches(Envelope e) {
            if (e == null) {
                return false;
            }
            return target.id != null ? target.id.equals(e.id()) : target.key.equals(e.message().key());
        }

        private Map<String, Object> location(Envelope e, KeyLayout.ShardKeys k, String where, Long position,
                                             String consumer, String reason) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", e.id());
            m.put("key", e.message().key());
            m.put("group", KeyLayout.UNCLAIMED_GROUP.equals(k.group()) ? "(unclaimed)" : k.group());
            m.put("where", where);
            m.put("shard", k.shard());
            m.put("position", position);
            m.put("consumer", consumer);
            m.put("reason", reason);
            m.put("attempts", e.attempts());
            return m;
        }

        private UnifiedJedis jedis() {
            DefaultJedisClientConfig.Builder cfg = DefaultJedisClientConfig.builder()
                    .connectionTimeoutMillis((int) common.timeout.toMillis())
                    .socketTimeoutMillis((int) common.timeout.toMillis())
                    .ssl(common.redisTls)
                    .clientName("smartmq-admin-find");
            if (common.redisUser != null) {
                cfg.user(common.redisUser);
            }
            String password = common.redisPassword(env, err());
            if (password != null) {
                cfg.password(password);
            }
            boolean standalone = common.redis != null && !common.redis.isBlank();
            boolean cluster = common.redisCluster != null && !common.redisCluster.isEmpty();
            if (standalone == cluster) {
                throw AdminException.usage(standalone ? "use either --redis or --redis-cluster, not both"
                        : "--redis <host:port> or --redis-cluster <host:port,...> is required for this command");
            }
            if (standalone) {
                return new JedisPooled(CommonOptions.hostAndPort("--redis", common.redis), cfg.build());
            }
            Set<HostAndPort> nodes = new LinkedHashSet<>();
            for (String n : common.redisCluster) {
                nodes.add(CommonOptions.hostAndPort("--redis-cluster", n));
            }
            return new JedisCluster(nodes, cfg.build());
        }
    }
}
