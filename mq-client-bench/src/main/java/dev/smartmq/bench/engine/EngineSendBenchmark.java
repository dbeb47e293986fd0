package dev.smartmq.bench.engine;

import dev.smartmq.api.Message;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.core.SmartMQ;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The engine alone (JMH): one {@code SmartProducer.send} of a ready-made 1 KiB keyless message through a
 * started {@link SmartMQ} on {@link NoopPorts} — validation, id, envelope, state lookup, failure detector,
 * metrics, receipt — with nothing behind it. Run by {@link EngineBenchmark} (scenario {@code engine}) with the gc
 * profiler for the bytes allocated per send.
 *
 * <p>Thread rules: JMH's; one benchmark thread by default, the state is shared by whatever threads JMH runs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EngineSendBenchmark {

    /** System property naming the file the fork appends its CPU-time figures to (one line per iteration). */
    static final String CPU_FILE_PROPERTY = "smartmq.bench.engine.cpuFile";

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private SmartMQ mq;
    private SmartProducer producer;
    private Message message;
    private long calls;
    private long cpuAtStart;
    private String running = "";

    @Setup(Level.Trial)
    public void setUp() {
        mq = SmartMQ.builder()
                .config(SmartMQConfig.custom().namespace("bench-engine").build())
                .transport(new NoopPorts.Transport())
                .fallbackStore(new NoopPorts.Store())
                .degradationSwitch(new NoopPorts.Switch())
                .build();
        producer = mq.producer();
        byte[] body = new byte[1024];
        ThreadLocalRandom.current().nextBytes(body);
        message = Message.builder("bench_topic").body(body).build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        mq.close();
    }

    /**
     * Thread CPU time per call of this iteration: unlike the JMH score (wall time), it does not grow when the
     * benchmark thread waits for a core on a loaded machine. One benchmark thread, so setup and teardown run on
     * it (JMH runs Benchmark-scoped iteration fixtures on a worker thread).
     */
    @Setup(Level.Iteration)
    public void startIteration(org.openjdk.jmh.infra.BenchmarkParams params) {
        running = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        calls = 0;
        cpuAtStart = THREADS.getCurrentThreadCpuTime();
    }

    @TearDown(Level.Iteration)
    public void endIteration(org.openjdk.jmh.infra.IterationParams params) throws IOException {
        long cpu = THREADS.getCurrentThreadCpuTime() - cpuAtStart;
        String file = System.getProperty(CPU_FILE_PROPERTY);
        if (file != null && calls > 0 && params.getType() == org.openjdk.jmh.runner.IterationType.MEASUREMENT) {
            Files.writeString(Path.of(file), running + " " + ((double) cpu / calls) + "\n",
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    @Benchmark
    public SendReceipt send() {
        calls++;
        return producer.send(message);
    }

    @Benchmark
    public Object sendAsync() {
        calls++;
        return producer.sendAsync(message).join();
    }
}
