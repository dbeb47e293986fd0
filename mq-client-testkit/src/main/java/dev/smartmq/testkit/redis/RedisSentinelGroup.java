package dev.smartmq.testkit.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A Sentinel-managed Redis of child processes on 127.0.0.1: one master, {@code replicas} replicas
 * ({@code replicaof} the master) and three Sentinels (quorum 2, {@code down-after-milliseconds 1000}), each a
 * {@link RedisServer} (so any of them can be killed, paused or restarted). {@link Builder#start()} returns once
 * every replica's link is up and every Sentinel knows the replicas and the other Sentinels, i.e. once a
 * failover could happen.
 *
 * <p>With {@link Builder#password(String)} the data servers {@code requirepass} it (and use it as
 * {@code masterauth}, so a former master can follow the new one) and the Sentinels require it too. A killed
 * master that is {@link RedisServer#restart() restarted} after the failover is turned into a replica of the new
 * master by the Sentinels. Thread rules: the query methods may be called from any thread; start and close
 * from one.
 */
public final class RedisSentinelGroup implements AutoCloseable {

    /** The monitored master's name. */
    public static final String MASTER_NAME = "smartmq-master";
    /** Default of {@link Builder#replicas(int)}. */
    public static final int DEFAULT_REPLICAS = 1;
    /** How long {@link Builder#start()} waits for the group to be ready. */
    public static final Duration FORMATION_TIMEOUT = Duration.ofSeconds(60);

    private static final Logger LOG = LoggerFactory.getLogger(RedisSentinelGroup.class);
    private static final int SENTINELS = 3;

    private final List<RedisServer> dataServers;
    private final List<RedisServer> sentinels;
    private final String password;
    private final RedisTls tls;
    private final String dataUser;
    private final String dataPassword;
    private final String sentinelUser;
    private final String sentinelPassword;

    private RedisSentinelGroup(List<RedisServer> dataServers, List<RedisServer> sentinels, Builder b) {
        this.dataServers = Collections.unmodifiableList(dataServers);
        this.sentinels = Collections.unmodifiableList(sentinels);
        this.password = b.password;
        this.tls = b.tls;
        this.dataUser = b.dataUser;
        this.dataPassword = b.dataPassword;
        this.sentinelUser = b.sentinelUser;
        this.sentinelPassword = b.sentinelPassword;
    }

    /** One master, one replica, three Sentinels, no password. */
    public static RedisSentinelGroup start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The data servers (master first, as started; after a failover see {@link #currentMaster()}). */
    public List<RedisServer> dataServers() {
        return dataServers;
    }

    /** The three Sentinels. */
    public List<RedisServer> sentinels() {
        return sentinels;
    }

    /** Addresses of the Sentinels, for a Sentinel-aware client. */
    public Set<HostAndPort> sentinelHostAndPorts() {
        Set<HostAndPort> result = new LinkedHashSet<>();
        sentinels.forEach(s -> result.add(s.hostAndPort()));
        return Collections.unmodifiableSet(result);
    }

    /** The password of the data servers and Sentinels, or {@code null}. */
    public String password() {
        return password;
    }

    /** The TLS material when the group runs with TLS only ({@link Builder#tls}), else {@code null}. */
    public RedisTls tls() {
        return tls;
    }

    /** Client settings for the data servers (TLS, ACL user or password as configured). */
    public JedisClientConfig clientConfig(int timeoutMillis) {
        return config(timeoutMillis, dataUser, dataUser != null ? dataPassword : password);
    }

    /** Client settings for the Sentinels (TLS, ACL user or password as configured). */
    public JedisClientConfig sentinelClientConfig(int timeoutMillis) {
        return config(timeoutMillis, sentinelUser, sentinelUser != null ? sentinelPassword : password);
    }

    private JedisClientConfig config(int timeoutMillis, String user, String secret) {
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder().timeoutMillis(timeoutMillis);
        if (tls != null) {
            b.ssl(true).sslSocketFactory(tls.socketFactory());
        }
        if (user != null) {
            b.user(user);
        }
        if (secret != null) {
            b.password(secret);
        }
        return b.build();
    }

    /** The master as a reachable Sentinel reports it, if one answers. */
    public Optional<HostAndPort> reportedMaster() {
        for (RedisServer s : sentinels) {
            if (!s.isAlive()) {
                continue;
            }
            try (Jedis j = new Jedis(s.hostAndPort(), sentinelClientConfig(1000))) {
                List<String> addr = j.sentinelGetMasterAddrByName(MASTER_NAME);
                if (addr != null && addr.size() == 2) {
                    return Optional.of(new HostAndPort(addr.get(0), Integer.parseInt(addr.get(1))));
                }
            } catch (JedisException e) {
                LOG.debug("Sentinel {} did not answer: {}", s.port(), e.toString());
            }
        }
        return Optional.empty();
    }

    /** The data server that the Sentinels report as master. */
    public RedisServer currentMaster() {
        HostAndPort m = reportedMaster().orElseThrow(() -> new IllegalStateException("no Sentinel answers"));
        return server(m.getPort());
    }

    private RedisServer server(int port) {
        for (RedisServer r : dataServers) {
            if (r.port() == port) {
                return r;
            }
        }
        throw new IllegalStateException("Sentinels report a master on port " + port + " that is not in this group");
    }

    /**
     * Waits until every Sentinel reports a master other than {@code former} and that server says
     * {@code role:master}; returns it.
     */
    public RedisServer awaitFailover(RedisServer former, Duration timeout) {
        awaitCondition("failover away from " + former.port(), timeout, () -> {
            for (RedisServer s : sentinels) {
                try (Jedis j = new Jedis(s.hostAndPort(), sentinelClientConfig(1000))) {
                    List<String> addr = j.sentinelGetMasterAddrByName(MASTER_NAME);
                    if (addr == null || Integer.parseInt(addr.get(1)) == former.port()) {
                        return false;
                    }
                }
            }
            return role(currentMaster()).equals("master");
        });
        RedisServer master = currentMaster();
        LOG.info("Sentinels promoted {} (former master {})", master.port(), former.port());
        return master;
    }

    /** Waits until {@code replica} replicates the current master with its link up. */
    public void awaitReplicaInSync(RedisServer replica, Duration timeout) {
        awaitCondition("replica " + replica.port() + " in sync", timeout, () -> {
            String info = info(replica);
            int masterPort = currentMaster().port();
            return info.contains("role:slave") && info.contains("master_port:" + masterPort)
                    && info.contains("master_link_status:up");
        });
    }

    /**
     * Waits until the current master reports at least {@code n} replicas online ({@code state=online} in its
     * {@code INFO replication}), e.g. after a failover, when the other replicas have been reconfigured to follow
     * the promoted master; returns the master.
     */
    public RedisServer awaitReplicasOnline(int n, Duration timeout) {
        awaitCondition(n + " replicas online", timeout, () -> {
            String info = info(currentMaster());
            return info.contains("role:master") && info.split("state=online", -1).length - 1 >= n;
        });
        return currentMaster();
    }

    /** Waits until every data server but the master replicates the current master with its link up. */
    public void awaitAllReplicasInSync(Duration timeout) {
        RedisServer master = currentMaster();
        for (RedisServer r : dataServers) {
            if (r != master) {
                awaitReplicaInSync(r, timeout);
            }
        }
    }

    private void awaitReady() {
        RedisServer master = dataServers.get(0);
        awaitCondition("replicas in sync and Sentinels formed", FORMATION_TIMEOUT, () -> {
            for (RedisServer r : dataServers.subList(1, dataServers.size())) {
                if (!info(r).contains("master_link_status:up")) {
                    return false;
                }
            }
            for (RedisServer s : sentinels) {
                try (Jedis j = new Jedis(s.hostAndPort(), sentinelClientConfig(1000))) {
                    List<Map<String, String>> reps = j.sentinelReplicas(MASTER_NAME);
                    List<Map<String, String>> others = j.sentinelSentinels(MASTER_NAME);
                    if (reps.size() != dataServers.size() - 1 || others.size() != SENTINELS - 1) {
                        return false;
                    }
                    for (Map<String, String> r : reps) {
                        String flags = r.getOrDefault("flags", "");
                        if (flags.contains("down") || flags.contains("disconnected")) {
                            return false;
                        }
                    }
                }
            }
            return true;
        });
        LOG.info("Redis Sentinel group ready: master {}, replicas {}, sentinels {}", master.port(),
                dataServers.subList(1, dataServers.size()).stream().map(RedisServer::port).toList(),
                sentinelHostAndPorts());
    }

    private String info(RedisServer r) {
        try (Jedis j = new Jedis(r.hostAndPort(), clientConfig(1000))) {
            return j.info("replication");
        } catch (JedisException e) {
            return "error: " + e;
        }
    }

    private String role(RedisServer r) {
        String info = info(r);
        return info.contains("role:master") ? "master" : info.contains("role:slave") ? "slave" : "unknown";
    }

    private static void awaitCondition(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (JedisException | IllegalStateException e) {
                LOG.debug("waiting for {}: {}", what, e.toString());
            }
            try {
                Thread.sleep(100); // poll interval
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
        throw new IllegalStateException(what + ": not within " + timeout);
    }

    /** Stops every process. Idempotent. */
    @Override
    public void close() {
        List<RedisServer> all = new ArrayList<>(sentinels);
        all.addAll(dataServers);
        RedisServer.closeAll(all);
    }

    @Override
    public String toString() {
        return "RedisSentinelGroup{data=" + dataServers.stream().map(RedisServer::port).toList()
                + ", sentinels=" + sentinels.stream().map(RedisServer::port).toList() + "}";
    }

    /** Options of a {@link RedisSentinelGroup}. */
    public static final class Builder {
        private int replicas = DEFAULT_REPLICAS;
        private String password;
        private Duration downAfter = Duration.ofMillis(1000);
        private RedisTls tls;
        private String dataUser;
        private String dataPassword;
        private String sentinelUser;
        private String sentinelPassword;

        private Builder() {
        }

        /** Every process (data servers and Sentinels) listens with TLS only; replication and Sentinel links too. */
        public Builder tls(RedisTls tls) {
            this.tls = java.util.Objects.requireNonNull(tls, "tls");
            return this;
        }

        /**
         * ACL users instead of passwords: the data servers know only {@code dataUser} (the {@code default} user
         * is off; replicas authenticate as it with {@code masteruser}, the Sentinels with {@code auth-user}), the
         * Sentinels only {@code sentinelUser} (also the user they authenticate to each other with). Not combinable
         * with {@link #password}.
         */
        public Builder aclUsers(String dataUser, String dataPassword, String sentinelUser, String sentinelPassword) {
            this.dataUser = java.util.Objects.requireNonNull(dataUser, "dataUser");
            this.dataPassword = java.util.Objects.requireNonNull(dataPassword, "dataPassword");
            this.sentinelUser = java.util.Objects.requireNonNull(sentinelUser, "sentinelUser");
            this.sentinelPassword = java.util.Objects.requireNonNull(sentinelPassword, "sentinelPassword");
            return this;
        }

        /** Replicas of the master (at least 1). */
        public Builder replicas(int replicas) {
            if (replicas < 1 || replicas > 5) {
                throw new IllegalArgumentException("replicas must be between 1 and 5, but was " + replicas);
            }
            this.replicas = replicas;
            return this;
        }

        /** A password for the data servers and the Sentinels. */
        public Builder password(String password) {
            this.password = password;
            return this;
        }

        /** Sentinel's {@code down-after-milliseconds}: how long a master is silent before a failover starts. */
        public Builder downAfter(Duration downAfter) {
            if (downAfter == null || downAfter.toMillis() < 100) {
                throw new IllegalArgumentException("downAfter must be at least 100 ms, but was " + downAfter);
            }
            this.downAfter = downAfter;
            return this;
        }

        /** Starts every process and waits until the group could fail over. */
        public RedisSentinelGroup start() {
            if (password != null && dataUser != null) {
                throw new IllegalStateException("password and aclUsers do not combine");
            }
            List<RedisServer> data = new ArrayList<>();
            List<RedisServer> sentinels = new ArrayList<>();
            try {
                RedisServer master = dataServer().start();
                data.add(master);
                for (int i = 0; i < replicas; i++) {
                    data.add(dataServer().config("replicaof", RedisServer.HOST + " " + master.port()).start());
                }
                for (int i = 0; i < SENTINELS; i++) {
                    RedisServer.Builder b = RedisServer.builder()
                            .sentinel(MASTER_NAME, master.hostAndPort(), 2, dataUser != null ? dataPassword : password)
                            .config("down-after-milliseconds", Long.toString(downAfter.toMillis()))
                            .config("failover-timeout", "10000")
                            .config("parallel-syncs", "1");
                    if (password != null) {
                        b.requirePass(password);
                    }
                    if (dataUser != null) {
                        b.config("auth-user", dataUser).aclUser(sentinelUser, sentinelPassword)
                                .rawLine("user default off")
                                .rawLine("sentinel sentinel-user " + sentinelUser)
                                .rawLine("sentinel sentinel-pass " + sentinelPassword);
                    }
                    if (tls != null) {
                        b.tls(tls);
                    }
                    sentinels.add(b.start());
                }
                RedisSentinelGroup group = new RedisSentinelGroup(data, sentinels, this);
                group.awaitReady();
                return group;
            } catch (RuntimeException e) {
                sentinels.forEach(RedisServer::close);
                data.forEach(RedisServer::close);
                throw e;
            }
        }

        private RedisServer.Builder dataServer() {
            RedisServer.Builder b = RedisServer.builder();
            if (password != null) {
                b.requirePass(password).config("masterauth", password);
            }
            if (dataUser != null) {
                b.aclUser(dataUser, dataPassword).rawLine("user default off")
                        .config("masteruser", dataUser).config("masterauth", dataPassword);
            }
            if (tls != null) {
                b.tls(tls);
            }
            return b;
        }
    }
}
