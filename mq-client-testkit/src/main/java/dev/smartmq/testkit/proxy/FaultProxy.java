package dev.smartmq.testkit.proxy;

import static dev.smartmq.api.internal.Closeables.closeQuietly;

import dev.smartmq.api.internal.NamedThreadFactory;

import dev.smartmq.api.ConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy on {@code 127.0.0.1} in front of one server (a RocketMQ broker or name server, ZooKeeper,
 * Redis) that breaks the network on demand, so tests can cause network faults and not only process deaths.
 *
 * <p>Over 400 lines because the faults share one accept loop and one connection model: black hole, latency, cut and
 * refuse must each keep the no-drop, bounded rules stated below for every open connection, and the connection pump
 * is a nested type.
 *
 * <pre>{@code
 * try (FaultProxy proxy = FaultProxy.start("127.0.0.1", redis.port())) {
 *     client = connect(proxy.address());
 *     proxy.blackHole();   // the server looks hung: connections stay open, nothing gets through
 *     ...
 *     proxy.heal();
 * }
 * }</pre>
 *
 * <h2>Faults</h2>
 * <ul>
 *   <li>{@link #blackHole()} — a hung server. Connections (existing and new) stay open and nothing is
 *       forwarded either way, not even a close. Each direction of a connection reads <em>at most one chunk</em>
 *       ({@value #CHUNK_SIZE} bytes) and holds it; everything else stays unread in the kernel's socket
 *       buffers, so a sender that keeps writing meets ordinary TCP back-pressure. Nothing is dropped. New
 *       connections are accepted (as the kernel of a hung server does) but the proxy does not connect to
 *       the server until the black hole ends.</li>
 *   <li>{@link #latency(Duration)} — every chunk is forwarded no earlier than {@code delay} after the proxy
 *       read it, in each direction, so a request/response round trip gains at least {@code 2 × delay}.
 *       Chunks of one direction stay in order.</li>
 *   <li>{@link #cutConnections()} — every current connection is reset (RST on both sides, via
 *       {@code SO_LINGER 0}); new connections are still accepted.</li>
 *   <li>{@link #refuse(boolean)} — new connections are accepted and closed at once (the client sees an
 *       immediate end of stream), like a dead backend behind a load balancer; existing connections are not
 *       touched.</li>
 *   <li>{@link #heal()} — clears all of the above. <strong>Existing connections are not cut by
 *       {@code heal()}</strong>: a connection that lived through a black hole resumes, and the data held
 *       during the black hole is delivered, in order, as after a network partition that healed before TCP
 *       gave up. Call {@link #cutConnections()} as well to simulate a partition that outlived the
 *       connections.</li>
 * </ul>
 *
 * <p>If the server cannot be reached (connect refused or timed out after
 * {@link #DEFAULT_CONNECT_TIMEOUT}), the client's connection is reset.
 *
 * <h2>Resources</h2>
 * One acceptor thread, plus two threads per open connection (one per direction), named
 * {@code smartmq-proxy-<port>-<n>}, all daemons. At most {@link #DEFAULT_MAX_CONNECTIONS} connections are
 * open at once (past that, new ones are reset and a warning is logged); each direction buffers one chunk.
 * {@link #close()} stops listening, resets every connection and returns only when every proxy thread has
 * ended. Thread-safe: faults may be switched from any thread.
 */
public final class FaultProxy implements AutoCloseable {

    /** Open connections at most; past this, new connections are reset. */
    public static final int DEFAULT_MAX_CONNECTIONS = 256;
    /** How long the proxy waits for the server to accept a connection. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Bytes read, held and forwarded at once per direction of a connection. */
    public static final int CHUNK_SIZE = 16 * 1024;

    private static final Logger log = LoggerFactory.getLogger(FaultProxy.class);
    private static final int ACCEPT_BACKLOG = 64;
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
    private static final long ACCEPT_ERROR_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private enum State { LATENT, STARTED, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final String targetHost;
    private final int targetPort;
    private final ServerSocket server;
    private final int port;
    private final NamedThreadFactory threads;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final LongAdder bytesForwarded = new LongAdder();
    private final ReentrantLock gate = new ReentrantLock();
    private final Condition gateChanged = gate.newCondition();
    private volatile boolean blackHole;
    private volatile long latencyNanos;
    private volatile boolean refuse;
    private volatile Thread acceptor;

    private FaultProxy(ServerSocket server, String targetHost, int targetPort) {
        this.server = server;
        this.port = server.getLocalPort();
        this.threads = new NamedThreadFactory("proxy-" + port);
        this.targetHost = targetHost;
        this.targetPort = targetPort;
    }

    /** Starts a proxy to {@code targetHost:targetPort} on a free port of {@code 127.0.0.1}. */
    public static FaultProxy start(String targetHost, int targetPort) {
        return start(0, targetHost, targetPort);
    }

    /**
     * Starts a proxy to {@code targetHost:targetPort} on {@code 127.0.0.1:listenPort} ({@code 0}: a free
     * port). {@code SO_REUSEADDR} is set, so a proxy can be restarted on the port of one just closed.
     *
     * @throws UncheckedIOException if the port cannot be bound
     */
    public static FaultProxy start(int listenPort, String targetHost, int targetPort) {
        ConfigurationException.check(listenPort >= 0 && listenPort <= 65535, "listenPort", listenPort,
                "must be between 0 and 65535");
        ConfigurationException.check(targetHost != null && !targetHost.isBlank(), "targetHost", targetHost,
                "must not be null or blank");
        ConfigurationException.check(targetPort > 0 && targetPort <= 65535, "targetPort", targetPort,
                "must be between 1 and 65535");
        ServerSocket server = null;
        try {
            server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(loopback(), listenPort), ACCEPT_BACKLOG);
        } catch (IOException e) {
            closeQuietly(server);
            throw new UncheckedIOException("cannot listen on 127.0.0.1:" + listenPort, e);
        }
        FaultProxy proxy = new FaultProxy(server, targetHost, targetPort);
        proxy.begin();
        return proxy;
    }

    private void begin() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("already started");
        }
        acceptor = spawn(this::acceptLoop);
        log.debug("fault proxy 127.0.0.1:{} -> {}:{} started", port, targetHost, targetPort);
    }

    /** The port the proxy listens on. */
    public int port() {
        return port;
    }

    /** {@code "127.0.0.1:<port>"}, ready for a client's address setting. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    /** Stops forwarding in both directions on every connection, existing and new, until {@link #heal()}. */
    public void blackHole() {
        update(() -> blackHole = true);
        log.info("fault proxy {}: black hole", port);
    }

    /**
     * Delays every chunk by at least {@code delay} in each direction, until {@link #heal()};
     * {@link Duration#ZERO} removes the delay. Applies to chunks already waiting too.
     */
    public void latency(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        ConfigurationException.check(!delay.isNegative(), "delay", delay, "must not be negative");
        long nanos = delay.toNanos();
        update(() -> latencyNanos = nanos);
        log.info("fault proxy {}: latency {}", port, delay);
    }

    /** Resets (RST) every current connection on both sides. New connections are still accepted. */
    public void cutConnections() {
        List<Connection> snapshot = new ArrayList<>(connections);
        for (Connection c : snapshot) {
            c.abort();
        }
        log.info("fault proxy {}: cut {} connections", port, snapshot.size());
    }

    /** While {@code true}, new connections are accepted and closed at once; existing ones are not touched. */
    public void refuse(boolean refuse) {
        update(() -> this.refuse = refuse);
        log.info("fault proxy {}: refuse {}", port, refuse);
    }

    /**
     * Back to normal forwarding: clears the black hole, the latency and refusal. Existing connections are
     * kept, and the data held during a black hole is then forwarded.
     */
    public void heal() {
        update(() -> {
            blackHole = false;
            latencyNanos = 0;
            refuse = false;
        });
        log.info("fault proxy {}: healed", port);
    }

    /** Connections currently open through the proxy (accepted and not yet closed). */
    public int activeConnections() {
        return connections.size();
    }

    /** Bytes written onward so far, both directions together. */
    public long bytesForwarded() {
        return bytesForwarded.sum();
    }

    /**
     * Stops listening, resets every connection and waits for every proxy thread to end. Idempotent.
     */
    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) == State.CLOSED) {
            return;
        }
        closeQuietly(server);
        long deadline = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
        // The acceptor first: once it has ended, no connection can be added behind our back.
        join(acceptor, deadline);
        for (Connection c : new ArrayList<>(connections)) {
            c.abort();
        }
        signalAll();
        // Repeat: a connection thread may start its second pump while we join the first snapshot.
        boolean waited = true;
        long alive;
        while ((alive = aliveOthers()) > 0 && waited && System.nanoTime() < deadline) {
            for (Thread t : threads.threads()) {
                waited = waited && join(t, deadline);
            }
        }
        if (alive > 0) {
            log.warn("fault proxy {}: {} threads still alive after close ({})", port, alive,
                    waited ? "timed out after " + CLOSE_TIMEOUT : "interrupted");
        }
        log.debug("fault proxy 127.0.0.1:{} closed, {} bytes forwarded", port, bytesForwarded());
    }

    private long aliveOthers() {
        return threads.threads().stream().filter(t -> t != Thread.currentThread()).count();
    }

    @Override
    public String toString() {
        return "FaultProxy{" + address() + " -> " + targetHost + ":" + targetPort + ", blackHole=" + blackHole
                + ", latencyNanos=" + latencyNanos + ", refuse=" + refuse + ", connections=" + connections.size()
                + ", state=" + state.get() + "}";
    }

    private void acceptLoop() {
        while (state.get() == State.STARTED) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (state.get() != State.STARTED) {
                    return;
                }
                // e.g. out of file descriptors: pause so the loop does not spin.
                log.warn("fault proxy {}: accept failed: {}", port, e.toString());
                LockSupport.parkNanos(ACCEPT_ERROR_PAUSE_NANOS);
                continue;
            }
            if (refuse) {
                closeQuietly(client);
                continue;
            }
            if (connections.size() >= DEFAULT_MAX_CONNECTIONS) {
                log.warn("fault proxy {}: {} connections open, resetting a new one", port, DEFAULT_MAX_CONNECTIONS);
                reset(client);
                continue;
            }
            Connection c = new Connection(client);
            connections.add(c);
            spawn(c::connectAndForward);
        }
    }

    /**
     * Waits until a chunk read at {@code readAtNanos} may be forwarded: no black hole and its delay over.
     * Returns {@code false} if the connection or the proxy closed meanwhile.
     */
    private boolean awaitForwardable(long readAtNanos, Connection c) {
        if (!blackHole && latencyNanos == 0) {
            return !c.closed.get();
        }
        gate.lock();
        try {
            while (true) {
                if (c.closed.get() || state.get() == State.CLOSED) {
                    return false;
                }
                if (blackHole) {
                    gateChanged.await();
                    continue;
                }
                long wait = readAtNanos + latencyNanos - System.nanoTime();
                if (wait <= 0) {
                    return true;
                }
                gateChanged.awaitNanos(wait);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            gate.unlock();
        }
    }

    /** A connection waits here, before connecting to the server, while the server is black-holed. */
    private boolean awaitNoBlackHole(Connection c) {
        if (!blackHole) {
            return !c.closed.get();
        }
        gate.lock();
        try {
            while (blackHole) {
                if (c.closed.get() || state.get() == State.CLOSED) {
                    return false;
                }
                gateChanged.await();
            }
            return !c.closed.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            gate.unlock();
        }
    }

    private void update(Runnable change) {
        gate.lock();
        try {
            change.run();
            gateChanged.signalAll();
        } finally {
            gate.unlock();
        }
    }

    private void signalAll() {
        update(() -> { });
    }

    private Thread spawn(Runnable body) {
        Thread t = threads.newThread(body);
        t.start();
        return t;
    }

    /** One client connection and its connection to the server. */
    private final class Connection {
        private final Socket client;
        private volatile Socket upstream;
        private final AtomicBoolean closed = new AtomicBoolean();
        private final AtomicInteger directionsDone = new AtomicInteger();

        Connection(Socket client) {
            this.client = client;
        }

        /** Runs on the connection's first thread: connects, starts the server→client pump, pumps client→server. */
        void connectAndForward() {
            if (!awaitNoBlackHole(this)) {
                abort();
                return;
            }
            Socket s = new Socket();
            upstream = s;
            if (closed.get()) {
                // abort() may have run before it could see the new socket.
                reset(s);
                return;
            }
            try {
                s.setTcpNoDelay(true);
                client.setTcpNoDelay(true);
                s.connect(new InetSocketAddress(targetHost, targetPort), (int) DEFAULT_CONNECT_TIMEOUT.toMillis());
            } catch (IOException e) {
                if (!closed.get()) {
                    log.info("fault proxy {}: cannot reach {}:{}: {}", port, targetHost, targetPort, e.toString());
                }
                abort();
                return;
            }
            if (closed.get()) {
                reset(s);
                return;
            }
            spawn(() -> pump(s, client));
            pump(client, s);
        }

        private void pump(Socket from, Socket to) {
            byte[] buf = new byte[CHUNK_SIZE];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                while (true) {
                    int n = in.read(buf);
                    if (!awaitForwardable(System.nanoTime(), this)) {
                        return;
                    }
                    if (n < 0) {
                        to.shutdownOutput();
                        directionDone();
                        return;
                    }
                    out.write(buf, 0, n);
                    out.flush();
                    bytesForwarded.add(n);
                }
            } catch (IOException e) {
                // A reset or error on one side is passed on as a reset of the other.
                if (!closed.get()) {
                    log.debug("fault proxy {}: connection failed: {}", port, e.toString());
                }
                abort();
            }
        }

        private void directionDone() {
            if (directionsDone.incrementAndGet() == 2 && closed.compareAndSet(false, true)) {
                closeQuietly(client);
                closeQuietly(upstream);
                connections.remove(this);
            }
        }

        /** Resets both sides at once. Idempotent. */
        void abort() {
            if (closed.compareAndSet(false, true)) {
                reset(client);
                Socket s = upstream;
                if (s != null) {
                    reset(s);
                }
                connections.remove(this);
                signalAll();
            }
        }
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new IllegalStateException("127.0.0.1 is a valid address", e);
        }
    }

    /** Waits for {@code t} until the deadline; {@code false} if interrupted (the flag is kept). */
    private static boolean join(Thread t, long deadlineNanos) {
        if (t == null || t == Thread.currentThread() || Thread.currentThread().isInterrupted()) {
            return !Thread.currentThread().isInterrupted();
        }
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            return true;
        }
        try {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Closes with {@code SO_LINGER 0}, so the peer gets a RST instead of a FIN. */
    private static void reset(Socket s) {
        try {
            if (!s.isClosed()) {
                s.setSoLinger(true, 0);
            }
        } catch (IOException e) {
            log.trace("SO_LINGER not set: {}", e.toString());
        }
        closeQuietly(s);
    }
}
