package dev.smartmq.redis.internal;

import dev.smartmq.api.internal.NamedThreadFactory;
import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.spi.FallbackStoreException.Reason;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.JedisSentineled;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.providers.ClusterConnectionProvider;

/**
 * Opens the Jedis client a store's {@link StoreSettings} ask for (pooled standalone, Sentinel-watched master,
 * cluster) or wraps the shared one, and the {@code smartmq-redis-pipeline-<n>} executor a cluster pipeline reads
 * its nodes' replies on. Its only job is turning settings into a {@link RedisOps}.
 *
 * <p>Thread rules: stateless; {@link #open} may be called from any thread. A cluster client reads the slot map
 * here, so an unreachable cluster fails with {@code UNAVAILABLE}; a standalone client connects lazily.
 */
public final class RedisClients {

    /** How often a cluster store re-reads the slot map even when nothing failed (it also does after a MOVED). */
    public static final Duration CLUSTER_TOPOLOGY_REFRESH = Duration.ofSeconds(5);

    private RedisClients() {
    }

    /** The connections of a store: the client, whether the store owns (and closes) it, the pipeline threads. */
    public static RedisOps open(StoreSettings s) {
        if (s.client() != null) {
            return new RedisOps(s.client(), false, s.client() instanceof JedisCluster ? newPipelineExecutor() : null);
        }
        DefaultJedisClientConfig.Builder cc = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis((int) s.connectTimeout().toMillis())
                .socketTimeoutMillis((int) s.socketTimeout().toMillis())
                .clientName("smartmq-fallback");
        if (s.password() != null) {
            cc.password(s.password());
        }
        if (s.user() != null) {
            cc.user(s.user());
        }
        if (s.ssl()) {
            cc.ssl(true);
            if (s.sslSocketFactory() != null) {
                cc.sslSocketFactory(s.sslSocketFactory());
            }
        }
        JedisClientConfig clientConfig = cc.build();
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(s.poolSize());
        pool.setMaxIdle(s.poolSize());
        pool.setMinIdle(0);
        pool.setMaxWait(s.connectTimeout().plus(s.socketTimeout()));
        pool.setBlockWhenExhausted(true);
        if (s.standalone() != null) {
            return new RedisOps(new JedisPooled(s.standalone(), clientConfig, pool), true, null);
        }
        if (s.sentinels() != null) {
            return new RedisOps(sentineled(s, clientConfig, pool), true, null);
        }
        ExecutorService exec = newPipelineExecutor();
        try {
            // Our own provider, so that a MOVED in a pipeline (which Jedis does not act on) can renew the slot
            // cache, and the cache is refreshed periodically too (issue 17: after a failover a store that only
            // pipelines kept sending to the dead master's address).
            ClusterConnectionProvider provider = new ClusterConnectionProvider(s.cluster(), clientConfig, pool,
                    CLUSTER_TOPOLOGY_REFRESH);
            JedisCluster jc = new JedisCluster(provider, 3, s.socketTimeout().multipliedBy(3));
            RedisOps ops = new RedisOps(jc, true, exec);
            ops.onTopologyChange(provider::renewSlotCache);
            return ops;
        } catch (RuntimeException e) {
            exec.shutdownNow();
            throw new FallbackStoreException(Reason.UNAVAILABLE, "cannot reach Redis Cluster " + s.cluster()
                    + ": " + e.getMessage(), e);
        }
    }

    private static UnifiedJedis sentineled(StoreSettings s, JedisClientConfig masterConfig, ConnectionPoolConfig pool) {
        DefaultJedisClientConfig.Builder sc = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis((int) s.connectTimeout().toMillis())
                .socketTimeoutMillis((int) s.socketTimeout().toMillis())
                .clientName("smartmq-fallback-sentinel");
        if (s.sentinelPassword() != null) {
            sc.password(s.sentinelPassword());
        }
        if (s.sentinelUser() != null) {
            sc.user(s.sentinelUser());
        }
        if (s.sentinelSsl()) {
            sc.ssl(true);
            if (s.sslSocketFactory() != null) {
                sc.sslSocketFactory(s.sslSocketFactory());
            }
        }
        try {
            return new JedisSentineled(s.sentinelMaster(), masterConfig, pool, s.sentinels(), sc.build());
        } catch (RuntimeException e) {
            throw new FallbackStoreException(Reason.UNAVAILABLE, "cannot find master '" + s.sentinelMaster()
                    + "' through Sentinels " + s.sentinels() + ": " + e.getMessage(), e);
        }
    }

    private static ExecutorService newPipelineExecutor() {
        return Executors.newCachedThreadPool(new NamedThreadFactory("redis-pipeline"));
    }
}
