package dev.smartmq.testkit.redis;

import dev.smartmq.testkit.FreePorts;
import dev.smartmq.testkit.WorkDirs;
import dev.smartmq.testkit.process.ProcessReaper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A real {@code redis-server} running as a child process of the test JVM, on a free port of 127.0.0.1,
 * with its files in a fresh {@link WorkDirs} directory, and the faults tests need: {@link #kill()}
 * (SIGKILL), {@link #pause()}/{@link #resume()} (SIGSTOP/SIGCONT), {@link #restart()}.
 *
 * <p>Over 400 lines because it is a test fixture whose public surface is the job: start, kill, pause/resume,
 * restart, config and client helpers of one child {@code redis-server}, each documented, plus its builder.
 *
 * <pre>{@code
 * try (RedisServer redis = RedisServer.start()) {
 *     JedisPooled client = new JedisPooled(redis.hostAndPort());
 *     ...
 *     redis.kill();     // SIGKILL, no shutdown
 *     redis.restart();  // same port, same directory, same data
 * }
 * }</pre>
 *
 * <p>Durability: the server runs with {@code appendonly yes}, {@code appendfsync no} by default and no
 * RDB snapshots. With {@code appendfsync no} Redis {@code write(2)}s the AOF buffer on every event-loop
 * turn, before it sends the replies, so every write a client saw acknowledged survives a SIGKILL of the
 * process and is there after {@link #restart()} (a machine crash is another matter: that needs
 * {@code always}). {@code everysec} is NOT used by default: while a background fsync is still running,
 * Redis 7 postpones the AOF write for up to 2 s but still replies, so a SIGKILL can lose acknowledged
 * writes — we saw exactly that on a busy disk. {@link Builder#appendfsync(String)} selects another policy.
 *
 * <p>The binary ({@link RedisBinary#resolve()}): the path in system property {@value #BINARY_PROPERTY} or
 * environment variable {@value #BINARY_ENV}, else {@code redis-server} on the {@code PATH}, else the Redis 7
 * binary shipped in a Maven artifact the testkit depends on. Every process started here is
 * killed by a JVM shutdown hook if it is still running when the JVM exits. Signals are only ever sent to
 * the pid this object started. Thread-safe: the fault methods are serialised.
 */
public final class RedisServer implements AutoCloseable {

    /** System property naming the {@code redis-server} binary ({@value RedisBinary#SHIPPED}: the shipped one). */
    public static final String BINARY_PROPERTY = "smartmq.redis.server";
    /** Environment variable naming the {@code redis-server} binary. */
    public static final String BINARY_ENV = "SMARTMQ_REDIS_SERVER";
    /** Default of {@link Builder#startupTimeout(Duration)}. */
    public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(30);
    /** Default of {@link Builder#appendfsync(String)}. */
    public static final String DEFAULT_APPENDFSYNC = "no";
    /** The only address the server binds. */
    public static final String HOST = "127.0.0.1";

    private static final Logger LOG = LoggerFactory.getLogger(RedisServer.class);

    private final RedisBinary binary;
    private final int port;
    private final Path dir;
    private final String password;
    private final String aclUser;
    private final String aclPassword;
    private final boolean clusterNode;
    private final String appendfsync;
    private final Duration startupTimeout;
    private final Path configFile;
    /** {@code sentinel monitor} arguments when this process is a Sentinel ({@code --sentinel}), else null. */
    private final String sentinelMonitor;
    /** TLS material when the server listens with TLS only, else null. */
    private final RedisTls tls;
    private final List<String> rawLines;

    private Process process;
    private boolean paused;
    private boolean closed;

    private RedisServer(Builder b) {
        this.binary = RedisBinary.resolve();
        this.port = b.port != 0 ? b.port : (b.clusterNode ? FreePorts.findWithCompanions(10000) : FreePorts.find());
        this.dir = WorkDirs.create("redis-" + port);
        this.password = b.password;
        this.aclUser = b.aclUser;
        this.aclPassword = b.aclPassword;
        this.clusterNode = b.clusterNode;
        this.appendfsync = b.appendfsync;
        this.startupTimeout = b.startupTimeout;
        this.configFile = dir.resolve(b.sentinelMonitor != null ? "sentinel.conf" : "redis.conf");
        this.sentinelMonitor = b.sentinelMonitor;
        this.tls = b.tls;
        this.rawLines = List.copyOf(b.rawLines);
        if (sentinelMonitor != null) {
            writeSentinelConfig(b);
        } else {
            writeConfig(b.extraConfig);
        }
    }

    /** Starts a server with the defaults: free port, no password. */
    public static RedisServer start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    private void writeConfig(Map<String, String> extra) {
        List<String> lines = new ArrayList<>();
        lines.addAll(listenLines());
        lines.add("bind " + HOST);
        lines.add("protected-mode yes");
        lines.add("daemonize no");
        lines.add("dir " + dir.toAbsolutePath());
        lines.add("logfile " + dir.resolve("redis.log").toAbsolutePath());
        lines.add("save \"\"");
        lines.add("appendonly yes");
        lines.add("appendfsync " + appendfsync);
        if (password != null) {
            lines.add("requirepass " + password);
        }
        if (aclUser != null) {
            lines.add("user " + aclUser + " on >" + aclPassword + " ~* &* +@all");
        }
        if (clusterNode) {
            lines.add("cluster-enabled yes");
            lines.add("cluster-config-file nodes.conf");
            lines.add("cluster-node-timeout 3000");
            if (password != null) {
                lines.add("masterauth " + password);
            }
        }
        extra.forEach((k, v) -> lines.add(k + " " + v));
        lines.addAll(rawLines);
        try {
            Files.write(configFile, lines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + configFile, e);
        }
    }

    private void writeSentinelConfig(Builder b) {
        String master = sentinelMonitor.split(" ")[0];
        List<String> lines = new ArrayList<>();
        lines.addAll(listenLines());
        lines.add("bind " + HOST);
        lines.add("daemonize no");
        lines.add("dir " + dir.toAbsolutePath());
        lines.add("logfile " + dir.resolve("redis.log").toAbsolutePath());
        if (password != null) {
            lines.add("requirepass " + password);       // clients (and other Sentinels) must AUTH
            lines.add("sentinel sentinel-pass " + password);
        }
        lines.add("sentinel monitor " + sentinelMonitor);
        if (b.sentinelMasterPassword != null) {
            lines.add("sentinel auth-pass " + master + " " + b.sentinelMasterPassword);
        }
        if (aclUser != null) {
            lines.add("user " + aclUser + " on >" + aclPassword + " ~* &* +@all");
        }
        b.extraConfig.forEach((k, v) -> lines.add("sentinel " + k + " " + master + " " + v));
        lines.addAll(rawLines);
        try {
            Files.write(configFile, lines, StandardCharsets.UTF_8); // Sentinel rewrites it: must be writable
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + configFile, e);
        }
    }

    private List<String> listenLines() {
        return tls != null ? tls.serverConfig(port) : List.of("port " + port);
    }

    synchronized RedisServer launch() {
        if (closed) {
            throw new IllegalStateException("redis-server on port " + port + " is closed");
        }
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("redis-server on port " + port + " is already running (pid "
                    + process.pid() + ")");
        }
        List<String> command = new ArrayList<>(
                List.of(binary.path().toString(), configFile.toAbsolutePath().toString()));
        if (sentinelMonitor != null) {
            command.add("--sentinel");
        }
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout.log").toFile()));
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + binary, e);
        }
        paused = false;
        ProcessReaper.register(process);
        awaitPing();
        LOG.info("redis-server pid {} listening on {}:{} (dir {})", process.pid(), HOST, port, dir);
        return this;
    }

    private void awaitPing() {
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        JedisException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server on port " + port + " exited with "
                        + process.exitValue() + " during startup; log:\n" + logTail());
            }
            try (Jedis jedis = new Jedis(hostAndPort(), clientConfig(500))) {
                if ("PONG".equals(jedis.ping())) {
                    return;
                }
            } catch (JedisException e) {
                last = e; // not listening yet, or LOADING the AOF
            }
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for redis-server", e);
            }
        }
        IllegalStateException e = new IllegalStateException("redis-server on port " + port
                + " did not answer PING within " + startupTimeout + "; log:\n" + logTail());
        if (last != null) {
            e.addSuppressed(last);
        }
        throw e;
    }

    /** The last lines of the server log, for failure messages. */
    public String logTail() {
        try {
            Path log = dir.resolve("redis.log");
            if (!Files.exists(log)) {
                log = dir.resolve("stdout.log");
            }
            if (!Files.exists(log)) {
                return "(no log)";
            }
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Client settings that can talk to this server (credentials included), for tests. */
    public JedisClientConfig clientConfig(int timeoutMillis) {
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder().timeoutMillis(timeoutMillis);
        if (tls != null) {
            b.ssl(true).sslSocketFactory(tls.socketFactory());
        }
        if (aclUser != null) {
            b.user(aclUser).password(aclPassword);
        } else if (password != null) {
            b.password(password);
        }
        return b.build();
    }

    /** A new single-connection client with this server's credentials and a 2 s timeout; the caller closes it. */
    public Jedis newClient() {
        return new Jedis(hostAndPort(), clientConfig(2000));
    }

    public int port() {
        return port;
    }

    /** The executable this server runs, and where it came from. */
    public RedisBinary binary() {
        return binary;
    }

    public String host() {
        return HOST;
    }

    public HostAndPort hostAndPort() {
        return new HostAndPort(HOST, port);
    }

    /** {@code redis://127.0.0.1:<port>} (credentials are not part of it). */
    public String uri() {
        return "redis://" + HOST + ":" + port;
    }

    /** Directory of the config, log and AOF files. */
    public Path dir() {
        return dir;
    }

    /** The TLS material if the server listens with TLS only ({@link Builder#tls}), else {@code null}. */
    public RedisTls tls() {
        return tls;
    }

    /** The {@code requirepass} password of the default user, or {@code null}. */
    public String password() {
        return password;
    }

    /** The extra ACL user, or {@code null}. */
    public String aclUser() {
        return aclUser;
    }

    /** The extra ACL user's password, or {@code null}. */
    public String aclPassword() {
        return aclPassword;
    }

    /** Pid of the running process. */
    public synchronized long pid() {
        requireProcess();
        return process.pid();
    }

    /** The process handle of the current (or last) process, e.g. to check it is gone. */
    public synchronized ProcessHandle processHandle() {
        requireProcess();
        return process.toHandle();
    }

    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    public synchronized boolean isPaused() {
        return paused && isAlive();
    }

    /** SIGKILL: the process dies at once, without shutdown or a final AOF flush. */
    public synchronized void kill() {
        requireProcess();
        killNow();
        LOG.info("redis-server on port {} killed (SIGKILL)", port);
    }

    private void killNow() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        waitExit(10);
        paused = false;
        ProcessReaper.unregister(process);
    }

    /** SIGSTOP: the process freezes; clients connect but get no answer until {@link #resume()}. */
    public synchronized void pause() {
        requireProcess();
        if (!process.isAlive()) {
            throw new IllegalStateException("redis-server on port " + port + " is not running");
        }
        signal("-STOP");
        paused = true;
        LOG.info("redis-server on port {} paused (SIGSTOP)", port);
    }

    /** SIGCONT: a paused process carries on. */
    public synchronized void resume() {
        requireProcess();
        if (process.isAlive()) {
            signal("-CONT");
        }
        paused = false;
        LOG.info("redis-server on port {} resumed (SIGCONT)", port);
    }

    /**
     * Starts the server again on the same port with the same directory and data. A running server is
     * stopped first (gracefully); a killed one is simply started.
     */
    public synchronized void restart() {
        if (process != null && process.isAlive()) {
            stopNow();
        }
        launch();
    }

    /** Graceful stop (SIGTERM: Redis flushes the AOF and exits); SIGKILL after 10 s. Idempotent. */
    public synchronized void stop() {
        if (process != null && process.isAlive()) {
            stopNow();
            LOG.info("redis-server on port {} stopped", port);
        }
    }

    private void stopNow() {
        if (paused) {
            signal("-CONT"); // a stopped process would not act on SIGTERM
            paused = false;
        }
        process.destroy();
        if (!waitExit(10)) {
            killNow();
        }
        ProcessReaper.unregister(process);
    }

    /** Stops the server for good. The directory is left for post-mortems (it lives under target/). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (process != null) {
            if (process.isAlive()) {
                stopNow();
            }
            ProcessReaper.unregister(process);
        }
    }

    private boolean waitExit(int seconds) {
        try {
            return process.waitFor(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    private void signal(String sig) {
        // Only ever the pid we started; never by name.
        try {
            Process k = new ProcessBuilder("kill", sig, Long.toString(process.pid()))
                    .redirectErrorStream(true).start();
            if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) {
                throw new IllegalStateException("kill " + sig + " " + process.pid() + " failed: "
                        + new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill " + sig, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending " + sig, e);
        }
    }

    private void requireProcess() {
        if (process == null) {
            throw new IllegalStateException("redis-server on port " + port + " was never started");
        }
    }

    @Override
    public String toString() {
        return "RedisServer{" + HOST + ":" + port + (clusterNode ? ", cluster" : "")
                + (sentinelMonitor != null ? ", sentinel" : "") + ", dir=" + dir
                + (password != null ? ", requirepass=****" : "") + (aclUser != null ? ", aclUser=" + aclUser : "")
                + "}";
    }

    /** Options of a {@link RedisServer}; {@link #start()} starts it and waits for PING. */
    public static final class Builder {
        private int port;
        private String password;
        private String aclUser;
        private String aclPassword;
        private boolean clusterNode;
        private String appendfsync = DEFAULT_APPENDFSYNC;
        private Duration startupTimeout = DEFAULT_STARTUP_TIMEOUT;
        private String sentinelMonitor;
        private String sentinelMasterPassword;
        private RedisTls tls;
        private final Map<String, String> extraConfig = new LinkedHashMap<>();
        private final List<String> rawLines = new ArrayList<>();

        private Builder() {
        }

        /** A fixed port instead of a free one (tests should not need this). */
        public Builder port(int port) {
            if (port < 1024 || port > 65535) {
                throw new IllegalArgumentException("port must be between 1024 and 65535, but was " + port);
            }
            this.port = port;
            return this;
        }

        /** Password of the {@code default} user ({@code requirepass}). */
        public Builder requirePass(String password) {
            this.password = checkSecret("password", password);
            return this;
        }

        /** An extra ACL user with every permission, to test AUTH with a user name. */
        public Builder aclUser(String user, String password) {
            Objects.requireNonNull(user, "user");
            if (user.isEmpty() || !user.matches("[A-Za-z0-9_-]+")) {
                throw new IllegalArgumentException("aclUser must be [A-Za-z0-9_-]+, but was '" + user + "'");
            }
            this.aclUser = user;
            this.aclPassword = checkSecret("aclPassword", password);
            return this;
        }

        /** Another {@code redis.conf} directive, e.g. {@code config("maxmemory-policy", "allkeys-lru")}. */
        public Builder config(String directive, String value) {
            Objects.requireNonNull(directive, "directive");
            Objects.requireNonNull(value, "value");
            extraConfig.put(directive, value);
            return this;
        }

        /**
         * AOF fsync policy: {@code no} (default: acknowledged writes survive SIGKILL), {@code always}
         * (they survive a machine crash too, slower) or {@code everysec} (may lose up to ~2 s of acknowledged
         * writes on SIGKILL when the disk is slow).
         */
        public Builder appendfsync(String policy) {
            if (!"no".equals(policy) && !"always".equals(policy) && !"everysec".equals(policy)) {
                throw new IllegalArgumentException("appendfsync must be no, always or everysec, but was " + policy);
            }
            this.appendfsync = policy;
            return this;
        }

        public Builder startupTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("startupTimeout must be positive, but was " + timeout);
            }
            this.startupTimeout = timeout;
            return this;
        }

        /**
         * TLS only: the server listens on its port with TLS ({@code port 0}, {@code tls-port}), replicates over
         * TLS, and {@link #clientConfig}/{@link #newClient()} connect with TLS trusting {@code tls}'s CA.
         */
        public Builder tls(RedisTls tls) {
            this.tls = Objects.requireNonNull(tls, "tls");
            return this;
        }

        /** A config line written as is, after everything else (e.g. {@code user default off}). */
        Builder rawLine(String line) {
            rawLines.add(Objects.requireNonNull(line, "line"));
            return this;
        }

        /** A node of a {@link RedisCluster} ({@code cluster-enabled yes}, bus port = port + 10000 free). */
        Builder clusterNode() {
            this.clusterNode = true;
            return this;
        }

        /**
         * A Sentinel ({@code redis-server --sentinel}) monitoring {@code masterName} at {@code master} with
         * {@code quorum}; {@link #config} entries become {@code sentinel <directive> <masterName> <value>}
         * (e.g. {@code down-after-milliseconds}), {@link #requirePass} protects the Sentinel itself, and
         * {@code masterPassword} (nullable) is the {@code auth-pass} of the monitored servers. Used by
         * {@link RedisSentinelGroup}.
         */
        Builder sentinel(String masterName, HostAndPort master, int quorum, String masterPassword) {
            this.sentinelMonitor = masterName + " " + master.getHost() + " " + master.getPort() + " " + quorum;
            this.sentinelMasterPassword = masterPassword;
            return this;
        }

        private static String checkSecret(String field, String value) {
            if (value == null || value.isEmpty() || !value.matches("[A-Za-z0-9_.\\-+=!@#%^*]+")) {
                // never echo the value: it is a secret
                throw new IllegalArgumentException(field + " must be non-empty, without whitespace or quotes");
            }
            return value;
        }

        /** Starts the server and waits until it answers PING. */
        public RedisServer start() {
            RedisServer server = new RedisServer(this);
            try {
                return server.launch();
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
        }
    }

    /**
     * Closes every server of a group (a cluster, a Sentinel group): each one is closed even if another fails;
     * the first failure is thrown with the later ones suppressed.
     */
    static void closeAll(Iterable<RedisServer> servers) {
        RuntimeException first = null;
        for (RedisServer r : servers) {
            try {
                r.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

}
