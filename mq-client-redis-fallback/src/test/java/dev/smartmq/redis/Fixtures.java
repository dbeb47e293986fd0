package dev.smartmq.redis;

import dev.smartmq.api.Message;
import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.spi.Envelope;
import dev.smartmq.testkit.redis.RedisServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import redis.clients.jedis.Jedis;

/** Small helpers shared by the tests of this module. */
final class Fixtures {

    private Fixtures() {
    }

    static Envelope envelope(String topic, String key, String body) {
        Message.Builder b = Message.builder(topic).body(body);
        if (key != null) {
            b.key(key);
        }
        return new Envelope(UUID.randomUUID().toString(), b.build(), System.currentTimeMillis(), 0);
    }

    static Envelope envelope(String topic, String key, String body, String property, String value) {
        Message.Builder b = Message.builder(topic).body(body).property(property, value);
        if (key != null) {
            b.key(key);
        }
        return new Envelope(UUID.randomUUID().toString(), b.build(), System.currentTimeMillis(), 0);
    }

    /** Claims everything from every shard with one consumer, acking as it goes; returns in claim order. */
    static List<ClaimedMessage> drain(RedisFallbackStore store, String topic, String group, String consumer) {
        List<ClaimedMessage> all = new ArrayList<>();
        for (int s = 0; s < store.shardCount(); s++) {
            while (true) {
                List<ClaimedMessage> batch = store.claim(topic, group, s, consumer, 100);
                if (batch.isEmpty()) {
                    break;
                }
                all.addAll(batch);
                store.ackAll(batch);
            }
        }
        return all;
    }

    /** Calls per command since the server started ({@code INFO commandstats}), by command name. */
    static Map<String, Long> commandStats(RedisServer server) {
        Map<String, Long> result = new TreeMap<>();
        Pattern line = Pattern.compile("^cmdstat_([^:]+):calls=(\\d+),");
        try (Jedis jedis = server.newClient()) {
            for (String l : jedis.info("commandstats").split("\r?\n")) {
                Matcher m = line.matcher(l);
                if (m.find()) {
                    result.put(m.group(1), Long.parseLong(m.group(2)));
                }
            }
        }
        return result;
    }
}
