package dev.smartmq.testkit.redis;

import dev.smartmq.testkit.WorkDirs;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which {@code redis-server} executable the testkit starts, and where it came from. Resolution order:
 * <ol>
 *   <li>the path in system property {@value RedisServer#BINARY_PROPERTY} or environment variable
 *       {@value RedisServer#BINARY_ENV} (the value {@value #SHIPPED} skips the next step and forces 3.);</li>
 *   <li>{@code redis-server} on the {@code PATH};</li>
 *   <li>the Redis {@value #SHIPPED_VERSION} binary shipped as a plain resource in the Maven artifact
 *       {@code com.github.lansheng228:embedded-redis:7.0.9} (a dependency of the testkit; its Java classes are
 *       never used): the one file for this OS and CPU is copied to {@code <testkit work dir>/redis-bin/}, its
 *       SHA-256 checked against the value pinned in {@link #SHIPPED_SHA256}, and marked executable.</li>
 * </ol>
 * The chosen binary is started exactly like any other (a child process reading our {@code redis.conf}), and
 * one INFO line names it with its version.
 *
 * <p>Immutable. {@link #resolve()} is thread-safe; it resolves once per JVM for each configured value and
 * {@code PATH} (a JVM-wide memo, like the JVM's own environment it reflects), so the INFO line is logged once.
 */
public final class RedisBinary {

    /** Value of {@value RedisServer#BINARY_PROPERTY} that forces the shipped binary even when one is on the PATH. */
    public static final String SHIPPED = "shipped";
    /** Redis version of the shipped binary. */
    public static final String SHIPPED_VERSION = "7.0.9";
    /** Maven coordinates of the artifact the shipped binary comes from. */
    public static final String SHIPPED_ARTIFACT = "com.github.lansheng228:embedded-redis:" + SHIPPED_VERSION;
    /**
     * SHA-256 of each shipped resource, computed from the artifact's files; a resource that does not match
     * is refused. (Its {@code darwin-arm64} file is an x86-64 Mach-O binary: it runs on Apple silicon
     * through Rosetta 2.)
     */
    public static final Map<String, String> SHIPPED_SHA256 = Map.of(
            "redis-server-7.0.9-linux-amd64", "de2b4cbcd7e52bacb778c157266f003c5e4c797104cdeeeb52214addff8bf1bb",
            "redis-server-7.0.9-linux-arm64", "9046512dae535cfcfed679dc6c618e8331667bc710b4cd96d3d4880eb4b7ee73",
            "redis-server-7.0.9-darwin-amd64", "5bce39ead793ffedde8cad8140917b9ad5d8801b87635444124274b901f84974",
            "redis-server-7.0.9-darwin-arm64", "5bce39ead793ffedde8cad8140917b9ad5d8801b87635444124274b901f84974");

    private static final Logger LOG = LoggerFactory.getLogger(RedisBinary.class);
    private static final Pattern VERSION = Pattern.compile("\\bv=(\\S+)");
    private static final Map<String, RedisBinary> RESOLVED = new ConcurrentHashMap<>();

    /** Where a binary came from. */
    public enum Source {
        /** Named by {@value RedisServer#BINARY_PROPERTY} or {@value RedisServer#BINARY_ENV}. */
        CONFIGURED("named by -D" + RedisServer.BINARY_PROPERTY + " / $" + RedisServer.BINARY_ENV),
        /** {@code redis-server} found on the {@code PATH}. */
        PATH("redis-server on the PATH"),
        /** Extracted from {@link RedisBinary#SHIPPED_ARTIFACT}. */
        SHIPPED("shipped in " + SHIPPED_ARTIFACT);

        private final String description;

        Source(String description) {
            this.description = description;
        }

        /** How the source is described in the INFO line. */
        public String description() {
            return description;
        }
    }

    private final Path path;
    private final Source source;
    private final String version;

    private RedisBinary(Path path, Source source, String version) {
        this.path = path;
        this.source = source;
        this.version = version;
    }

    /**
     * The binary for this JVM, by the order in the class comment.
     *
     * @throws IllegalStateException with what to do, if no binary can be found or the shipped one is refused
     */
    public static RedisBinary resolve() {
        String configured = System.getProperty(RedisServer.BINARY_PROPERTY);
        if (configured == null || configured.isBlank()) {
            configured = System.getenv(RedisServer.BINARY_ENV);
        }
        String configuredValue = configured == null ? "" : configured.trim();
        String pathEnv = Objects.requireNonNullElse(System.getenv("PATH"), "");
        String key = configuredValue + '\u0000' + pathEnv;
        RedisBinary cached = RESOLVED.get(key);
        if (cached != null) {
            return cached;
        }
        // computeIfAbsent would hold a map lock while extracting; a rare double resolution is harmless.
        RedisBinary resolved = resolve(configuredValue, pathEnv, WorkDirs.root().resolve("redis-bin"),
                System.getProperty("os.name"), System.getProperty("os.arch"));
        RedisBinary previous = RESOLVED.putIfAbsent(key, resolved);
        if (previous != null) {
            return previous;
        }
        LOG.info("redis-server binary: {} (Redis {}, {})", resolved.path, resolved.version,
                resolved.source.description());
        return resolved;
    }

    /** The resolution itself, with every input explicit (for tests). */
    static RedisBinary resolve(String configured, String pathEnv, Path cacheDir, String osName, String osArch) {
        if (!configured.isEmpty() && !SHIPPED.equals(configured)) {
            Path p = Paths.get(configured);
            if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
                throw new IllegalStateException("redis-server named by -D" + RedisServer.BINARY_PROPERTY + " / $"
                        + RedisServer.BINARY_ENV + " is not an executable file: " + configured);
            }
            return new RedisBinary(p, Source.CONFIGURED, versionOf(p));
        }
        if (!SHIPPED.equals(configured)) {
            for (String dir : pathEnv.split(File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path candidate = Paths.get(dir, "redis-server");
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return new RedisBinary(candidate, Source.PATH, versionOf(candidate));
                }
            }
        }
        String resource = shippedResourceName(osName, osArch);
        Path extracted = extract(resource, SHIPPED_SHA256.get(resource), cacheDir,
                () -> RedisBinary.class.getClassLoader().getResourceAsStream(resource));
        return new RedisBinary(extracted, Source.SHIPPED, versionOf(extracted));
    }

    /** {@code redis-server-7.0.9-<os>-<arch>} for this platform, or a clear error. */
    static String shippedResourceName(String osName, String osArch) {
        String os = osName == null ? "" : osName.toLowerCase(Locale.ROOT);
        String arch = osArch == null ? "" : osArch.toLowerCase(Locale.ROOT);
        String o = os.startsWith("linux") ? "linux" : os.startsWith("mac") || os.startsWith("darwin") ? "darwin" : null;
        String a = arch.equals("amd64") || arch.equals("x86_64") ? "amd64"
                : arch.equals("aarch64") || arch.equals("arm64") ? "arm64" : null;
        if (o == null || a == null) {
            throw new IllegalStateException("redis-server was not found on the PATH, and " + SHIPPED_ARTIFACT
                    + " ships no binary for " + osName + "/" + osArch + " (only linux and macOS, amd64 and arm64)."
                    + " Install Redis 7 (e.g. `apt-get install -y redis-server`) or point -D"
                    + RedisServer.BINARY_PROPERTY + " at a redis-server binary.");
        }
        return "redis-server-" + SHIPPED_VERSION + "-" + o + "-" + a;
    }

    /**
     * Copies {@code resource} to {@code cacheDir} unless a file with the pinned hash is already there, checks
     * the SHA-256 and marks it executable. The copy is written to a temporary file and moved into place, so
     * concurrent JVMs never run a half-written binary.
     */
    static Path extract(String resource, String expectedSha256, Path cacheDir, Supplier<InputStream> opener) {
        Objects.requireNonNull(expectedSha256, "no SHA-256 pinned for " + resource);
        Path target = cacheDir.resolve(resource + "-" + expectedSha256.substring(0, 12));
        try {
            if (Files.isRegularFile(target) && expectedSha256.equals(sha256(target)) && Files.isExecutable(target)) {
                return target;
            }
            Files.createDirectories(cacheDir);
            Path tmp = Files.createTempFile(cacheDir, resource + "-", ".part");
            try {
                String actual;
                try (InputStream in = opener.get()) {
                    if (in == null) {
                        throw new IllegalStateException("redis-server was not found on the PATH, and the resource "
                                + resource + " of " + SHIPPED_ARTIFACT + " is not on the classpath (is the"
                                + " dependency excluded?). Install Redis 7 (e.g. `apt-get install -y redis-server`)"
                                + " or point -D" + RedisServer.BINARY_PROPERTY + " at a redis-server binary.");
                    }
                    actual = copyHashing(in, tmp);
                }
                if (!expectedSha256.equals(actual)) {
                    throw new IllegalStateException("refusing the shipped redis-server " + resource + " of "
                            + SHIPPED_ARTIFACT + ": its SHA-256 is " + actual + ", but " + expectedSha256
                            + " is pinned. Install Redis 7 or point -D" + RedisServer.BINARY_PROPERTY + " at a"
                            + " redis-server binary.");
                }
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract " + resource + " of " + SHIPPED_ARTIFACT + " to "
                    + cacheDir, e);
        }
    }

    private static String copyHashing(InputStream in, Path to) throws IOException {
        MessageDigest md = sha256Digest();
        try (DigestInputStream din = new DigestInputStream(in, md); OutputStream out = Files.newOutputStream(to)) {
            din.transferTo(out);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md = sha256Digest();
        try (DigestInputStream din = new DigestInputStream(Files.newInputStream(file), md)) {
            din.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    /** {@code <binary> --version} → {@code 7.0.15}, or {@code "unknown (…)"} if it cannot be read. */
    private static String versionOf(Path binary) {
        try {
            Process p = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
            byte[] output;
            try (InputStream in = p.getInputStream()) {
                output = in.readNBytes(4096);
            }
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "unknown (--version did not return within 10 s)";
            }
            String text = new String(output, StandardCharsets.UTF_8).trim();
            Matcher m = VERSION.matcher(text);
            return m.find() ? m.group(1) : "unknown (--version printed: " + text + ")";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + binary + " --version", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown (interrupted)";
        }
    }

    /** The executable. */
    public Path path() {
        return path;
    }

    /** Where it came from. */
    public Source source() {
        return source;
    }

    /** Its version as {@code --version} reports it, e.g. {@code 7.0.9}. */
    public String version() {
        return version;
    }

    @Override
    public String toString() {
        return path + " (Redis " + version + ", " + source.description() + ")";
    }
}
