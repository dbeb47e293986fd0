package dev.smartmq.admin;

import dev.smartmq.api.DeliveryException;
import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.redis.RedisDeadLetters;
import dev.smartmq.redis.DeadLetter;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.rocketmq.RocketMQTransport;
import dev.smartmq.zookeeper.ZkCoordination;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code smartmq-admin dlq replay}: re-sends dead letters through the normal SmartMQ send path, then removes each
 * from the dead-letter list once its send returned.
 *
 * <p>At least once: a dead letter is removed only after {@code send} returned a receipt. If the tool dies, or the
 * removal fails, between the two, the message was sent and is still a dead letter; replaying again sends it
 * again. A send that fails stops the replay and leaves that dead letter (and the rest) in place.
 *
 * <p>The engine it starts sees the switch through a {@link ReadOnlyCoordination}: it never joins the election and never
 * publishes a transition. With the brokers unreachable its sends fall back to the fallback store message by
 * message (and, past the failure threshold, this process degrades locally), but the fleet's switch is untouched.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Re-send dead letters through the normal SmartMQ send path (RocketMQ, or the fallback store "
                + "while the switch is DEGRADED), then remove each from the dead-letter list once its send returned.",
                "The message is sent to its TOPIC: every consumer group subscribed to the topic receives it again, "
                        + "not only --group. It gets a new message id and the property smartmq.replay-of=<original id>.",
                "At least once: if this tool dies between a send and the removal, the message stays a dead letter "
                        + "and a later replay sends it again. Corrupt (undecodable) dead letters are skipped."})
final class DlqReplay extends DlqCommand.DlqBase {

    /** User property carrying the id of the dead letter a replayed message came from. */
    static final String REPLAY_OF_PROPERTY = "smartmq.replay-of";

    @Option(names = "--id", paramLabel = "<id>", description = "Only this message id (exit 4 if absent).")
    String id;

    @Option(names = "--limit", paramLabel = "<n>", defaultValue = "100",
            description = "At most this many dead letters (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--namesrv", paramLabel = "<host:port[;host:port]>", required = true,
            description = "RocketMQ name server(s). ACL credentials from env " + AdminEnvironment.ROCKETMQ_ACCESS_KEY_ENV
                    + " and " + AdminEnvironment.ROCKETMQ_SECRET_KEY_ENV + ".")
    String namesrv;

    @Option(names = "--producer-group", paramLabel = "<group>", defaultValue = "smartmq-admin",
            description = "RocketMQ producer group of the replay (default: ${DEFAULT-VALUE}).")
    String producerGroup;

    DlqReplay(AdminEnvironment env) {
        super(env);
    }

    private static Duration clamp(Duration d, Duration min, Duration max) {
        return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
    }

    @Override
    int execute() {
        checkNames();
        checkName("--producer-group", producerGroup);
        if (limit < 1 || limit > 100_000) {
            throw AdminException.usage("--limit must be between 1 and 100000, but was " + limit);
        }
        if (namesrv.isBlank()) {
            throw AdminException.usage("--namesrv must not be blank");
        }
        String accessKey = env.get(AdminEnvironment.ROCKETMQ_ACCESS_KEY_ENV);
        String secretKey = env.get(AdminEnvironment.ROCKETMQ_SECRET_KEY_ENV);
        if ((accessKey == null) != (secretKey == null)) {
            throw AdminException.usage("set both " + AdminEnvironment.ROCKETMQ_ACCESS_KEY_ENV + " and "
                    + AdminEnvironment.ROCKETMQ_SECRET_KEY_ENV + ", or neither");
        }
        RedisFallbackStore.Builder storeBuilder = common.storeBuilder(env, err());
        // A replay is not latency-critical: give the MQ the whole --timeout, within the transport's bounds.
        RocketMQTransport.Builder tb = RocketMQTransport.builder().nameServer(namesrv).producerGroup(producerGroup)
                .sendTimeout(clamp(common.timeout, Duration.ofMillis(100), Duration.ofSeconds(60)))
                .nameServerTimeout(clamp(common.timeout, Duration.ofMillis(100), Duration.ofSeconds(30)));
        if (accessKey != null) {
            tb.aclCredentials(accessKey, secretKey);
        }
        List<Map<String, Object>> replayed = new ArrayList<>();
        int skipped = 0;
        int alreadyGone = 0;
        String failure = null;
        try (ZkSession zk = zk()) {
            RedisFallbackStore store = storeBuilder.build();
            RocketMQTransport transport = tb.build();
            // Never in the election, never a transition (issue 22): see ReadOnlyCoordination.
            ReadOnlyCoordination zkSwitch = new ReadOnlyCoordination(ZkCoordination.builder()
                    .client(zk.client())
                    .rootPath(common.zkRoot)
                    .namespace(common.namespace)
                    .operationTimeout(common.timeout)
                    .writers(common.zkWriters)
                    .instanceId("smartmq-admin-replay/" + ProcessHandle.current().pid())
                    .joinElection(false)
                    .build(), zk::storedShardCount);
            // The SmartMQ instance owns and closes the store, the transport and the switch (not the shared client).
            SmartMQ built;
            try {
                built = SmartMQ.builder()
                        .config(SmartMQConfig.custom().namespace(common.namespace).build())
                        .transport(transport)
                        .fallbackStore(store)
                        .coordination(zkSwitch)
                        .build();
            } catch (RuntimeException e) {
                transport.close();
                store.close();
                zkSwitch.close();
                throw e;
            }
            try (SmartMQ mq = built) {
                List<DeadLetter> letters = id != null ? List.of(find(store, id)) : RedisDeadLetters.of(store).list(topic, group, limit);
                for (DeadLetter d : letters) {
                    if (d.envelope() == null) {
                        skipped++;
                        continue;
                    }
                    String original = d.envelope().id();
                    Message message = DlqCommand.replayMessage(d.envelope());
                    SendReceipt receipt;
                    try {
                        receipt = mq.producer().send(message);
                    } catch (DeliveryException | InvalidMessageException e) {
                        failure = "replay of " + original + " failed, it stays a dead letter: " + e.getMessage();
                        break;
                    }
                    // Only now: a crash before this line leaves a sent message that is still a dead letter.
                    boolean removed = RedisDeadLetters.of(store).remove(topic, group, original);
                    if (!removed) {
                        alreadyGone++;
                    }
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("originalId", original);
                    m.put("newId", receipt.messageId());
                    m.put("route", receipt.route().name());
                    m.put("removed", removed);
                    replayed.add(m);
                }
            }
        }
        if (common.json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("namespace", common.namespace);
            doc.put("topic", topic);
            doc.put("group", group);
            doc.put("replayed", replayed);
            doc.put("skippedCorrupt", skipped);
            doc.put("alreadyRemoved", alreadyGone);
            if (failure != null) {
                doc.put("error", failure);
                doc.put("exitCode", ExitCodes.FAILURE);
            }
            printJson(doc);
        } else {
            for (Map<String, Object> m : replayed) {
                out().println("replayed " + m.get("originalId") + " as " + m.get("newId") + " via " + m.get("route")
                        + (Boolean.TRUE.equals(m.get("removed")) ? "" : " (dead letter was already gone)"));
            }
            out().println(replayed.size() + " replayed, " + skipped + " corrupt skipped"
                    + (alreadyGone > 0 ? ", " + alreadyGone + " already removed by someone else" : ""));
        }
        if (failure != null) {
            err().println("smartmq-admin: " + failure);
            return ExitCodes.FAILURE;
        }
        return ExitCodes.OK;
    }
}
