package dev.smartmq.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.util.Collections;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Issue 20, security: the metrics endpoint is not open to the network unless the caller says so. */
class PrometheusBindTest {

    @Test
    void servingByPortBindsLoopbackOnly() throws Exception {
        try (SmartMQPrometheus.Endpoint endpoint = SmartMQPrometheus.serve(new MetricRegistry(), 0)) {
            assertTrue(endpoint.toString().contains("http://127.0.0.1:"), endpoint.toString());
            assertTrue(reachable(InetAddress.getLoopbackAddress(), endpoint.port()), "loopback answers");
            Optional<InetAddress> external = nonLoopbackAddress();
            Assumptions.assumeTrue(external.isPresent(), "this machine has no non-loopback IPv4 address");
            assertTrue(!reachable(external.get(), endpoint.port()),
                    "the endpoint must not answer on " + external.get().getHostAddress());
        }
    }

    @Test
    void anExplicitBindAddressIsUsedAndNamed() throws Exception {
        try (SmartMQPrometheus.Endpoint endpoint = SmartMQPrometheus.serve(new MetricRegistry(), "127.0.0.1", 0)) {
            assertEquals("127.0.0.1", endpoint.host());
            assertTrue(reachable(InetAddress.getLoopbackAddress(), endpoint.port()));
        }
        try (SmartMQPrometheus.Endpoint endpoint = SmartMQPrometheus.serve(new MetricRegistry(),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            assertEquals("127.0.0.1", endpoint.host());
        }
        assertThrows(IllegalArgumentException.class, () -> SmartMQPrometheus.serve(new MetricRegistry(), " ", 0));
        assertThrows(IllegalArgumentException.class,
                () -> SmartMQPrometheus.serve(new MetricRegistry(), "no-such-host.invalid", 0));
    }

    private static boolean reachable(InetAddress address, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), 2000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Optional<InetAddress> nonLoopbackAddress() throws SocketException {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
                    return Optional.of(a);
                }
            }
        }
        return Optional.empty();
    }
}
