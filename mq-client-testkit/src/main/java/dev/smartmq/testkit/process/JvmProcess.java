package dev.smartmq.testkit.process;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Java main class run in its own JVM, started from a test with the test's own classpath, that the test can
 * break for real: {@link #kill()} (SIGKILL), {@link #pause()}/{@link #resume()} (SIGSTOP/SIGCONT), a graceful
 * {@link #stop(Duration)} and {@link #start()} again with the very same command line (a restart: same
 * arguments, hence same ports and directories when the main takes them from its arguments).
 *
 * <p>Over 400 lines because it is a test fixture whose public surface is the job: start, kill, pause/resume,
 * graceful stop and restart with the same command line, the stdin link, log capture and the shutdown hook, each
 * documented, plus its builder.
 *
 * <pre>{@code
 * JvmProcess broker = JvmProcess.builder("com.example.BrokerMain")
 *         .name("broker-0").heap("256m").systemProperty("port", "10911")
 *         .logFile(dir.resolve("broker-0.log")).build();
 * broker.start();
 * broker.awaitCondition(Duration.ofSeconds(60), () -> portIsOpen(10911));
 * broker.kill();      // kill -9
 * broker.start();     // same command line
 * broker.stop(Duration.ofSeconds(20));   // "stop" on its stdin, SIGKILL if it does not exit in time
 * }</pre>
 *
 * <p>The link: the child's stdin is a pipe from this object. {@link #sendLine} writes a command to it and
 * {@link #stop(Duration)} writes {@value #STOP_COMMAND}; a child that uses {@link ParentLink} halts when the pipe
 * closes, so it never outlives this JVM even when this JVM is killed with SIGKILL. Children still alive when
 * this JVM exits normally are SIGKILLed by a shutdown hook. Output (stdout and stderr) is appended to the log
 * file, across restarts. Signals are only ever sent to the pid this object started.
 *
 * <p>Thread-safe: lifecycle and fault calls are serialised on the instance.
 */
public final class JvmProcess implements AutoCloseable {

    /** The line {@link #stop(Duration)} writes to the child's stdin. */
    public static final String STOP_COMMAND = "stop";

    private static final Logger LOG = LoggerFactory.getLogger(JvmProcess.class);

    private final String name;
    private final List<String> command;
    private final Path logFile;
    private final int argsCount;

    private Process process;
    private OutputStream stdin;
    private boolean paused;
    private int starts;
    private long logOffsetOfStart;

    private JvmProcess(Builder b) {
        this.name = b.name;
        this.logFile = b.logFile;
        this.argsCount = b.args.size();
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(b.jvmArgs);
        b.systemProperties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-cp");
        cmd.add(b.classpath);
        cmd.add(b.mainClass);
        cmd.addAll(b.args);
        this.command = List.copyOf(cmd);
    }

    /** A builder for a child JVM running {@code mainClass}. */
    public static Builder builder(String mainClass) {
        return new Builder(mainClass);
    }

    /**
     * The classpath of this JVM ({@code java.class.path}), for children that run classes of the test. Under
     * Maven's surefire/failsafe that may be a manifest-only jar whose manifest names the real entries, which a
     * child JVM reads the same way.
     */
    public static String currentClasspath() {
        return System.getProperty("java.class.path");
    }

    /**
     * Starts the child (again, if it ran before and is gone).
     *
     * @throws IllegalStateException if it is running
     */
    public synchronized JvmProcess start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is already running (pid " + process.pid() + ")");
        }
        try {
            Files.createDirectories(logFile.toAbsolutePath().getParent());
            Files.writeString(logFile, "---- " + name + " start #" + (starts + 1) + ": " + command.get(command.size() - 1
                    - argsCount) + System.lineSeparator(), StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            logOffsetOfStart = Files.size(logFile);
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.PIPE);
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
        stdin = process.getOutputStream();
        paused = false;
        starts++;
        ProcessReaper.register(process);
        LOG.info("{} started, pid {} (start #{})", name, process.pid(), starts);
        return this;
    }

    /** Writes one command line to the child's stdin (see {@link ParentLink}). */
    public synchronized void sendLine(String line) {
        requireAlive();
        try {
            stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to the stdin of " + name, e);
        }
    }

    /** SIGKILL, then waits until the process is gone. No-op if it is not running. */
    public synchronized void kill() {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        waitFor(Duration.ofSeconds(10));
        paused = false;
        ProcessReaper.unregister(process);
        LOG.info("{} killed (SIGKILL)", name);
    }

    /** SIGSTOP: the JVM freezes, its sockets stay open. */
    public synchronized void pause() {
        requireAlive();
        signal("-STOP");
        paused = true;
        LOG.info("{} paused (SIGSTOP)", name);
    }

    /** SIGCONT: a paused JVM carries on. No-op if it is not running. */
    public synchronized void resume() {
        if (process != null && process.isAlive()) {
            signal("-CONT");
        }
        paused = false;
        LOG.info("{} resumed (SIGCONT)", name);
    }

    /**
     * Graceful stop: resumes a paused child, writes {@value #STOP_COMMAND} to its stdin and waits up to
     * {@code grace} for it to exit; SIGKILL after that.
     *
     * @return whether it exited by itself within {@code grace} (true also when it was not running)
     */
    public synchronized boolean stop(Duration grace) {
        if (process == null || !process.isAlive()) {
            return true;
        }
        if (paused) {
            resume();
        }
        try {
            sendLine(STOP_COMMAND);
        } catch (UncheckedIOException e) {
            LOG.debug("{}: stdin already closed: {}", name, e.toString());
        }
        boolean exited = waitFor(grace);
        if (!exited) {
            LOG.warn("{} did not exit within {} of the stop command; killing it", name, grace);
            kill();
        }
        ProcessReaper.unregister(process);
        return exited;
    }

    /** Waits until the child is gone; true if it is. */
    public boolean waitFor(Duration timeout) {
        Process p;
        synchronized (this) {
            p = process;
        }
        if (p == null) {
            return true;
        }
        try {
            return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !p.isAlive();
        }
    }

    /**
     * Polls {@code condition} every 50 ms until it holds; fails fast with the log's tail if the child exits.
     *
     * @throws IllegalStateException if the child died or the condition did not hold in time
     */
    public void awaitCondition(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (!isAlive()) {
                throw new IllegalStateException(name + " exited (" + exitValue() + ") while waiting for " + what
                        + "; log:\n" + logTail(30));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout + " waiting for " + what + " of "
                        + name + "; log:\n" + logTail(30));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
    }

    /** Whether the current (or last) child wrote {@code text} to the log since its start. */
    public boolean logContains(String text) {
        long from;
        synchronized (this) {
            from = logOffsetOfStart;
        }
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(logFile.toFile(), "r")) {
            long len = f.length();
            if (len <= from) {
                return false;
            }
            byte[] buf = new byte[(int) Math.min(len - from, 16 * 1024 * 1024)];
            f.seek(from);
            f.readFully(buf);
            return new String(buf, StandardCharsets.UTF_8).contains(text);
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }

    /** The last {@code lines} lines of the log file, for failure messages. */
    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    public synchronized boolean isPaused() {
        return paused && isAlive();
    }

    /** Pid of the current (or last) child. */
    public synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException(name + " was never started");
        }
        return process.pid();
    }

    /** Exit code of the last child, or -1 while it runs (or if it never ran). */
    public synchronized int exitValue() {
        if (process == null || process.isAlive()) {
            return -1;
        }
        return process.exitValue();
    }

    /** How many times {@link #start()} started a child. */
    public synchronized int starts() {
        return starts;
    }

    public String name() {
        return name;
    }

    public Path logFile() {
        return logFile;
    }

    /** The command line, for logs and post-mortems. */
    public List<String> command() {
        return command;
    }

    /** SIGKILLs the child if it still runs. Idempotent. */
    @Override
    public synchronized void close() {
        kill();
        if (process != null) {
            ProcessReaper.unregister(process);
        }
    }

    @Override
    public String toString() {
        Process p = process;
        return "JvmProcess{" + name + (p == null ? "" : ", pid=" + p.pid() + (p.isAlive() ? "" : ", exited")) + "}";
    }

    private void requireAlive() {
        if (process == null || !process.isAlive()) {
            throw new IllegalStateException(name + " is not running");
        }
    }

    private void signal(String sig) {
        try {
            Process k = new ProcessBuilder("kill", sig, Long.toString(process.pid())).redirectErrorStream(true).start();
            if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) {
                throw new IllegalStateException("kill " + sig + " " + process.pid() + " failed: "
                        + new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill " + sig, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending " + sig, e);
        }
    }

    /** Options of a {@link JvmProcess}; every setter validates its value. */
    public static final class Builder {
        private final String mainClass;
        private String name;
        private String classpath = currentClasspath();
        private final List<String> jvmArgs = new ArrayList<>();
        private final Map<String, String> systemProperties = new LinkedHashMap<>();
        private final List<String> args = new ArrayList<>();
        private Path logFile;

        private Builder(String mainClass) {
            if (mainClass == null || mainClass.isBlank()) {
                throw new IllegalArgumentException("mainClass must be a class name, but was " + mainClass);
            }
            this.mainClass = mainClass;
            this.name = mainClass.substring(mainClass.lastIndexOf('.') + 1);
        }

        /** Name in logs (default: the main class's simple name). */
        public Builder name(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank, but was " + name);
            }
            this.name = name;
            return this;
        }

        public Builder classpath(String classpath) {
            if (classpath == null || classpath.isBlank()) {
                throw new IllegalArgumentException("classpath must not be blank, but was " + classpath);
            }
            this.classpath = classpath;
            return this;
        }

        /** {@code -Xmx} of the child, e.g. {@code "256m"}. */
        public Builder heap(String max) {
            if (max == null || !max.matches("[0-9]+[kmgKMG]?")) {
                throw new IllegalArgumentException("heap must look like 256m, but was " + max);
            }
            return jvmArg("-Xmx" + max);
        }

        public Builder jvmArgs(List<String> args) {
            args.forEach(this::jvmArg);
            return this;
        }

        public Builder jvmArg(String arg) {
            jvmArgs.add(Objects.requireNonNull(arg, "arg"));
            return this;
        }

        public Builder systemProperty(String key, String value) {
            if (key == null || key.isBlank() || value == null) {
                throw new IllegalArgumentException("system property needs a key and a value, but was " + key + "=" + value);
            }
            systemProperties.put(key, value);
            return this;
        }

        public Builder systemProperties(Map<String, String> props) {
            props.forEach(this::systemProperty);
            return this;
        }

        public Builder arg(String arg) {
            args.add(Objects.requireNonNull(arg, "arg"));
            return this;
        }

        /** File the child's stdout and stderr are appended to (required). */
        public Builder logFile(Path logFile) {
            this.logFile = Objects.requireNonNull(logFile, "logFile");
            return this;
        }

        public JvmProcess build() {
            if (logFile == null) {
                throw new IllegalArgumentException("logFile must be set");
            }
            return new JvmProcess(this);
        }
    }
}
