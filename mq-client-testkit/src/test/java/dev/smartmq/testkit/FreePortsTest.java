package dev.smartmq.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A reserved port is never one the kernel can hand to someone else before the server binds it. Found by CI (stop 25):
 * a forked broker's HA port, found free and reserved by {@code FreePorts.find()} (which asked the kernel for port 0,
 * an ephemeral port), was taken before the broker JVM bound it ({@code BindException: Address already in use} in
 * {@code BrokerPortsIT}) — any outgoing connection on the machine draws its local port from the same ephemeral range.
 * Linux only (reads {@code /proc/sys/net/ipv4/ip_local_port_range}).
 */
class FreePortsTest {

    private static final Path RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

    @Test
    void aReservedPortAndItsCompanionsLieOutsideTheEphemeralRange() throws IOException {
        assumeTrue(Files.isReadable(RANGE), "needs " + RANGE);
        String[] range;
        try (BufferedReader r = Files.newBufferedReader(RANGE, StandardCharsets.US_ASCII)) {
            range = r.readLine().trim().split("\\s+"); // Files.readString sees one byte of a /proc file
        }
        int low = Integer.parseInt(range[0]);
        int high = Integer.parseInt(range[1]);
        for (int i = 0; i < 50; i++) {
            int p = FreePorts.find();
            assertFalse(p >= low && p <= high, "port " + p + " inside the ephemeral range " + low + "-" + high);
            int q = FreePorts.findWithCompanions(-2);
            assertFalse(q - 2 >= low && q <= high, "port " + q + " (and " + (q - 2) + ") inside " + low + "-" + high);
            int c = FreePorts.findWithCompanions(10000);
            assertFalse(c >= low && c <= high, "cluster port " + c + " inside " + low + "-" + high);
            assertFalse(c + 10000 >= low && c + 10000 <= high, "bus port " + (c + 10000) + " inside " + low + "-" + high);
        }
    }

    @Test
    void oneJvmNeverReservesTheSamePortTwiceWhileItIsStillFree() {
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            int p = FreePorts.find();
            assertTrue(seen.add(p), "port " + p + " handed out twice before anyone bound it");
            assertTrue(FreePorts.isFree(p), "port " + p + " is free");
        }
        assertEquals(300, seen.size());
    }

    /**
     * Reservations made before any server binds (a cluster's brokers are all reserved, then started) never share a
     * port, companions included: broker 1's {@code listenPort - 2} must not be broker 0's HA port.
     */
    @Test
    void reservationsAndTheirCompanionsNeverOverlapBeforeAnythingIsBound() {
        Set<Integer> taken = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            int broker = FreePorts.findWithCompanions(-2);
            assertTrue(taken.add(broker), "listen port " + broker + " already reserved");
            assertTrue(taken.add(broker - 2), "companion " + (broker - 2) + " of " + broker + " already reserved");
            int ha = FreePorts.find();
            assertTrue(taken.add(ha), "port " + ha + " already reserved (as a port or a companion)");
            int redis = FreePorts.findWithCompanions(10000);
            assertTrue(taken.add(redis), "port " + redis + " already reserved");
            assertTrue(taken.add(redis + 10000), "bus port " + (redis + 10000) + " already reserved");
        }
    }
}
