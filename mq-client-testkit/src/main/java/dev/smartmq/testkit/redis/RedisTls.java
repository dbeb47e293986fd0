package dev.smartmq.testkit.redis;

import dev.smartmq.testkit.WorkDirs;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * Throwaway TLS material for {@code redis-server} child processes: a fresh CA and a server certificate for
 * {@code 127.0.0.1} (subject alternative names {@code IP:127.0.0.1} and {@code DNS:localhost}), made with the
 * {@code openssl} command in a new {@link WorkDirs} directory, plus a client {@link SSLSocketFactory} that trusts
 * only that CA. Clients are not asked for certificates ({@code tls-auth-clients no}).
 *
 * <p>{@link #create()} returns empty, with {@link #unavailableReason()} saying why, when {@code openssl} is missing
 * or the resolved {@code redis-server} was built without TLS: tests skip with that reason. Immutable once created;
 * thread-safe.
 */
public final class RedisTls {

    private static volatile String unavailableReason = "not checked yet";

    private final Path dir;
    private final Path caCert;
    private final Path cert;
    private final Path key;
    private final SSLSocketFactory socketFactory;

    private RedisTls(Path dir) {
        this.dir = dir;
        this.caCert = dir.resolve("ca.crt");
        this.cert = dir.resolve("server.crt");
        this.key = dir.resolve("server.key");
        this.socketFactory = trusting(caCert);
    }

    /** New certificates, or empty when TLS cannot be tested here ({@link #unavailableReason()}). */
    public static Optional<RedisTls> create() {
        String reason = binaryWithoutTls(RedisBinary.resolve());
        if (reason != null) {
            unavailableReason = reason;
            return Optional.empty();
        }
        Path dir = WorkDirs.create("redis-tls");
        try {
            Files.writeString(dir.resolve("san.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
            openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=smartmq-test-ca",
                    "-keyout", "ca.key", "-out", "ca.crt");
            openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-keyout", "server.key", "-out", "server.csr");
            openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                    "-days", "2", "-extfile", "san.cnf", "-out", "server.crt");
        } catch (IOException e) {
            unavailableReason = "openssl failed: " + e.getMessage();
            return Optional.empty();
        }
        return Optional.of(new RedisTls(dir));
    }

    /** Why the last {@link #create()} returned empty. */
    public static String unavailableReason() {
        return unavailableReason;
    }

    /**
     * {@code null} if {@code binary} accepts {@code tls-port}, else the reason. Asks the binary itself: with
     * {@code --port 0 --tls-port 0} a TLS build exits at once saying it listens nowhere; a build without TLS
     * refuses the directive.
     */
    static String binaryWithoutTls(RedisBinary binary) {
        try {
            Process p = new ProcessBuilder(binary.path().toString(), "--port", "0", "--tls-port", "0")
                    .redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return binary + " did not exit on --port 0 --tls-port 0";
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (out.contains("not listen anywhere")) {
                return null;
            }
            return binary + " has no TLS support: " + out.strip().lines().reduce((a, b) -> b).orElse("(no output)");
        } catch (IOException e) {
            return "cannot run " + binary + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while checking " + binary;
        }
    }

    private static void openssl(Path dir, String... args) throws IOException {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("openssl not available (" + e.getMessage() + ")", e);
        }
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("openssl " + args[0] + " failed: " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running openssl", e);
        }
    }

    private static SSLSocketFactory trusting(Path caPem) {
        try (InputStream in = Files.newInputStream(caPem)) {
            Certificate ca = CertificateFactory.getInstance("X.509").generateCertificate(in);
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            trust.setCertificateEntry("smartmq-test-ca", ca);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx.getSocketFactory();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + caPem, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build a trust store from " + caPem, e);
        }
    }

    /** A socket factory that trusts only this CA. */
    public SSLSocketFactory socketFactory() {
        return socketFactory;
    }

    /** The CA certificate (PEM). */
    public Path caCert() {
        return caCert;
    }

    /** Directory of the certificates and keys. */
    public Path dir() {
        return dir;
    }

    /**
     * The {@code redis.conf} / {@code sentinel.conf} lines of a server listening with TLS only on {@code port}
     * ({@code port 0}), replicating (and, for a Sentinel, talking to the servers) over TLS.
     */
    List<String> serverConfig(int port) {
        return List.of("port 0", "tls-port " + port, "tls-cert-file " + cert.toAbsolutePath(),
                "tls-key-file " + key.toAbsolutePath(), "tls-ca-cert-file " + caCert.toAbsolutePath(),
                "tls-auth-clients no", "tls-replication yes");
    }

    @Override
    public String toString() {
        return "RedisTls{" + dir + "}";
    }
}
