package dev.smartmq.chaos.campaign;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Appends a client process's operations to its history file, one tab-separated line per event, each line
 * written through to the OS before {@link #record} returns: a {@code kill -9} of the process loses no line it
 * recorded (the page cache survives a process death), so everything a process recorded as acknowledged is in the
 * file. Format of a line: {@code <epochMillis> TAB <TYPE> TAB <field>...} (see {@link History}).
 *
 * <p>Thread-safe: lines from many threads are serialised and never interleave.
 */
final class HistoryWriter implements AutoCloseable {

    private final BufferedWriter out;

    HistoryWriter(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open history " + file, e);
        }
    }

    /** Writes one event line and flushes it; fields must not contain tabs or line breaks (they are replaced). */
    synchronized void record(String type, Object... fields) {
        StringBuilder sb = new StringBuilder(64).append(System.currentTimeMillis()).append('\t').append(type);
        for (Object f : fields) {
            sb.append('\t').append(String.valueOf(f).replace('\t', ' ').replace('\n', ' ').replace('\r', ' '));
        }
        sb.append('\n');
        try {
            out.write(sb.toString());
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write history line " + sb, e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close history", e);
        }
    }
}
