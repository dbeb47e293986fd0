package dev.smartmq.bench.engine;

import dev.smartmq.api.Message;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.core.SmartMQ;
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

    private SmartMQ mq;
    private SmartProducer producer;
    private Message message;

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

    @Benchmark
    public SendReceipt send() {
        return producer.send(message);
    }

    @Benchmark
    public Object sendAsync() {
        return producer.sendAsync(message).join();
    }
}
