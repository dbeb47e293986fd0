package dev.smartmq.zookeeper;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.SwitchState;
import dev.smartmq.testkit.zookeeper.ZooKeeperExtension;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A switch that created its own Curator client leaves none of its threads behind once closed. */
class ZkSwitchThreadsIT {

    @RegisterExtension
    static final ZooKeeperExtension zk = ZooKeeperExtension.server();

    @Test
    void closeEndsEveryThreadTheSwitchStarted() {
        String ns = "threads-it";
        ZkDegradationSwitch sw = ZkDegradationSwitch.builder().connectString(zk.connectString()).namespace(ns).build();
        sw.start();
        await().atMost(Duration.ofSeconds(20)).until(sw::isReachable);
        assertEquals(SwitchState.NORMAL, sw.current().state());
        assertFalse(threads(ns).isEmpty(), "a running switch has threads");
        sw.close();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(
                () -> assertTrue(threads(ns).isEmpty(), "still running after close: " + threads(ns)));
    }

    private static List<String> threads(String ns) {
        String prefix = "smartmq-zk-switch-" + ns + "-";
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith(prefix)).sorted().toList();
    }
}
