package dev.smartmq.zookeeper.internal;

/**
 * Where a namespace lives in ZooKeeper.
 *
 * <pre>
 * {root}/{namespace}                       namespace node
 * {root}/{namespace}/switch                the switch document (JSON; empty = no document yet)
 * {root}/{namespace}/history/t-0000000042  one node per applied transition (same JSON), last N kept
 * {root}/{namespace}/groups/{topic}/{group}/{consumerId}   groups persistent, consumers EPHEMERAL
 * {root}/{namespace}/leader/...            Curator LeaderLatch nodes
 * {root}/{namespace}/shards                the namespace's fallback shard count (decimal), set at first use
 * </pre>
 */
public record ZkLayout(String root, String namespace) {

    /** Prefix of history node names (followed by ZooKeeper's 10-digit sequence). */
    public static final String HISTORY_PREFIX = "t-";

    public String namespacePath() {
        return ("/".equals(root) ? "" : root) + "/" + namespace;
    }

    public String switchPath() {
        return namespacePath() + "/switch";
    }

    public String historyPath() {
        return namespacePath() + "/history";
    }

    public String groupsPath() {
        return namespacePath() + "/groups";
    }

    public String topicPath(String topic) {
        return groupsPath() + "/" + topic;
    }

    public String groupPath(String topic, String group) {
        return topicPath(topic) + "/" + group;
    }

    public String consumerPath(String topic, String group, String consumerId) {
        return groupPath(topic, group) + "/" + consumerId;
    }

    public String shardsPath() {
        return namespacePath() + "/shards";
    }

    public String leaderPath() {
        return namespacePath() + "/leader";
    }
}
