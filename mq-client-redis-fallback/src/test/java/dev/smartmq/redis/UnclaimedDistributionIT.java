package dev.smartmq.redis;

import static dev.smartmq.redis.Fixtures.drain;
import static dev.smartmq.redis.Fixtures.envelope;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.spi.ClaimedMessage;
import dev.smartmq.testkit.redis.RedisExtension;
import dev.smartmq.testkit.redis.RedisServer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The late-group rule on a real redis-server: unclaimed messages reach every group (issue 12 item 2). */
class UnclaimedDistributionIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static RedisFallbackStore store;

    @BeforeAll
    static void startStore() {
        RedisServer server = redis.server();
        store = RedisFallbackStore.builder().standalone(server.host(), server.port()).namespace("late").shards(8).build();
        store.start();
    }

    @AfterAll
    static void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    private static List<Integer> seqs(List<ClaimedMessage> got) {
        List<Integer> out = new ArrayList<>();
        got.forEach(m -> out.add(Integer.parseInt(m.envelope().message().properties().get("seq"))));
        return out;
    }

    @Test
    void unclaimedMessagesAreCopiedToEveryGroupInSendOrderAheadOfNewerOnes() {
        String topic = "late-orders";
        for (int i = 0; i < 30; i++) {
            store.append(envelope(topic, "k", "x", "seq", Integer.toString(i)), List.of());
        }
        for (int i = 0; i < 20; i++) { // keyless ones spread over the shards
            store.append(envelope(topic, null, "y", "seq", Integer.toString(100 + i)), List.of());
        }
        assertEquals(50, store.unclaimedBacklog(topic));
        assertTrue(store.unclaimedTopics().contains(topic), store.unclaimedTopics().toString());
        store.append(envelope(topic, "k", "x", "seq", "30"), List.of("billing", "audit"));

        assertEquals(50, store.distributeUnclaimed(topic, List.of("billing", "audit")));
        assertEquals(0, store.unclaimedBacklog(topic));
        assertEquals(0, store.distributeUnclaimed(topic, List.of("billing", "audit")), "nothing twice");
        List<Integer> expectedKeyed = IntStream.rangeClosed(0, 30).boxed().toList();
        for (String group : List.of("billing", "audit")) {
            List<Integer> got = seqs(drain(store, topic, group, "c-" + group));
            assertEquals(51, got.size(), group + ": " + got);
            assertEquals(expectedKeyed, got.stream().filter(s -> s < 100).toList(), group + ": key order kept");
            assertEquals(IntStream.range(100, 120).boxed().toList(),
                    got.stream().filter(s -> s >= 100).sorted().toList(), group + ": every keyless one");
        }
        assertTrue(store.unclaimedTopics().contains(topic), "stays listed (a superset)");
    }

    @Test
    void distributingToNoGroupKeepsTheMessagesUnclaimed() {
        String topic = "late-nobody";
        store.append(envelope(topic, "k", "x", "seq", "0"), List.of());
        assertEquals(0, store.distributeUnclaimed(topic, List.of()));
        assertEquals(1, store.unclaimedBacklog(topic));
    }
}
