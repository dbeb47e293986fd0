package dev.smartmq.admin;

import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.redis.RedisFallbackStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;
import redis.clients.jedis.HostAndPort;

/**
 * Connection and output options every command takes. Secrets are read from files or environment variables,
 * never from a command-line value (which would show up in {@code ps} and shell history), and never printed.
 */
final class CommonOptions {

    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    @Option(names = "--zk", paramLabel = "<connectString>",
            description = "ZooKeeper servers, host:port[,host:port...].")
    String zk;

    @Option(names = "--zk-root", paramLabel = "<path>", defaultValue = "/smartmq",
            description = "ZooKeeper root path of SmartMQ namespaces (default: ${DEFAULT-VALUE}).")
    String zkRoot;

    @Option(names = {"-n", "--namespace"}, paramLabel = "<ns>", defaultValue = "default",
            description = "SmartMQ namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--zk-auth-file", paramLabel = "<file>",
            description = "File holding ZooKeeper digest credentials user:password (else env "
                    + AdminEnvironment.ZK_AUTH_ENV + ").")
    Path zkAuthFile;

    @Option(names = "--zk-writer", paramLabel = "<user:digest>",
            description = "Digest identity allowed to write the switch (repeatable). Only used if this command "
                    + "creates the namespace's nodes; must match the services' writers list.")
    List<String> zkWriters = List.of();

    @Option(names = "--redis", paramLabel = "<host:port>", description = "Redis standalone server.")
    String redis;

    @Option(names = "--redis-cluster", paramLabel = "<host:port>", split = ",",
            description = "Redis Cluster seed nodes, host:port[,host:port...].")
    List<String> redisCluster;

    @Option(names = "--redis-user", paramLabel = "<user>", description = "Redis ACL user (password from env "
            + AdminEnvironment.REDIS_PASSWORD_ENV + " or --redis-password-file).")
    String redisUser;

    @Option(names = "--redis-password-file", paramLabel = "<file>",
            description = "File holding the Redis password (else env " + AdminEnvironment.REDIS_PASSWORD_ENV + ").")
    Path redisPasswordFile;

    @Option(names = "--redis-tls", description = "Connect to Redis over TLS.")
    boolean redisTls;

    @Option(names = "--envelope-key-file", paramLabel = "<file>",
            description = "File holding the namespace's envelope key, base64 (else env "
                    + AdminEnvironment.ENVELOPE_KEY_ENV + "). Needed when the services set envelopeKey: values are "
                    + "then checked, and unauthenticated dead letters are never replayed.")
    Path envelopeKeyFile;

    @Option(names = "--shard-count", paramLabel = "<n>", defaultValue = "128",
            description = "Shards per topic of the namespace; must match the services (default: ${DEFAULT-VALUE}).")
    int shards;

    @Option(names = "--timeout", paramLabel = "<duration>", defaultValue = "10s", converter = Durations.class,
            description = "Connect and operation timeout for ZooKeeper and Redis, e.g. 5s (default: ${DEFAULT-VALUE}).")
    Duration timeout = DEFAULT_TIMEOUT;

    @Option(names = "--json", description = "Print machine-readable JSON on stdout.")
    boolean json;

    @Option(names = {"-v", "--verbose"}, description = "Log details and print stack traces of errors.")
    boolean verbose;

    // ------------------------------------------------------------------------------------------ checks

    void validate() {
        if (!SmartMQConfig.isValidNamespace(namespace)) {
            throw AdminException.usage("--namespace " + SmartMQConfig.NAMESPACE_RULE + ", but was '" + namespace + "'");
        }
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofMinutes(10)) > 0) {
            throw AdminException.usage("--timeout must be between 1ms and 10m, but was " + Durations.format(timeout));
        }
        if (shards < 1 || shards > 65_536) {
            throw AdminException.usage("--shard-count must be between 1 and 65536, but was " + shards);
        }
        if (zkRoot == null || !zkRoot.startsWith("/") || (zkRoot.length() > 1 && zkRoot.endsWith("/"))) {
            throw AdminException.usage("--zk-root must be an absolute path without a trailing '/', but was '" + zkRoot + "'");
        }
    }

    String requireZk() {
        if (zk == null || zk.isBlank()) {
            throw AdminException.usage("--zk <connectString> is required for this command");
        }
        return zk;
    }

    boolean hasZk() {
        return zk != null && !zk.isBlank();
    }

    // ------------------------------------------------------------------------------------- credentials

    /** ZooKeeper digest credentials {@code user:password}, or {@code null} for none. */
    String zkAuth(AdminEnvironment env, PrintWriter err) {
        String source;
        String value;
        if (zkAuthFile != null) {
            source = "--zk-auth-file " + zkAuthFile;
            value = readSecretFile(zkAuthFile, "--zk-auth-file", err);
        } else {
            source = "env " + AdminEnvironment.ZK_AUTH_ENV;
            value = env.get(AdminEnvironment.ZK_AUTH_ENV);
        }
        if (value == null) {
            return null;
        }
        int colon = value.indexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw AdminException.usage("ZooKeeper credentials from " + source
                    + " must be user:password (the value is not shown)");
        }
        return value;
    }

    /** The Redis password, or {@code null} for none. */
    String redisPassword(AdminEnvironment env, PrintWriter err) {
        if (redisPasswordFile != null) {
            return readSecretFile(redisPasswordFile, "--redis-password-file", err);
        }
        return env.get(AdminEnvironment.REDIS_PASSWORD_ENV);
    }

    /** The envelope key (HMAC of stored values), or {@code null} when the namespace does not use one. */
    byte[] envelopeKey(AdminEnvironment env, PrintWriter err) {
        String source;
        String value;
        if (envelopeKeyFile != null) {
            source = "--envelope-key-file " + envelopeKeyFile;
            value = readSecretFile(envelopeKeyFile, "--envelope-key-file", err);
        } else {
            source = "env " + AdminEnvironment.ENVELOPE_KEY_ENV;
            value = env.get(AdminEnvironment.ENVELOPE_KEY_ENV);
        }
        if (value == null) {
            return null;
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(value.trim());
        } catch (IllegalArgumentException e) {
            throw AdminException.usage("the envelope key from " + source + " must be base64 (the value is not shown)");
        }
        if (key.length < 32) {
            throw AdminException.usage("the envelope key from " + source + " must be at least 32 bytes, but was "
                    + key.length + " bytes");
        }
        return key;
    }

    /** First line of a secret file, without its line end. Warns if others may read the file. */
    static String readSecretFile(Path file, String option, PrintWriter err) {
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw AdminException.usage("cannot read " + option + " " + file + ": " + e.getClass().getSimpleName());
        }
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
                err.println("warning: " + option + " " + file + " is readable by group or others; chmod 600 it");
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not a POSIX file system: nothing to check
        }
        int nl = content.indexOf('\n');
        String line = nl >= 0 ? content.substring(0, nl) : content;
        if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1);
        }
        if (line.isEmpty()) {
            throw AdminException.usage(option + " " + file + " is empty");
        }
        return line;
    }

    // ------------------------------------------------------------------------------------------- Redis

    /** Whether a Redis server or cluster was given. */
    boolean hasRedis() {
        return (redis != null && !redis.isBlank()) || (redisCluster != null && !redisCluster.isEmpty());
    }

    /** A started store for the namespace; the caller closes it. */
    RedisFallbackStore openStore(AdminEnvironment env, PrintWriter err) {
        RedisFallbackStore store = storeBuilder(env, err).build();
        store.start();
        return store;
    }

    /** A store builder for the namespace (not built). */
    RedisFallbackStore.Builder storeBuilder(AdminEnvironment env, PrintWriter err) {
        boolean standalone = redis != null && !redis.isBlank();
        boolean cluster = redisCluster != null && !redisCluster.isEmpty();
        if (standalone == cluster) {
            throw AdminException.usage(standalone ? "use either --redis or --redis-cluster, not both"
                    : "--redis <host:port> or --redis-cluster <host:port,...> is required for this command");
        }
        RedisFallbackStore.Builder b = RedisFallbackStore.builder();
        if (standalone) {
            HostAndPort hp = hostAndPort("--redis", redis);
            b.standalone(hp.getHost(), hp.getPort());
        } else {
            Set<HostAndPort> nodes = new LinkedHashSet<>();
            for (String n : redisCluster) {
                nodes.add(hostAndPort("--redis-cluster", n));
            }
            b.cluster(nodes);
        }
        b.namespace(namespace).shards(shards).timeouts(timeout, timeout).poolSize(4).writerThreads(1);
        if (redisUser != null) {
            b.user(redisUser);
        }
        String password = redisPassword(env, err);
        if (password != null) {
            b.password(password);
        }
        if (redisTls) {
            b.ssl(true);
        }
        byte[] envelopeKey = envelopeKey(env, err);
        if (envelopeKey != null) {
            b.envelopeKey(envelopeKey);
        }
        return b;
    }

    static HostAndPort hostAndPort(String option, String value) {
        String v = value.trim();
        int colon = v.lastIndexOf(':');
        if (colon <= 0 || colon == v.length() - 1) {
            throw AdminException.usage(option + " must be host:port, but was '" + value + "'");
        }
        int port;
        try {
            port = Integer.parseInt(v.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw AdminException.usage(option + " must be host:port with a port of 1-65535, but was '" + value + "'");
        }
        return new HostAndPort(v.substring(0, colon), port);
    }
}
