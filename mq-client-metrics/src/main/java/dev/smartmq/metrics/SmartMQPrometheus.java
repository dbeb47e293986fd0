package dev.smartmq.metrics;

import com.codahale.metrics.MetricRegistry;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Exposes a Dropwizard {@link MetricRegistry} to Prometheus, with {@code prometheus-metrics-instrumentation-dropwizard}.
 *
 * <pre>{@code
 * // into a PrometheusRegistry the application already serves:
 * SmartMQPrometheus.register(metricRegistry, prometheusRegistry);
 * // or a dedicated endpoint at http://127.0.0.1:9404/metrics (loopback only: a local agent scrapes it):
 * try (SmartMQPrometheus.Endpoint endpoint = SmartMQPrometheus.serve(metricRegistry, 9404)) { ... }
 * // or on an address you choose, e.g. the interface your scraper reaches:
 * SmartMQPrometheus.serve(metricRegistry, "10.0.0.5", 9404);
 * }</pre>
 *
 * <p>Security: the endpoint has no authentication and shows topic and group names, rates and the switch
 * state. So it binds loopback unless the caller names another address; binding {@code 0.0.0.0} is a deliberate
 * choice, best behind a firewall or a proxy that authenticates.
 *
 * <p>Metrics are read at scrape time (nothing is copied in between). Names are sanitized the Prometheus
 * way: every character outside {@code [a-zA-Z0-9_:]} becomes {@code _}, counters and meters get the
 * {@code _total} suffix, timers become summaries in seconds (see the module README for the table).
 *
 * <p>Never uses {@link PrometheusRegistry#defaultRegistry}: {@link #serve} creates a private registry per
 * endpoint. The endpoint's HTTP threads ({@code smartmq-metrics-http-<n>}, daemon) are shut down by
 * {@link Endpoint#close()}, which also releases the port.
 */
public final class SmartMQPrometheus {

    private SmartMQPrometheus() {
    }

    /**
     * Registers a collector for every metric of {@code registry} (now and added later) in
     * {@code prometheusRegistry}. The caller owns both registries.
     */
    public static void register(MetricRegistry registry, PrometheusRegistry prometheusRegistry) {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(prometheusRegistry, "prometheusRegistry");
        DropwizardExports.builder().dropwizardRegistry(registry).register(prometheusRegistry);
    }

    /**
     * Serves {@code registry} at {@code http://127.0.0.1:<port>/metrics}: loopback only, for a scraper or agent
     * on the same host. To let a remote scraper in, name the address with
     * {@link #serve(MetricRegistry, String, int)} or {@link #serve(MetricRegistry, InetSocketAddress)}.
     *
     * @throws UncheckedIOException if the port cannot be bound
     */
    public static Endpoint serve(MetricRegistry registry, int port) {
        checkPort(port);
        return serve(registry, new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }

    /**
     * Serves {@code registry} at {@code http://<bindAddress>:<port>/metrics}. {@code bindAddress} is an IP
     * literal or host name of this machine; {@code "0.0.0.0"} binds every interface (no authentication: do it
     * on purpose).
     *
     * @throws IllegalArgumentException if {@code bindAddress} is blank or does not resolve
     * @throws UncheckedIOException     if the address cannot be bound
     */
    public static Endpoint serve(MetricRegistry registry, String bindAddress, int port) {
        if (bindAddress == null || bindAddress.isBlank()) {
            throw new IllegalArgumentException("bindAddress must not be blank, but was '" + bindAddress + "'");
        }
        checkPort(port);
        InetAddress address;
        try {
            address = InetAddress.getByName(bindAddress.trim());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bindAddress '" + bindAddress + "' does not resolve", e);
        }
        return serve(registry, new InetSocketAddress(address, port));
    }

    /**
     * Serves {@code registry} at {@code http://<address>/metrics}. Port 0 picks a free port
     * ({@link Endpoint#port()}).
     *
     * @throws UncheckedIOException if the address cannot be bound
     */
    public static Endpoint serve(MetricRegistry registry, InetSocketAddress address) {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(address, "address");
        checkPort(address.getPort());
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("address must be resolved, but was " + address);
        }
        PrometheusRegistry prometheusRegistry = new PrometheusRegistry();
        register(registry, prometheusRegistry);
        ExecutorService executor = newExecutor();
        HTTPServer server;
        try {
            server = HTTPServer.builder()
                    .inetAddress(address.getAddress())
                    .port(address.getPort())
                    .registry(prometheusRegistry)
                    .executorService(executor)
                    .buildAndStart();
        } catch (IOException e) {
            executor.shutdownNow();
            throw new UncheckedIOException("could not serve SmartMQ metrics on " + address + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            executor.shutdownNow();
            throw e;
        }
        if (address.getPort() != 0 && server.getPort() != address.getPort()) {
            // prometheus.properties (io.prometheus.exporter.httpServer.port) overrides the builder's port.
            server.close();
            throw new IllegalStateException("asked to serve SmartMQ metrics on port " + address.getPort()
                    + " but the Prometheus configuration bound port " + server.getPort()
                    + " (io.prometheus.exporter.httpServer.port); remove that setting or use the same port");
        }
        return new Endpoint(server, address.getAddress() == null || address.getAddress().isAnyLocalAddress()
                ? "0.0.0.0" : address.getAddress().getHostAddress());
    }

    private static void checkPort(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, but was " + port);
        }
    }

    private static ExecutorService newExecutor() {
        AtomicInteger n = new AtomicInteger();
        ThreadFactory threads = r -> {
            Thread t = new Thread(r, "smartmq-metrics-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        // Scrapes are rare and cheap: one thread normally, a few under a burst, bounded queue.
        return new ThreadPoolExecutor(1, 4, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(32), threads);
    }

    /** A running {@code /metrics} endpoint. {@link #close()} stops it and releases the port; idempotent. */
    public static final class Endpoint implements AutoCloseable {
        private final HTTPServer server;
        private final String host;
        private final int port;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Endpoint(HTTPServer server, String host) {
            this.server = server;
            this.host = host;
            this.port = server.getPort();
        }

        /** The address bound ({@code 0.0.0.0} for every interface). */
        public String host() {
            return host;
        }

        /** The port actually bound. */
        public int port() {
            return port;
        }

        /** Whether {@link #close()} was called. */
        public boolean isClosed() {
            return closed.get();
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                server.close();
            }
        }

        @Override
        public String toString() {
            return "SmartMQPrometheus.Endpoint{http://" + host + ":" + port + "/metrics, closed=" + closed.get() + "}";
        }
    }
}
