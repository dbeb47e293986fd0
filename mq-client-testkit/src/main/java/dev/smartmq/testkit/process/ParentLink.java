package dev.smartmq.testkit.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The child's side of a {@link JvmProcess}: reads command lines the parent writes to the child's stdin
 * ({@link JvmProcess#sendLine}) and hands each to a handler; when stdin ends (the parent closed it, exited or
 * was killed with SIGKILL, so no shutdown hook of the parent ran), the child halts at once with exit code
 * {@value #ORPHAN_EXIT_CODE}. That is what keeps a child JVM from outliving the test that started it.
 *
 * <pre>{@code
 * public static void main(String[] args) {
 *     CountDownLatch stop = new CountDownLatch(1);
 *     ParentLink.start(line -> { if (line.equals(JvmProcess.STOP_COMMAND)) stop.countDown(); });
 *     ... start the servers ...
 *     stop.await();
 *     ... close them; return from main (the JVM exits when no non-daemon thread is left) ...
 * }
 * }</pre>
 *
 * <p>Threads: one daemon thread {@code smartmq-parent-link-1}; the handler runs on it, one line at a time.
 */
public final class ParentLink {

    /** Exit code of a child whose parent went away. */
    public static final int ORPHAN_EXIT_CODE = 86;

    private ParentLink() {
    }

    /** Starts the reader thread. Call once, early in {@code main}. */
    public static void start(Consumer<String> commands) {
        Objects.requireNonNull(commands, "commands");
        Thread t = new Thread(() -> run(commands), "smartmq-parent-link-1");
        t.setDaemon(true);
        t.start();
    }

    private static void run(Consumer<String> commands) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                try {
                    commands.accept(line.trim());
                } catch (RuntimeException e) {
                    System.err.println("parent link: command '" + line + "' failed: " + e);
                    e.printStackTrace();
                }
            }
        } catch (IOException e) {
            System.err.println("parent link: stdin failed: " + e);
        }
        System.err.println("parent link: stdin closed, the parent is gone; halting");
        System.err.flush();
        Runtime.getRuntime().halt(ORPHAN_EXIT_CODE);
    }
}
