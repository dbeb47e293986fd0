package dev.smartmq.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The harness without servers: option parsing, the BENCH line, the alternation and its median ratio (with
 * fake sides), the load generator on a trivial operation, and the parsers of redis-benchmark and INFO output.
 * The benchmark itself is not run here (it needs minutes and a quiet machine).
 */
class BenchMainTest {

    @Test
    void defaultsRunEveryScenario() {
        BenchOptions o = BenchOptions.parse();
        assertEquals(BenchOptions.ALL_SCENARIOS, o.scenarios());
        assertEquals(5, o.rounds());
        assertEquals(8, o.threads());
        assertEquals(BenchOptions.DEFAULT_WARMUP_SECONDS, o.warmupSeconds());
    }

    @Test
    void optionsParseInBothFormsAndScenariosRunInCanonicalOrder() {
        BenchOptions o = BenchOptions.parse("--scenarios", "idle,normal-sync", "--rounds=3", "--seconds-per-round",
                "0.5", "--threads", "4", "--warmup-seconds", "0");
        assertEquals(List.of("normal-sync", "idle"), o.scenarios());
        assertEquals(3, o.rounds());
        assertEquals(0.5, o.secondsPerRound());
        assertEquals(4, o.threads());
        assertEquals(0, o.warmupSeconds());
        // exec:java may hand all arguments over as one string
        assertEquals(List.of("drain"), BenchOptions.parse("--scenarios drain --rounds 2").scenarios());
        assertEquals(BenchOptions.ALL_SCENARIOS, BenchOptions.parse("--scenarios", "all").scenarios());
        assertNull(BenchOptions.parse("--help"));
    }

    @Test
    void badOptionsNameTheOptionAndTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchOptions.parse("--rounds", "0"));
        assertTrue(e.getMessage().contains("--rounds") && e.getMessage().contains("0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--scenarios", "nope"));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--threads", "x"));
        assertTrue(e.getMessage().contains("--threads"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--frobnicate", "1"));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--rounds"));
        assertEquals(2, BenchMain.run("--rounds", "-1"), "bad options exit with 2 before any server starts");
    }

    @Test
    void benchLineHasTheFixedFieldsThenTheExtras() {
        BenchLine line = BenchLine.of("normal-sync", 9712.4, 10003.9, 0.97086, 3.456)
                .with("baseline_p99_ms", "3.30").with("errors", 0);
        assertEquals("BENCH normal-sync smartmq=9712 baseline=10004 ratio=0.971 p99_ms=3.46 baseline_p99_ms=3.30 errors=0",
                line.format());
        assertEquals("BENCH failover smartmq=42.5 baseline=27000 ratio=0.000 p99_ms=12.00",
                BenchLine.of("failover", 42.5, 27000, 0, 12).format());
        assertThrows(IllegalArgumentException.class, () -> BenchLine.of("two words", 1, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> line.with("k", "a b"));
        assertEquals(0, BenchLine.ratio(5, 0));
    }

    @Test
    void alternationRunsSidesInTurnAndReportsTheMedianOfTheRoundRatios() throws Exception {
        Deque<String> order = new ArrayDeque<>();
        // SmartMQ side: 90, 100, 300 ops; baseline: 100 each round -> ratios 0.9, 1.0, 3.0 -> median 1.0
        int[] smart = {50, 90, 100, 300};
        AtomicInteger si = new AtomicInteger();
        AtomicInteger between = new AtomicInteger();
        Alternation.Side a = ProducerScenarios.side("a", s -> {
            order.add("a");
            return RoundResult.external(smart[si.getAndIncrement()], 1, 1.5);
        });
        Alternation.Side b = ProducerScenarios.side("b", s -> {
            order.add("b");
            return RoundResult.external(100, 1, 2.5);
        });
        BenchOptions o = BenchOptions.parse("--rounds", "3", "--seconds-per-round", "0.1", "--warmup-seconds", "0.1");
        Alternation.Outcome out = Alternation.run("t", o, List.of(a, b), between::incrementAndGet);
        assertEquals(List.of("a", "b", "a", "b", "b", "a", "a", "b"), List.copyOf(order),
                "warm-up A B, then rounds A B, B A, A B");
        assertEquals(8, between.get());
        assertEquals(1.0, out.medianRatio(0, 1), 1e-9);
        assertEquals(100, out.medianOps(0), 1e-9);
        assertEquals(1.5, out.p99Millis(0), 1e-9);
        assertEquals("BENCH t smartmq=100 baseline=100 ratio=1.000 p99_ms=1.50", out.line("t", 1).format());
    }

    @Test
    void benchLineCarriesTheMedianCpuPerOperationOfBothSidesAndTheirRatio() {
        Alternation.Side a = ProducerScenarios.side("a", sec -> null);
        Alternation.Side b = ProducerScenarios.side("b", sec -> null);
        List<RoundResult> ra = List.of(RoundResult.external(100, 1, 1), RoundResult.external(100, 1, 1),
                RoundResult.external(100, 1, 1));
        List<RoundResult> rb = List.of(RoundResult.external(100, 1, 1), RoundResult.external(100, 1, 1),
                RoundResult.external(100, 1, 1));
        // per-round CPU us/op: a 50 60 70, b 50 50 100 -> medians 60 / 50, ratios 1.0 1.2 0.7 -> median 1.0
        Alternation.Outcome out = new Alternation.Outcome(List.of(a, b), List.of(ra, rb),
                List.of(List.of(50.0, 60.0, 70.0), List.of(50.0, 50.0, 100.0)));
        assertEquals("BENCH t smartmq=100 baseline=100 ratio=1.000 p99_ms=1.00 cpu_us=60.0 baseline_cpu_us=50.0 "
                + "cpu_ratio=1.000", out.line("t", 1).format());
        Alternation.Outcome noCpu = new Alternation.Outcome(List.of(a, b), List.of(ra, rb),
                List.of(List.of(Double.NaN, Double.NaN, Double.NaN), List.of(Double.NaN, Double.NaN, Double.NaN)));
        assertEquals("BENCH t smartmq=100 baseline=100 ratio=1.000 p99_ms=1.00", noCpu.line("t", 1).format(),
                "without a CPU meter the line has no CPU fields");
    }

    @Test
    void readsUsedMemoryFromInfo() {
        assertEquals(1048576L, FanoutScenarios.infoField("# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n",
                "used_memory"));
        assertThrows(IllegalStateException.class, () -> FanoutScenarios.infoField("# Memory\r\n", "used_memory"));
    }

    @Test
    void usageListsEveryScenario() {
        for (String s : BenchOptions.ALL_SCENARIOS) {
            assertTrue(BenchOptions.USAGE.contains(s), s + " missing from\n" + BenchOptions.USAGE);
        }
        assertTrue(BenchOptions.USAGE.contains("--rounds"), BenchOptions.USAGE);
    }

    @Test
    void medianOfEvenAndOddCounts() {
        assertEquals(2, Alternation.median(new double[] {3, 1, 2}));
        assertEquals(2.5, Alternation.median(new double[] {4, 1, 3, 2}));
        assertTrue(Double.isNaN(Alternation.median(new double[0])));
    }

    @Test
    void closedLoopCountsOperationsAndErrorsApart() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        RoundResult r = LoadGenerator.closedLoop(2, 0.2, () -> {
            if (calls.incrementAndGet() % 10 == 0) {
                throw new IllegalStateException("every tenth call fails");
            }
            Thread.sleep(1);
        });
        assertTrue(r.ops() > 10, "ops " + r.ops());
        assertTrue(r.errors() > 0, "errors " + r.errors());
        assertEquals(r.ops(), r.latencyMicros().getTotalCount(), "one latency per successful operation");
        assertTrue(r.p99Millis() >= 1.0, "p99 " + r.p99Millis());
    }

    @Test
    void boundedAsyncNeverExceedsTheInflightBound() throws Exception {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxSeen = new AtomicInteger();
        java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors.newScheduledThreadPool(2);
        try {
            RoundResult r = LoadGenerator.boundedAsync(3, 5, 0.2, done -> {
                maxSeen.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                timer.schedule(() -> {
                    inFlight.decrementAndGet();
                    done.accept(null);
                }, 2, java.util.concurrent.TimeUnit.MILLISECONDS);
            });
            assertTrue(r.ops() > 10, "ops " + r.ops());
            assertTrue(maxSeen.get() <= 5, "in flight at most 5, saw " + maxSeen.get());
        } finally {
            timer.shutdownNow();
        }
    }

    @Test
    void parsesRedisBenchmarkCsv() {
        String csv = """
                "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
                "LPUSH","19920.32","0.279","0.032","0.127","1.367","3.255","5.463"
                """;
        RedisBenchmarkTool.Run run = RedisBenchmarkTool.parse(csv, 20000, 1.2);
        assertEquals(19920.32, run.rps(), 1e-6);
        assertEquals(3.255, run.p99Millis(), 1e-9);
        assertThrows(IllegalStateException.class, () -> RedisBenchmarkTool.parse("garbage", 1, 1));
    }

    @Test
    void parsesInfoCommandstats() {
        String info = "# Commandstats\r\ncmdstat_evalsha:calls=128,usec=900,usec_per_call=7.03,rejected_calls=0,failed_calls=0\r\n"
                + "cmdstat_llen:calls=3,usec=3,usec_per_call=1.00,rejected_calls=0,failed_calls=0\r\n";
        assertEquals(Map.of("evalsha", 128L, "llen", 3L), IdleScenario.parseCommandStats(info));
    }
}
