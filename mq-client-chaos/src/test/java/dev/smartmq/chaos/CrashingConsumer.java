package dev.smartmq.chaos;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.Subscription;
import dev.smartmq.core.SmartMQ;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The main class of a consumer JVM that a test kills with SIGKILL inside its handler: it subscribes with the
 * idempotency guard on, prints {@code HANDLING <id>} when its handler starts and then never returns from it.
 * Arguments: ZooKeeper connect string, Redis port, namespace, topic, group.
 */
public final class CrashingConsumer {

    private CrashingConsumer() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        SmartMQ mq = ConsumerCrashIT.node(args[0], Integer.parseInt(args[1]), args[2]);
        mq.consumer().subscribe(Subscription.of(args[3], args[4]), m -> {
            out.println("HANDLING " + m.id());
            Thread.sleep(Duration.ofMinutes(10).toMillis()); // killed here
            return ConsumeResult.SUCCESS;
        });
        out.println("SUBSCRIBED " + mq.consumerId());
        Thread.sleep(Duration.ofMinutes(10).toMillis());
    }
}
