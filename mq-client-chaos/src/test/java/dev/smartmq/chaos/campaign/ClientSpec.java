package dev.smartmq.chaos.campaign;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one client process of a campaign does and where it connects, passed as system properties
 * {@code smartmq.client.<field>} from the campaign (test JVM) to {@link ClientMain} (child JVM). Immutable.
 *
 * @param senders   producer only: comma-separated sender modes, one thread each: {@code sync-keyed},
 *                  {@code sync-keyless}, {@code async-keyed}, {@code async-keyless}
 * @param group     consumer only: the consumer group ({@code -} for producers)
 * @param slowEvery consumer only: 1 in this many handler calls sleeps {@code slowMillis} (0: never)
 */
record ClientSpec(String name, String role, String historyFile, String nameServer, String redis, String zooKeeper,
                  String namespace, String topic, String senders, long intervalMillis, String group,
                  boolean ordered, int slowEvery, long slowMillis) {

    private static final String PREFIX = "smartmq.client.";

    Map<String, String> toSystemProperties() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(PREFIX + "name", name);
        m.put(PREFIX + "role", role);
        m.put(PREFIX + "historyFile", historyFile);
        m.put(PREFIX + "nameServer", nameServer);
        m.put(PREFIX + "redis", redis);
        m.put(PREFIX + "zooKeeper", zooKeeper);
        m.put(PREFIX + "namespace", namespace);
        m.put(PREFIX + "topic", topic);
        m.put(PREFIX + "senders", senders);
        m.put(PREFIX + "intervalMillis", Long.toString(intervalMillis));
        m.put(PREFIX + "group", group);
        m.put(PREFIX + "ordered", Boolean.toString(ordered));
        m.put(PREFIX + "slowEvery", Integer.toString(slowEvery));
        m.put(PREFIX + "slowMillis", Long.toString(slowMillis));
        return m;
    }

    static ClientSpec fromSystemProperties() {
        return new ClientSpec(get("name"), get("role"), get("historyFile"), get("nameServer"), get("redis"),
                get("zooKeeper"), get("namespace"), get("topic"), get("senders"), Long.parseLong(get("intervalMillis")),
                get("group"), Boolean.parseBoolean(get("ordered")), Integer.parseInt(get("slowEvery")),
                Long.parseLong(get("slowMillis")));
    }

    private static String get(String field) {
        String v = System.getProperty(PREFIX + field);
        if (v == null) {
            throw new IllegalArgumentException("system property " + PREFIX + field + " is required");
        }
        return v;
    }
}
