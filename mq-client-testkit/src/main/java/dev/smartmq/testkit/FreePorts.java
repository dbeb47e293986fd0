package dev.smartmq.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Finds free TCP ports on loopback. */
public final class FreePorts {

    private FreePorts() {
    }

    /** A port that was free a moment ago on 127.0.0.1. */
    public static int find() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on loopback", e);
        }
    }

    /**
     * A port {@code p} such that {@code p}, and {@code p - 2}, {@code p + offsets...} were all free a moment
     * ago (RocketMQ's broker also binds {@code listenPort - 2}; Redis Cluster binds {@code port + 10000}).
     */
    public static int findWithCompanions(int... offsets) {
        for (int attempt = 0; attempt < 200; attempt++) {
            int p = find();
            boolean ok = true;
            for (int off : offsets) {
                int q = p + off;
                if (q < 1024 || q > 65535 || !isFree(q)) {
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

    /** Whether {@code port} can be bound on loopback right now. */
    public static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
