package dev.smartmq.zookeeper;

import static dev.smartmq.zookeeper.ZkSettings.mask;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.SmartMQConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.utils.PathUtils;

/**
 * The options of a ZooKeeper coordination, shared by {@link ZkCoordination.Builder} and the deprecated
 * {@link ZkDegradationSwitch.Builder}. Each setter validates its value and names the field and the bad value
 * (secrets are masked); {@link #settings()} validates combinations and freezes the values into {@link ZkSettings}.
 *
 * <p>Thread rules: a builder is for one thread; what it builds does not see later changes.
 *
 * @param <B> the concrete builder, returned by every setter
 */
public abstract class ZkOptions<B extends ZkOptions<B>> {
    private static final Pattern DIGEST_ID = Pattern.compile("[^:\\s]+:[A-Za-z0-9+/]{27}=");

    private String connectString;
    private CuratorFramework client;
    private String namespace = ZkSettings.DEFAULT_NAMESPACE;
    private String rootPath = ZkSettings.DEFAULT_ROOT_PATH;
    private Duration sessionTimeout = ZkSettings.DEFAULT_SESSION_TIMEOUT;
    private Duration connectionTimeout = ZkSettings.DEFAULT_CONNECTION_TIMEOUT;
    private Duration operationTimeout = ZkSettings.DEFAULT_OPERATION_TIMEOUT;
    private boolean sessionOrConnectionTimeoutSet;
    private String authScheme;
    private byte[] authBytes;
    private List<String> writers = List.of();
    private int historySize = ZkSettings.DEFAULT_HISTORY_SIZE;
    private String instanceId = defaultInstanceId();
    private boolean joinElection = true;

    ZkOptions() {
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** ZooKeeper servers ({@code host:port,...}); the coordination creates, owns and closes its client. */
    public B connectString(String v) {
        ConfigurationException.check(v != null && !v.isBlank(), "connectString", v, "must not be blank");
        this.connectString = v;
        return self();
    }

    /**
     * A started or not yet started Curator client to share. It is never closed by the coordination (which starts
     * it if it is not started). Authorization, timeouts and retry policy are the client's.
     */
    public B client(CuratorFramework v) {
        ConfigurationException.check(v != null, "client", v, "must not be null");
        this.client = v;
        return self();
    }

    /** Namespace: services that share a switch share a namespace. Default {@link ZkSettings#DEFAULT_NAMESPACE}. */
    public B namespace(String v) {
        ConfigurationException.check(SmartMQConfig.isValidNamespace(v), "namespace", v, SmartMQConfig.NAMESPACE_RULE);
        this.namespace = v;
        return self();
    }

    /** ZooKeeper path under which namespaces live. Default {@link ZkSettings#DEFAULT_ROOT_PATH}. */
    public B rootPath(String v) {
        boolean ok = v != null && v.startsWith("/") && (v.length() == 1 || !v.endsWith("/"));
        if (ok) {
            try {
                PathUtils.validatePath(v);
            } catch (IllegalArgumentException e) {
                ok = false;
            }
        }
        ConfigurationException.check(ok, "rootPath", v, "must be an absolute ZooKeeper path without a trailing '/'");
        this.rootPath = v;
        return self();
    }

    /** Session timeout of the client the coordination creates. Default {@link ZkSettings#DEFAULT_SESSION_TIMEOUT}. */
    public B sessionTimeout(Duration v) {
        this.sessionTimeout = positive("sessionTimeout", v);
        this.sessionOrConnectionTimeoutSet = true;
        return self();
    }

    /**
     * Connection timeout of the client the coordination creates; also how long {@code start()} waits for the
     * first read. Default {@link ZkSettings#DEFAULT_CONNECTION_TIMEOUT}.
     */
    public B connectionTimeout(Duration v) {
        this.connectionTimeout = positive("connectionTimeout", v);
        this.sessionOrConnectionTimeoutSet = true;
        return self();
    }

    /**
     * Longest time a transition, a history read and a registry read wait for ZooKeeper before giving up. Default
     * {@link ZkSettings#DEFAULT_OPERATION_TIMEOUT}.
     */
    public B operationTimeout(Duration v) {
        this.operationTimeout = positive("operationTimeout", v);
        return self();
    }

    /**
     * Credentials the created client authenticates with, e.g. {@code ("digest", "user:password")}. Never
     * logged. Not allowed with a shared {@link #client(CuratorFramework)}: authenticate that client instead.
     */
    public B authorization(String scheme, String auth) {
        ConfigurationException.check(scheme != null && !scheme.isBlank(), "authorization scheme", scheme,
                "must not be blank");
        ConfigurationException.check(auth != null && !auth.isEmpty(), "authorization", mask(auth),
                "must not be empty");
        if ("digest".equals(scheme)) {
            ConfigurationException.check(auth.indexOf(':') > 0, "authorization", mask(auth),
                    "must be user:password for the digest scheme");
        }
        this.authScheme = scheme;
        this.authBytes = auth.getBytes(StandardCharsets.UTF_8);
        return self();
    }

    /**
     * Digest identities ({@code user:base64(sha1(user:password))}, see {@link ZkCoordination#digestIdentity}) that
     * may write the switch and its history. Empty (the default) leaves the switch writable by anyone. Every
     * instance of a namespace must be given the same list: whoever creates the nodes first sets the ACL.
     */
    public B writers(List<String> v) {
        ConfigurationException.check(v != null, "writers", v, "must not be null");
        for (String id : v) {
            ConfigurationException.check(id != null && DIGEST_ID.matcher(id).matches(), "writers entry",
                    mask(id), "must be a digest identity user:BASE64(SHA1(user:password)) "
                            + "(ZkCoordination.digestIdentity(user, password))");
        }
        this.writers = List.copyOf(v);
        return self();
    }

    /**
     * Whether this instance joins the namespace's leader election (default {@code true}). Set it to
     * {@code false} for operator tools and monitors: a leader runs the prober and the drain decision, so
     * a client that holds leadership without running a SmartMQ engine would leave a degraded namespace
     * unrecovered and an expired drill never handed back. Such a client is never the leader.
     */
    public B joinElection(boolean v) {
        this.joinElection = v;
        return self();
    }

    /** Applied transitions kept under {@code history}. Default {@link ZkSettings#DEFAULT_HISTORY_SIZE}. */
    public B historySize(int v) {
        ConfigurationException.check(v >= 1 && v <= 10_000, "historySize", v, "must be between 1 and 10000");
        this.historySize = v;
        return self();
    }

    /** This instance's name in the election and its registrations. Default {@code host/pid/random}. */
    public B instanceId(String v) {
        ConfigurationException.check(v != null && !v.isBlank() && v.length() <= 200, "instanceId", v,
                "must be 1-200 characters");
        this.instanceId = v;
        return self();
    }

    /** Validates combinations and freezes the values. */
    protected final ZkSettings settings() {
        ConfigurationException.check(connectString != null ^ client != null, "connectString/client",
                connectString == null ? "neither" : "both", "exactly one must be set");
        if (client != null) {
            ConfigurationException.check(authScheme == null, "authorization", authScheme + ":****",
                    "cannot be added to a shared client; authenticate the client you pass in");
            ConfigurationException.check(!sessionOrConnectionTimeoutSet, "sessionTimeout/connectionTimeout",
                    sessionTimeout + "/" + connectionTimeout, "apply to a client the switch creates; "
                            + "configure the shared client instead");
        }
        return new ZkSettings(connectString, client, namespace, rootPath, sessionTimeout, connectionTimeout,
                operationTimeout, authScheme, authBytes, writers, historySize, instanceId, joinElection);
    }

    @Override
    public String toString() {
        return "ZkOptions{namespace=" + namespace + ", connectString="
                + (connectString != null ? connectString : "(shared client)") + "}";
    }

    private static Duration positive(String field, Duration v) {
        ConfigurationException.check(v != null && v.toMillis() >= 1 && v.toMillis() <= Integer.MAX_VALUE,
                field, v, "must be positive");
        return v;
    }

    private static String defaultInstanceId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "unknown-host";
        }
        return host + "/" + ProcessHandle.current().pid() + "/" + UUID.randomUUID().toString().substring(0, 8);
    }
}
