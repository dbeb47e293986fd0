package dev.smartmq.testkit.rocketmq;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A forked broker listens only on ports the testkit reserved for it, the same after a restart. Found by the chaos
 * campaign (seed 20261201): the store's HA listener was given port 0, so every start took a fresh ephemeral port;
 * broker 0, restarted while broker 1 was dead, took broker 1's fixed port for it, and broker 1 could never start
 * again ("timed out waiting for port … to be free"); the messages stored on it were stranded. Linux only (reads
 * the listening sockets with {@code ss}).
 */
class BrokerPortsIT {

    @Test
    void aForkedBrokerListensOnlyOnItsReservedPortsBeforeAndAfterARestart() throws Exception {
        assumeTrue(ssAvailable(), "needs ss (iproute2)");
        try (ForkedRocketMQ mq = ForkedRocketMQ.builder().build()) {
            mq.start();
            Set<Integer> reserved = reserved(mq);
            Set<Integer> first = listening(mq.brokerProcess(0).pid());
            assertFalse(first.isEmpty(), "the broker listens somewhere");
            assertTrue(reserved.containsAll(first), "broker ports " + first + " outside the reserved " + reserved
                    + ": an ephemeral listener can take a dead broker's fixed port");
            mq.killBroker(0);
            mq.startBroker(0);
            Set<Integer> second = listening(mq.brokerProcess(0).pid());
            assertTrue(reserved.containsAll(second), "after a restart: " + second + " outside " + reserved);
        }
    }

    /** What the testkit reserves for broker 0: its listen port, listen port - 2, the store's HA port. */
    private static Set<Integer> reserved(ForkedRocketMQ mq) {
        return mq.brokerPorts(0);
    }

    private static boolean ssAvailable() {
        try {
            return new ProcessBuilder("ss", "-V").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** TCP ports process {@code pid} listens on. */
    static Set<Integer> listening(long pid) throws IOException, InterruptedException {
        Process ss = new ProcessBuilder("ss", "-ltnpH").redirectErrorStream(true).start();
        String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        ss.waitFor();
        Set<Integer> ports = new TreeSet<>();
        Pattern line = Pattern.compile("\\S+\\s+\\d+\\s+\\d+\\s+\\S*:(\\d+)\\s+.*pid=" + pid + ",");
        for (String l : out.split("\n")) {
            Matcher m = line.matcher(l);
            if (m.find()) {
                ports.add(Integer.parseInt(m.group(1)));
            }
        }
        return ports;
    }
}
