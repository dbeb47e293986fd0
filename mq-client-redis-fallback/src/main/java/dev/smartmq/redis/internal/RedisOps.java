package dev.smartmq.redis.internal;

import dev.smartmq.spi.FallbackStoreException;
import dev.smartmq.spi.FallbackStoreException.Reason;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * The store's access to Redis: script calls with the NOSCRIPT fallback, the one pipeline helper (grouped per
 * node on a cluster: {@link #pipelined}, {@link #runPipeline}, {@link #evalEach}), and the one place where Jedis
 * failures become {@link FallbackStoreException}s.
 *
 * <p>Thread rules: thread-safe (Jedis clients are; each pipeline is used by the calling thread only).
 * {@link #close()} closes the client if the store built it and stops the cluster pipeline threads.
 */
public final class RedisOps {

    private static final Logger LOG = LoggerFactory.getLogger(RedisOps.class);

    private final UnifiedJedis jedis;
    private final boolean ownsClient;
    private final ExecutorService pipelineExecutor;
    /** Re-reads a cluster's slot map (null: not a cluster we built). */
    private volatile Runnable topologyRenewal;
    private final java.util.concurrent.atomic.AtomicLong lastRenewalNanos =
            new java.util.concurrent.atomic.AtomicLong(System.nanoTime() - 1_000_000_000L);

    /**
     * @param pipelineExecutor threads that read the replies of the nodes of a cluster pipeline in parallel
     *                         (shut down by {@link #close()}); null for a standalone server
     */
    public RedisOps(UnifiedJedis jedis, boolean ownsClient, ExecutorService pipelineExecutor) {
        this.jedis = jedis;
        this.ownsClient = ownsClient;
        this.pipelineExecutor = pipelineExecutor;
    }

    /**
     * Sets how to re-read a cluster's slot map. Jedis renews it when a single command gets {@code MOVED} or loses its
     * connection, but not when a pipelined one does: without this, a store that only pipelines (backlog reads) kept
     * sending to a dead master's address after a failover. Renewals run at most every {@value #RENEW_MIN_MILLIS} ms.
     */
    public void onTopologyChange(Runnable renewal) {
        this.topologyRenewal = renewal;
    }

    private static final long RENEW_MIN_MILLIS = 200;

    private void renewTopology() {
        Runnable r = topologyRenewal;
        if (r == null) {
            return;
        }
        long now = System.nanoTime();
        long last = lastRenewalNanos.get();
        if (now - last < RENEW_MIN_MILLIS * 1_000_000 || !lastRenewalNanos.compareAndSet(last, now)) {
            return;
        }
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.debug("re-reading the cluster slot map failed: {}", e.toString());
        }
    }

    public UnifiedJedis jedis() {
        return jedis;
    }

    public boolean isCluster() {
        return jedis instanceof JedisCluster;
    }

    /** Runs a script by EVALSHA, or by EVAL when the server does not have it cached (after a restart). */
    public Object eval(Scripts.Script script, List<byte[]> keys, List<byte[]> args) {
        try {
            return jedis.evalsha(script.sha(), keys, args);
        } catch (JedisNoScriptException e) {
            LOG.debug("script {} not cached on the server; sending it with EVAL", script.name());
            return jedis.eval(script.body(), keys, args);
        }
    }

    /**
     * A new pipeline. On a cluster it sends each command to the node of its key and reads the nodes'
     * replies in parallel; a node that fails leaves only its own replies unset.
     */
    public AbstractPipeline pipeline() {
        if (jedis instanceof JedisCluster cluster) {
            return cluster.pipelined(pipelineExecutor);
        }
        return jedis.pipelined();
    }

    /** Fills a pipeline. */
    @FunctionalInterface
    public interface PipelineBody<T> {
        T fill(AbstractPipeline p);
    }

    /**
     * The outcome of {@link #pipelined}: what the body returned (its responses; null if the body did not finish)
     * and the failure of opening, filling, syncing or closing the pipeline, if any. Replies are read by the
     * caller, each may fail on its own.
     */
    public record Sent<T>(T responses, RuntimeException error) {
    }

    /** Opens a pipeline, fills it, syncs and closes it; never throws: a failure is in {@link Sent#error()}. */
    public <T> Sent<T> pipelined(PipelineBody<T> body) {
        T rs = null;
        RuntimeException error = null;
        AbstractPipeline p = null;
        try {
            p = pipeline();
            rs = body.fill(p);
            p.sync();
        } catch (RuntimeException e) {
            error = e;
        } finally {
            if (p != null) {
                try {
                    p.close();
                } catch (RuntimeException e) {
                    if (error == null) {
                        error = e;
                    }
                }
            }
        }
        return new Sent<>(rs, error);
    }

    /** Sends the commands in one pipeline and returns their replies; any failure (of the batch or one reply) is thrown. */
    public <R extends Response<?>> List<R> runPipeline(String what, PipelineBody<List<R>> body) {
        Sent<List<R>> sent = pipelined(body);
        if (sent.error() != null) {
            throw failure(what, sent.error());
        }
        for (Response<?> r : sent.responses()) {
            try {
                r.get();
            } catch (RuntimeException e) {
                throw failure(what, e);
            }
        }
        return sent.responses();
    }

    /** One call of a script: its keys and arguments. */
    public record Call(List<byte[]> keys, List<byte[]> args) {
    }

    /**
     * Runs {@code script} once per call, all by EVALSHA in one pipeline (one round trip per node; a single call
     * goes alone), and returns the replies in order; a call the server refused with NOSCRIPT (script cache lost:
     * restart, SCRIPT FLUSH) is run again alone by EVAL. Only for calls whose order among themselves does not
     * matter (acks, leases, recovery, purges). Any other failure is thrown.
     */
    public List<Object> evalEach(String what, Scripts.Script script, List<Call> calls) {
        if (calls.size() == 1) {
            try {
                return java.util.Collections.singletonList(eval(script, calls.get(0).keys(), calls.get(0).args()));
            } catch (RuntimeException e) {
                throw failure(what, e);
            }
        }
        Sent<List<Response<Object>>> sent = pipelined(p -> {
            List<Response<Object>> out = new ArrayList<>(calls.size());
            calls.forEach(c -> out.add(p.evalsha(script.sha(), c.keys(), c.args())));
            return out;
        });
        if (sent.error() != null) {
            throw failure(what, sent.error());
        }
        List<Object> replies = new ArrayList<>(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            try {
                replies.add(sent.responses().get(i).get());
            } catch (JedisNoScriptException e) {
                try {
                    replies.add(eval(script, calls.get(i).keys(), calls.get(i).args()));
                } catch (RuntimeException ex) {
                    throw failure(what, ex);
                }
            } catch (RuntimeException e) {
                throw failure(what, e);
            }
        }
        return replies;
    }

    /** The sum of the integer replies of {@link #evalEach}. */
    public long sumEach(String what, Scripts.Script script, List<Call> calls) {
        long total = 0;
        for (Object r : evalEach(what, script, calls)) {
            total += (Long) r;
        }
        return total;
    }

    /** Maps a Jedis failure to the SPI exception, with a message that says what was being done. */
    public FallbackStoreException failure(String what, RuntimeException e) {
        if (e instanceof FallbackStoreException f) {
            return f;
        }
        if (isConnectionFailure(e)) {
            onConnectionFailure();
            renewTopology();
            return new FallbackStoreException(Reason.UNAVAILABLE, what + ": Redis unavailable (" + e.getMessage() + ")", e);
        }
        if (e instanceof JedisDataException) {
            String msg = String.valueOf(e.getMessage());
            if (msg.startsWith("LOADING") || msg.startsWith("CLUSTERDOWN") || msg.startsWith("TRYAGAIN")
                    || msg.startsWith("MASTERDOWN") || msg.startsWith("BUSY") || msg.startsWith("MOVED")
                    || msg.startsWith("ASK") || msg.startsWith("READONLY")) {
                if (msg.startsWith("MOVED") || msg.startsWith("CLUSTERDOWN")) {
                    renewTopology();
                }
                // refused before it ran (a script aborts on its first refused write): nothing was written
                return new FallbackStoreException(Reason.UNAVAILABLE, what + ": Redis not ready (" + msg + ")", e, true);
            }
            return new FallbackStoreException(Reason.REJECTED, what + ": Redis rejected the request (" + msg + ")", e);
        }
        return new FallbackStoreException(Reason.UNAVAILABLE, what + ": " + e, e);
    }

    public static boolean isConnectionFailure(Throwable e) {
        return e instanceof JedisConnectionException || e instanceof JedisAccessControlException
                || (e instanceof JedisException && !(e instanceof JedisDataException));
    }

    /**
     * After a connection failure, drop the idle pooled connections of a client we built: after a server
     * restart they are all dead, and each would otherwise fail one more call before the pool notices.
     */
    public void onConnectionFailure() {
        if (ownsClient && jedis instanceof JedisPooled pooled) {
            try {
                pooled.getPool().clear();
            } catch (RuntimeException e) {
                LOG.debug("could not clear the connection pool", e);
            }
        }
    }

    /**
     * {@code CONFIG GET name} on every master (one for standalone). A node that forbids CONFIG answers
     * with an error string instead of a value.
     */
    public Map<String, String> configGetEveryNode(String name) {
        Map<String, String> result = new java.util.LinkedHashMap<>();
        if (jedis instanceof JedisCluster cluster) {
            for (Map.Entry<String, ConnectionPool> node : cluster.getClusterNodes().entrySet()) {
                try (Connection c = node.getValue().getResource()) {
                    result.put(node.getKey(), configValue(c.executeCommand(
                            new CommandArguments(Protocol.Command.CONFIG).add("GET").add(name)), name));
                } catch (RuntimeException e) {
                    result.put(node.getKey(), "error: " + e.getMessage());
                }
            }
        } else {
            try {
                result.put("server", configValue(jedis.sendCommand(Protocol.Command.CONFIG, "GET", name), name));
            } catch (RuntimeException e) {
                result.put("server", "error: " + e.getMessage());
            }
        }
        return result;
    }

    private static String configValue(Object reply, String name) {
        if (reply instanceof List<?> list) {
            List<String> items = new ArrayList<>();
            for (Object o : list) {
                items.add(o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o));
            }
            for (int i = 0; i + 1 < items.size(); i += 2) {
                if (items.get(i).equalsIgnoreCase(name)) {
                    return items.get(i + 1);
                }
            }
            return "error: not reported";
        }
        return "error: unexpected reply " + reply;
    }

    /** Closes the client if the store built it; a client the user passed in is left open. */
    public void close() {
        if (pipelineExecutor != null) {
            pipelineExecutor.shutdownNow();
        }
        if (ownsClient) {
            jedis.close();
        }
    }
}
