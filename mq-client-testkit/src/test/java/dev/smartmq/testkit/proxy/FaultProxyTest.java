package dev.smartmq.testkit.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.testkit.FreePorts;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FaultProxyTest {

    private static final Duration SHORT = Duration.ofMillis(500);
    private static final Duration LONG = Duration.ofSeconds(20);

    private EchoServer echo;
    private FaultProxy proxy;

    @BeforeEach
    void setUp() throws IOException {
        echo = new EchoServer();
        proxy = FaultProxy.start("127.0.0.1", echo.port());
    }

    @AfterEach
    void tearDown() throws Exception {
        proxy.close();
        echo.close();
    }

    @Test
    void forwardsBytesBothWays() throws Exception {
        assertEquals("127.0.0.1:" + proxy.port(), proxy.address());
        try (Socket c = connect(proxy)) {
            roundTrip(c, "hello");
            assertEquals(1, proxy.activeConnections()); // the round trip proves the proxy accepted it

            byte[] payload = new byte[512 * 1024];
            new Random(42).nextBytes(payload);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    c.getOutputStream().write(payload);
                    c.getOutputStream().flush();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            c.setSoTimeout((int) LONG.toMillis());
            byte[] back = new byte[payload.length];
            new DataInputStream(c.getInputStream()).readFully(back);
            writer.get(LONG.toSeconds(), TimeUnit.SECONDS);
            assertArrayEquals(payload, back);
            // The proxy counts a chunk just after writing it, so the client may be a moment ahead.
            long expected = 2L * (5 + payload.length);
            await().atMost(LONG).until(() -> proxy.bytesForwarded() == expected);
            assertEquals(expected, proxy.bytesForwarded());
        }
        await().atMost(LONG).until(() -> proxy.activeConnections() == 0);
    }

    @Test
    void blackHoleHoldsTrafficAndHealResumesIt() throws Exception {
        try (Socket existing = connect(proxy)) {
            roundTrip(existing, "before");
            proxy.blackHole();

            write(existing, "held-1");
            existing.setSoTimeout((int) SHORT.toMillis());
            assertThrows(SocketTimeoutException.class, () -> existing.getInputStream().read());

            try (Socket during = connect(proxy)) {
                write(during, "held-2");
                during.setSoTimeout((int) SHORT.toMillis());
                assertThrows(SocketTimeoutException.class, () -> during.getInputStream().read());
                assertEquals(1, echo.accepted(), "the proxy must not reach the server while black-holed");
                await().atMost(LONG).until(() -> proxy.activeConnections() == 2); // black-holed ones stay open

                proxy.heal();

                try (Socket after = connect(proxy)) {
                    roundTrip(after, "after");
                }
                // Documented: connections that lived through the black hole resume with the held data.
                assertEquals("held-1", read(existing, 6));
                assertEquals("held-2", read(during, 6));
            }
        }
    }

    @Test
    void latencyDelaysEveryChunkInBothDirections() throws Exception {
        Duration delay = Duration.ofMillis(300);
        try (Socket c = connect(proxy)) {
            roundTrip(c, "warm");
            proxy.latency(delay);
            long start = System.nanoTime();
            roundTrip(c, "slow");
            long elapsed = System.nanoTime() - start;
            assertTrue(elapsed >= 2 * delay.toNanos(),
                    "round trip through two delayed directions took only " + elapsed + " ns");

            proxy.heal();
            roundTrip(c, "fast");
        }
        assertThrows(IllegalArgumentException.class, () -> proxy.latency(Duration.ofMillis(-1)));
    }

    @Test
    void cutConnectionsResetsClientsAndStillAcceptsNewOnes() throws Exception {
        try (Socket c = connect(proxy)) {
            roundTrip(c, "ok");
            proxy.cutConnections();
            c.setSoTimeout((int) LONG.toMillis());
            assertResetOrEof(c);
            await().atMost(LONG).until(() -> proxy.activeConnections() == 0);
        }
        try (Socket c = connect(proxy)) {
            roundTrip(c, "again");
        }
    }

    @Test
    void refuseClosesNewConnectionsAtOnceAndLeavesExistingOnes() throws Exception {
        try (Socket existing = connect(proxy)) {
            roundTrip(existing, "one");
            proxy.refuse(true);
            try (Socket refused = connect(proxy)) {
                refused.setSoTimeout((int) LONG.toMillis());
                assertEquals("eof", readOutcome(refused));
            }
            assertEquals(1, echo.accepted(), "a refused connection never reaches the server");
            roundTrip(existing, "two");

            proxy.refuse(false);
            try (Socket c = connect(proxy)) {
                roundTrip(c, "three");
            }
        }
    }

    @Test
    void unreachableServerResetsTheClient() throws Exception {
        try (FaultProxy nowhere = FaultProxy.start("127.0.0.1", FreePorts.find())) {
            Socket c;
            try {
                c = connect(nowhere);
            } catch (IOException e) {
                // The reset can beat the end of the client's own connect() on a busy machine: same verdict.
                c = null;
            }
            if (c != null) {
                try (Socket s = c) {
                    s.setSoTimeout((int) LONG.toMillis());
                    assertResetOrEof(s);
                }
            }
            await().atMost(LONG).until(() -> nowhere.activeConnections() == 0);
        }
    }

    @Test
    void closeFreesThePortAndEndsEveryThread() throws Exception {
        int port = proxy.port();
        Socket active = connect(proxy);
        roundTrip(active, "x");
        proxy.blackHole();
        write(active, "held");                // a pump now holds a chunk
        Socket waiting = connect(proxy);      // a connection now waits to reach the server
        await().atMost(LONG).until(() -> proxy.activeConnections() == 2);
        assertFalse(proxyThreads(port).isEmpty());

        proxy.close();

        assertEquals(List.of(), proxyThreads(port));
        assertTrue(FreePorts.isFree(port), "port " + port + " is free after close");
        active.setSoTimeout((int) LONG.toMillis());
        waiting.setSoTimeout((int) LONG.toMillis());
        assertResetOrEof(active);
        assertResetOrEof(waiting);
        active.close();
        waiting.close();
        proxy.close(); // idempotent

        // The same port can be proxied again at once (e.g. to "restart" a server behind it).
        proxy = FaultProxy.start(port, "127.0.0.1", echo.port());
        assertEquals(port, proxy.port());
        try (Socket c = connect(proxy)) {
            roundTrip(c, "reborn");
        }
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> FaultProxy.start("127.0.0.1", 0));
        assertThrows(IllegalArgumentException.class, () -> FaultProxy.start(" ", 80));
        assertThrows(IllegalArgumentException.class, () -> FaultProxy.start(70000, "127.0.0.1", 80));
    }

    private static List<String> proxyThreads(int port) {
        String prefix = "smartmq-proxy-" + port + "-";
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(prefix) && t.isAlive())
                .map(Thread::getName)
                .collect(Collectors.toList());
    }

    private static Socket connect(FaultProxy p) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", p.port()), (int) LONG.toMillis());
        return s;
    }

    private static void write(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static String read(Socket s, int n) throws IOException {
        s.setSoTimeout((int) LONG.toMillis());
        byte[] buf = new byte[n];
        new DataInputStream(s.getInputStream()).readFully(buf);
        return new String(buf, StandardCharsets.US_ASCII);
    }

    private static void roundTrip(Socket s, String text) throws IOException {
        write(s, text);
        assertEquals(text, read(s, text.length()));
    }

    private static void assertResetOrEof(Socket s) {
        String outcome = readOutcome(s);
        assertTrue(outcome.equals("reset") || outcome.equals("eof"), "expected reset or eof, but was " + outcome);
    }

    /** What the next read sees: "data", "eof", "reset" (an I/O error) or "timeout". */
    private static String readOutcome(Socket s) {
        try {
            return s.getInputStream().read() < 0 ? "eof" : "data";
        } catch (SocketTimeoutException e) {
            return "timeout";
        } catch (IOException e) {
            return "reset";
        }
    }
}
