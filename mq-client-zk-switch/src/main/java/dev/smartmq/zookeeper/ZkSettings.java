package dev.smartmq.zookeeper;

import dev.smartmq.api.SmartMQConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;

/**
 * The immutable settings of a {@link ZkCoordination}, made by {@link ZkOptions#settings()} at {@code build()}
 * once every value and combination was checked. The {@code DEFAULT_*} constants are the defaults of the builder.
 *
 * <p>Thread rules: immutable, safe to share. {@link #authorization()} returns a copy; {@link #toString()} masks
 * the secrets.
 *
 * @param connectString     ZooKeeper servers, or null with a shared {@code client}
 * @param client            a shared Curator client, or null when the coordination creates its own
 * @param namespace         the SmartMQ namespace
 * @param rootPath          the ZooKeeper path under which namespaces live
 * @param sessionTimeout    session timeout of a created client
 * @param connectionTimeout connection timeout of a created client, and how long {@code start()} waits for a read
 * @param operationTimeout  longest wait of one blocking call (a transition, a history or registry read)
 * @param authScheme        authorization scheme of a created client, or null
 * @param authorization     authorization bytes of a created client, or null (a secret)
 * @param writers           digest identities that may write; empty: anyone may
 * @param historySize       applied transitions kept
 * @param instanceId        this instance's name in the election and its registrations
 * @param joinElection      whether this instance joins the leader election
 */
public record ZkSettings(String connectString, CuratorFramework client, String namespace, String rootPath,
                         Duration sessionTimeout, Duration connectionTimeout, Duration operationTimeout,
                         String authScheme, byte[] authorization, List<String> writers, int historySize,
                         String instanceId, boolean joinElection) {

    /** Default namespace (the engine's, {@link SmartMQConfig#DEFAULT_NAMESPACE}). */
    public static final String DEFAULT_NAMESPACE = SmartMQConfig.DEFAULT_NAMESPACE;
    /** Default ZooKeeper root path. */
    public static final String DEFAULT_ROOT_PATH = "/smartmq";
    /** Default session timeout of a created client. */
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(30);
    /** Default connection timeout of a created client. */
    public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(10);
    /** Default operation timeout. */
    public static final Duration DEFAULT_OPERATION_TIMEOUT = Duration.ofSeconds(5);
    /** Default number of history entries kept. */
    public static final int DEFAULT_HISTORY_SIZE = 100;

    public ZkSettings {
        authorization = authorization == null ? null : authorization.clone();
        writers = List.copyOf(writers);
    }

    /** A copy of the authorization bytes, or null. */
    @Override
    public byte[] authorization() {
        return authorization == null ? null : authorization.clone();
    }

    /** Whether the coordination creates (and closes) its own Curator client. */
    public boolean ownsClient() {
        return client == null;
    }

    /** Where it connects, for messages: the connect string or {@code (shared client)}. */
    public String connectTarget() {
        return connectString != null ? connectString : "(shared client)";
    }

    @Override
    public String toString() {
        List<String> writerNames = new ArrayList<>();
        for (String w : writers) {
            writerNames.add(w.substring(0, w.indexOf(':')) + ":****");
        }
        return "namespace=" + namespace + ", rootPath=" + rootPath + ", connectString=" + connectTarget()
                + ", authorization=" + (authScheme == null ? "none"
                    : authScheme + ":" + mask(new String(authorization, StandardCharsets.UTF_8)))
                + ", writers=" + writerNames + ", instanceId=" + instanceId;
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    static String mask(String secret) {
        if (secret == null) {
            return null;
        }
        int colon = secret.indexOf(':');
        return colon > 0 ? secret.substring(0, colon) + ":****" : "****";
    }
}
