package dev.smartmq.redis.internal;

import dev.smartmq.api.ConfigurationException;
import java.time.Duration;
import java.util.Set;
import javax.net.ssl.SSLSocketFactory;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.UnifiedJedis;

/**
 * Everything a {@code RedisFallbackStore} runs with, frozen at {@code Builder.build()}: the builder's values
 * (each already validated by its setter) plus the checks of combinations, made once here in the constructor.
 * Exactly one target is set ({@code standalone}, {@code cluster}, {@code sentinels} or a shared {@code client}).
 *
 * <p>Thread rules: immutable (the collections are copies, the envelope key is copied in and out), so it is
 * shared freely. {@link #toString()} never shows a secret (passwords and the envelope key are only said to be
 * set).
 */
public record StoreSettings(HostAndPort standalone, Set<HostAndPort> cluster, String sentinelMaster,
                            Set<HostAndPort> sentinels, String sentinelUser, String sentinelPassword,
                            boolean sentinelSsl, UnifiedJedis client, String namespace, int shards,
                            long maxBacklogPerShard, int maxBodySize, String user, String password, boolean ssl,
                            SSLSocketFactory sslSocketFactory, Duration connectTimeout, Duration socketTimeout,
                            int poolSize, int writerThreads, int maxBatchSize, int writerQueueCapacity,
                            byte[] envelopeKey, int replicaAcks, Duration replicaAckTimeout) {

    public StoreSettings {
        cluster = cluster == null ? null : Set.copyOf(cluster);
        sentinels = sentinels == null ? null : Set.copyOf(sentinels);
        envelopeKey = envelopeKey == null ? null : envelopeKey.clone();
        int targets = (standalone != null ? 1 : 0) + (cluster != null ? 1 : 0) + (client != null ? 1 : 0)
                + (sentinels != null ? 1 : 0);
        ConfigurationException.check(targets == 1, "standalone/cluster/sentinel/client", targets + " set",
                "exactly one must be set");
        ConfigurationException.check(sentinels != null || (sentinelUser == null && sentinelPassword == null
                && !sentinelSsl), "sentinelUser/sentinelPassword/sentinelSsl", "set", "apply only to sentinel(...)");
        ConfigurationException.check(sentinelUser == null || sentinelPassword != null, "sentinelUser",
                sentinelUser, "needs a sentinelPassword");
        ConfigurationException.check(replicaAcks == 0 || replicaAckTimeout.compareTo(socketTimeout) < 0,
                "replicaAckTimeout", replicaAckTimeout, "must be below socketTimeout (" + socketTimeout + ")");
        if (client != null) {
            ConfigurationException.check(user == null && password == null && !ssl, "user/password/ssl",
                    "set", "apply only when the store builds its own client (configure the shared client instead)");
        }
        ConfigurationException.check(user == null || password != null, "user", user, "needs a password");
        ConfigurationException.check(writerQueueCapacity >= writerThreads, "writerQueueCapacity",
                writerQueueCapacity, "must be at least writerThreads (" + writerThreads + ")");
    }

    /** A copy of the envelope key (null when envelope authentication is off). */
    @Override
    public byte[] envelopeKey() {
        return envelopeKey == null ? null : envelopeKey.clone();
    }

    /** Connect + socket timeout: how long an append may wait in the writer queue before it is failed unsent. */
    public Duration appendBudget() {
        return connectTimeout.plus(socketTimeout);
    }

    private String target() {
        return standalone != null ? "standalone=" + standalone
                : cluster != null ? "cluster=" + cluster
                : sentinels != null ? "sentinel=" + sentinelMaster + "@" + sentinels
                : "client=" + client.getClass().getSimpleName() + " (shared)";
    }

    @Override
    public String toString() {
        return target() + ", namespace=" + namespace + ", shards=" + shards + ", maxBacklogPerShard="
                + maxBacklogPerShard + ", maxBodySize=" + maxBodySize + ", user=" + user
                + ", password=" + (password != null ? "****" : "none") + ", ssl=" + ssl
                + ", connectTimeout=" + connectTimeout + ", socketTimeout=" + socketTimeout + ", poolSize="
                + poolSize + ", writerThreads=" + writerThreads + ", maxBatchSize=" + maxBatchSize
                + ", writerQueueCapacity=" + writerQueueCapacity
                + ", envelopeAuthentication=" + (envelopeKey == null ? "off" : "HMAC-SHA256")
                + ", replicaAcks=" + (replicaAcks == 0 ? "off" : replicaAcks + " within " + replicaAckTimeout)
                + (sentinels != null ? ", sentinelUser=" + sentinelUser + ", sentinelPassword="
                + (sentinelPassword != null ? "****" : "none") + ", sentinelSsl=" + sentinelSsl : "");
    }
}
