package dev.smartmq.testkit.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The resolution order of {@link RedisBinary} and the checks on the shipped binary, without starting a server. */
class RedisBinaryTest {

    @TempDir
    Path tmp;

    @Test
    void aConfiguredPathWinsOverThePath() throws Exception {
        Path configured = fakeRedis(tmp.resolve("configured"), "7.2.4");
        Path onPath = fakeRedis(tmp.resolve("bin"), "7.0.15");
        RedisBinary b = RedisBinary.resolve(configured.toString(), onPath.getParent().toString(), tmp.resolve("cache"),
                "Linux", "amd64");
        assertEquals(RedisBinary.Source.CONFIGURED, b.source());
        assertEquals(configured, b.path());
        assertEquals("7.2.4", b.version());
    }

    @Test
    void aConfiguredPathThatIsNotExecutableIsAClearError() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RedisBinary.resolve(
                "/nonexistent/redis-server", "", tmp, "Linux", "amd64"));
        assertTrue(e.getMessage().contains("not an executable file: /nonexistent/redis-server"), e.getMessage());
    }

    @Test
    void redisServerOnThePathComesNext() throws Exception {
        Path onPath = fakeRedis(tmp.resolve("bin"), "7.0.15");
        String path = tmp.resolve("empty") + File.pathSeparator + onPath.getParent();
        RedisBinary b = RedisBinary.resolve("", path, tmp.resolve("cache"), "Linux", "amd64");
        assertEquals(RedisBinary.Source.PATH, b.source());
        assertEquals(onPath, b.path());
        assertEquals("7.0.15", b.version());
    }

    @Test
    void withoutOneOnThePathTheShippedBinaryIsExtractedAndRun() throws Exception {
        Path cache = tmp.resolve("cache");
        RedisBinary b = RedisBinary.resolve("", tmp.resolve("empty").toString(), cache,
                System.getProperty("os.name"), System.getProperty("os.arch"));
        assertEquals(RedisBinary.Source.SHIPPED, b.source());
        assertEquals(RedisBinary.SHIPPED_VERSION, b.version(), "the extracted binary answers --version");
        assertTrue(b.path().startsWith(cache));
        assertTrue(Files.isExecutable(b.path()));
        // a second resolution reuses the checked file
        long modified = Files.getLastModifiedTime(b.path()).toMillis();
        assertEquals(b.path(), RedisBinary.resolve(RedisBinary.SHIPPED, "", cache, System.getProperty("os.name"),
                System.getProperty("os.arch")).path());
        assertEquals(modified, Files.getLastModifiedTime(b.path()).toMillis());
    }

    @Test
    void shippedForcesTheShippedBinaryEvenWithOneOnThePath() throws Exception {
        Path onPath = fakeRedis(tmp.resolve("bin"), "7.0.15");
        RedisBinary b = RedisBinary.resolve(RedisBinary.SHIPPED, onPath.getParent().toString(), tmp.resolve("cache"),
                System.getProperty("os.name"), System.getProperty("os.arch"));
        assertEquals(RedisBinary.Source.SHIPPED, b.source());
    }

    @Test
    void resourceNamesForEverySupportedPlatformArePinned() {
        assertEquals("redis-server-7.0.9-linux-amd64", RedisBinary.shippedResourceName("Linux", "amd64"));
        assertEquals("redis-server-7.0.9-linux-arm64", RedisBinary.shippedResourceName("Linux", "aarch64"));
        assertEquals("redis-server-7.0.9-darwin-amd64", RedisBinary.shippedResourceName("Mac OS X", "x86_64"));
        assertEquals("redis-server-7.0.9-darwin-arm64", RedisBinary.shippedResourceName("Mac OS X", "aarch64"));
        for (String r : RedisBinary.SHIPPED_SHA256.keySet()) {
            assertTrue(RedisBinary.class.getClassLoader().getResource(r) != null, r + " is not on the classpath");
        }
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RedisBinary.shippedResourceName("Windows 11", "amd64"));
        assertTrue(e.getMessage().contains("ships no binary for Windows 11/amd64"), e.getMessage());
        assertTrue(e.getMessage().contains(RedisServer.BINARY_PROPERTY), e.getMessage());
    }

    @Test
    void aResourceThatDoesNotMatchItsPinIsRefusedAndLeavesNothing() throws Exception {
        byte[] bytes = "not redis".getBytes(StandardCharsets.UTF_8);
        String pin = "0".repeat(64);
        Path cache = tmp.resolve("cache");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RedisBinary.extract("redis-server-x", pin, cache, () -> new ByteArrayInputStream(bytes)));
        assertTrue(e.getMessage().contains("refusing the shipped redis-server redis-server-x"), e.getMessage());
        assertTrue(e.getMessage().contains(sha256(bytes)), e.getMessage());
        try (var files = Files.list(cache)) {
            assertEquals(0, files.count(), "no file may be left behind");
        }
    }

    @Test
    void aTamperedCachedCopyIsReplaced() throws Exception {
        byte[] bytes = "#!/bin/sh\necho 'Redis server v=7.0.9'\n".getBytes(StandardCharsets.UTF_8);
        String pin = sha256(bytes);
        Path cache = tmp.resolve("cache");
        Path first = RedisBinary.extract("redis-server-x", pin, cache, () -> new ByteArrayInputStream(bytes));
        Files.writeString(first, "tampered");
        Path second = RedisBinary.extract("redis-server-x", pin, cache, () -> new ByteArrayInputStream(bytes));
        assertEquals(first, second);
        assertEquals(pin, RedisBinary.sha256(second));
        assertTrue(Files.isExecutable(second));
    }

    @Test
    void aMissingResourceSaysWhatToDo() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RedisBinary.extract("redis-server-x", "0".repeat(64), tmp, () -> null));
        assertTrue(e.getMessage().contains("is not on the classpath"), e.getMessage());
        assertFalse(e.getMessage().isBlank());
    }

    private static Path fakeRedis(Path dir, String version) throws Exception {
        Files.createDirectories(dir);
        Path p = dir.resolve("redis-server");
        Files.writeString(p, "#!/bin/sh\necho 'Redis server v=" + version + " sha=00000000:0 malloc=libc bits=64'\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
