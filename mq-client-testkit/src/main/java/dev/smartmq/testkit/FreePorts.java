package dev.smartmq.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Finds free TCP ports on loopback for servers a test starts a moment later, possibly in another JVM.
 *
 * <p>Ports are taken from below the kernel's ephemeral range (Linux: {@code /proc/sys/net/ipv4/ip_local_port_range},
 * 32768–60999 by default), never from it: between "found free" and "bound by the server" an ephemeral port can be
 * handed to any outgoing connection or {@code bind(0)} on the machine (CI saw a forked broker's HA port taken that
 * way), a port below the range only to someone who asks for it by number. One JVM walks that range with a cursor from
 * a random start and remembers what it handed out, companions included, so no two reservations share a port even
 * when nothing is bound yet (a cluster's brokers are all reserved before the first starts; asking the kernel for
 * port 0 could give the same port twice); a random start keeps two JVMs apart. Once the whole range has been handed
 * out the memory is forgotten and only "free right now" counts. Thread-safe.
 */
public final class FreePorts {

    /** The lowest port handed out: above the registered services most machines run. */
    static final int FLOOR = 10_000;

    private static final int[] EPHEMERAL = ephemeralRange();
    private static final int CEILING = EPHEMERAL[0] - 1;
    private static final AtomicInteger CURSOR =
            new AtomicInteger(ThreadLocalRandom.current().nextInt(Math.max(1, CEILING - FLOOR + 1)));
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private FreePorts() {
    }

    /** A port that was free a moment ago on 127.0.0.1, outside the ephemeral range. */
    public static int find() {
        return findWithCompanions();
    }

    /**
     * A port {@code p} such that {@code p} and {@code p + offsets...} were all free a moment ago and lie outside the
     * ephemeral range (RocketMQ's broker also binds {@code listenPort - 2}; Redis Cluster binds {@code port + 10000}).
     */
    public static int findWithCompanions(int... offsets) {
        int size = CEILING - FLOOR + 1;
        if (size < 1_000) { // an unusual kernel set-up leaves no room below the range: the kernel's choice
            return kernelChoice(offsets);
        }
        for (int round = 0; round < 2; round++) {
            for (int attempt = 0; attempt < size; attempt++) {
                int p = FLOOR + Math.floorMod(CURSOR.getAndIncrement(), size);
                if (usable(p) && isFree(p) && companionsFree(p, offsets) && handOut(p, offsets)) {
                    return p;
                }
            }
            HANDED_OUT.clear(); // every port was handed out once: from now on "free right now" is all that counts
        }
        throw new IllegalStateException("no free port in " + FLOOR + "-" + CEILING + " with companions at offsets "
                + java.util.Arrays.toString(offsets));
    }

    /** Whether {@code port} can be bound on loopback right now. */
    public static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The kernel's ephemeral port range {@code [low, high]}; 32768–65535 where it cannot be read (covers all). */
    static int[] ephemeralRange() {
        Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        // Files.readString reads a /proc file's first byte only (its size is reported as 0): read a line.
        try (BufferedReader r = Files.newBufferedReader(range, StandardCharsets.US_ASCII)) {
            String[] parts = r.readLine().trim().split("\\s+");
            return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
        } catch (IOException | RuntimeException e) {
            return new int[] {32_768, 65_535};
        }
    }

    private static boolean usable(int port) {
        return port >= 1024 && port <= 65_535 && (port < EPHEMERAL[0] || port > EPHEMERAL[1])
                && !HANDED_OUT.contains(port);
    }

    /** Records {@code p} and its companions as handed out; false (and records nothing) if another thread was first. */
    private static synchronized boolean handOut(int p, int... offsets) {
        if (HANDED_OUT.contains(p)) {
            return false;
        }
        for (int off : offsets) {
            if (HANDED_OUT.contains(p + off)) {
                return false;
            }
        }
        HANDED_OUT.add(p);
        for (int off : offsets) {
            HANDED_OUT.add(p + off);
        }
        return true;
    }

    private static boolean companionsFree(int p, int... offsets) {
        for (int off : offsets) {
            if (!usable(p + off) || !isFree(p + off)) {
                return false;
            }
        }
        return true;
    }

    private static int kernelChoice(int... offsets) {
        for (int attempt = 0; attempt < 200; attempt++) {
            int p;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                s.setReuseAddress(true);
                p = s.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException("no free port on loopback", e);
            }
            boolean ok = true;
            for (int off : offsets) {
                int q = p + off;
                if (q < 1024 || q > 65_535 || !isFree(q)) {
                    ok = false;
                    break;
                }
            }
            if (ok) {
                return p;
            }
        }
        throw new IllegalStateException("no free port with companions at offsets " + java.util.Arrays.toString(offsets));
    }
}
