package dev.smartmq.testkit.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.DeliveryException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CheckerConcurrencyTest {

    private static final int THREADS = 8;
    private static final int PER_THREAD = 50_000;

    /**
     * 8 threads × 50,000 sends racing on one checker, each thread with its own key, deliveries sometimes before
     * the acknowledgement. Every count must come out exact.
     */
    @Test
    void countsAreExactUnderEightThreads() throws Exception {
        DeliveryChecker checker = DeliveryChecker.create();
        checker.expectGroups("g1", "g2");
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS, r -> {
            Thread t = new Thread(r, "test-checker-" + UUID.randomUUID());
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    go.await();
                    record(checker, thread);
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(4, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }

        long n = (long) THREADS * PER_THREAD;
        long failed = n / 100;           // i % 100 == 1
        long unknown = n / 100;          // i % 100 == 3, delivered anyway
        long acked = n - failed - unknown;
        CheckReport r = checker.report();
        assertEquals(n, r.sent());
        assertEquals(acked, r.acked());
        assertEquals(n / 2 - failed - unknown, r.ackedViaFallback(), "acknowledged odd i went through the fallback");
        assertEquals(failed, r.failed());
        assertEquals(unknown, r.unknown());
        assertEquals(0, r.pending());

        GroupReport g1 = r.group("g1");
        assertEquals(acked + unknown, g1.consumed());
        assertEquals(0, g1.lost());
        assertEquals(n / 10, g1.duplicates());          // i % 10 == 0 delivered twice (all acknowledged)
        assertEquals(0, g1.orderViolations());
        assertEquals(0, g1.unexpected(), "deliveries of unknown sends are explained by them");

        GroupReport g2 = r.group("g2");
        assertEquals(n / 1000, g2.lost());               // i % 1000 == 5 never delivered to g2
        assertEquals(acked - n / 1000 + unknown, g2.consumed());
        assertEquals(0, g2.duplicates());
        assertEquals(0, g2.orderViolations());

        assertEquals(n / 1000, r.totalLost());
        assertEquals(DeliveryChecker.DEFAULT_LOST_SAMPLE_SIZE, r.lostIds().size());
        assertFalse(checker.allDelivered());
        assertFalse(checker.awaitAllDelivered(Duration.ofMillis(100)));
        assertFalse(r.isClean());
    }

    private static void record(DeliveryChecker checker, int thread) {
        String key = "key-" + thread;
        for (int i = 0; i < PER_THREAD; i++) {
            String id = thread + "-" + i;
            String route = i % 2 == 0 ? "MQ" : "FALLBACK";
            SendRecorder.Attempt a = checker.beginSend(key);
            if (i % 100 == 1) {
                a.failed(new DeliveryException(id, "both down", null));
                continue;
            }
            if (i % 100 == 3) {
                a.unknown(new TimeoutException());
                checker.delivered("g1", id, route);
                checker.delivered("g2", id, route);
                continue;
            }
            if (i % 2 == 0) {
                checker.delivered("g1", id, route); // the consumer beat the producer's acknowledgement
                a.ok(id, route);
            } else {
                a.ok(id, route);
                checker.delivered("g1", id, route);
            }
            if (i % 10 == 0) {
                checker.delivered("g1", id, route);
            }
            if (i % 1000 != 5) {
                checker.delivered("g2", id, route);
            }
        }
    }

    /** A million messages with UUID ids fit in the test JVM's 512 MB heap and report quickly. */
    @Test
    void aMillionMessagesFitInMemory() {
        DeliveryChecker checker = DeliveryChecker.create();
        checker.expectGroups("g");
        int n = 1_000_000;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            String id = UUID.randomUUID().toString();
            checker.beginSend("key-" + (i % 1000)).ok(id, "MQ");
            checker.delivered("g", id, "MQ");
        }
        assertTrue(checker.allDelivered());
        CheckReport r = checker.report();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.gc(); // only to make the printed figure closer to what the checker retains
        Runtime rt = Runtime.getRuntime();
        long usedMb = (rt.totalMemory() - rt.freeMemory()) >> 20;
        System.out.printf("1M messages recorded and reported in %d ms, heap in use after GC ~%d MB of max %d MB%n", millis,
                usedMb, rt.maxMemory() >> 20);
        assertEquals(n, r.acked());
        assertEquals(n, r.group("g").consumed());
        assertEquals(0, r.totalOrderViolations());
        assertTrue(r.isClean());
    }
}
