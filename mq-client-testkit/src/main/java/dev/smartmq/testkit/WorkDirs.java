package dev.smartmq.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Where fixtures keep their files: under the system property {@value #PROPERTY} (the build sets it to
 * {@code target/testkit}), else under {@code java.io.tmpdir}. Never under the user's home.
 */
public final class WorkDirs {

    /** System property naming the base directory. */
    public static final String PROPERTY = "smartmq.testkit.workdir";

    private WorkDirs() {
    }

    /** The base directory (not created here): {@value #PROPERTY}, else {@code <java.io.tmpdir>/smartmq-testkit}. */
    public static Path root() {
        String base = System.getProperty(PROPERTY);
        return base != null ? Paths.get(base) : Paths.get(System.getProperty("java.io.tmpdir"), "smartmq-testkit");
    }

    /** A new, empty directory for one fixture instance, named after {@code prefix}. */
    public static Path create(String prefix) {
        try {
            Path root = root();
            Files.createDirectories(root);
            return Files.createTempDirectory(root, prefix + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a work directory for " + prefix, e);
        }
    }
}
