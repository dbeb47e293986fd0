package dev.smartmq.chaos.campaign;

import dev.smartmq.testkit.process.JvmProcess;
import dev.smartmq.testkit.proxy.FaultProxy;
import dev.smartmq.testkit.rocketmq.ForkedRocketMQ;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.curator.test.InstanceSpec;

/**
 * The SmartMQ client processes of one campaign ({@link ClientMain} in child JVMs, started with the test
 * classpath) and each one's links: brokers through the brokers' proxies, Redis through the Redis proxy, and
 * ZooKeeper through three proxies of its own (one per ensemble node), so one client can be cut off from ZooKeeper
 * long enough for its session to expire. Thread-safe per client (each client's calls are serialised on its
 * process object); the campaign's injector never works on one client from two threads.
 */
final class ClientFleet implements AutoCloseable {

    static final String READY = "CAMPAIGN CLIENT READY";

    private final Map<String, JvmProcess> processes = new LinkedHashMap<>();
    private final Map<String, List<FaultProxy>> zkLinks = new LinkedHashMap<>();
    private final Map<String, Boolean> exitedCleanly = new LinkedHashMap<>();

    ClientFleet(CampaignServers servers, CampaignConfig config, String namespace, String topic, Path historyDir) {
        Map<String, String> clientProps = ForkedRocketMQ.clientSystemProperties(historyDir.resolve("rocketmq-logs"));
        String redis = "127.0.0.1:" + servers.redisProxy().port();
        for (String name : allNames(config)) {
            List<FaultProxy> links = new ArrayList<>();
            StringBuilder connect = new StringBuilder();
            for (InstanceSpec node : servers.zooKeeper().servers()) {
                FaultProxy p = FaultProxy.start("127.0.0.1", node.getPort());
                links.add(p);
                connect.append(connect.length() == 0 ? "" : ",").append(p.address());
            }
            zkLinks.put(name, links);
            boolean producer = config.producers().containsKey(name);
            CampaignConfig.ConsumerSpec c = config.consumer(name);
            ClientSpec spec = new ClientSpec(name, producer ? "producer" : "consumer",
                    historyDir.resolve(name + ".history").toString(), servers.rocketMQ().nameServerAddress(), redis,
                    connect.toString(), namespace, topic, producer ? config.producers().get(name) : "-",
                    config.intervalMillis(), producer ? "-" : c.group(), !producer && c.ordered(), producer ? 0 : 40,
                    300);
            JvmProcess.Builder b = JvmProcess.builder(ClientMain.class.getName()).name(name).heap("192m")
                    .jvmArg("-XX:+UseSerialGC").jvmArg("-XX:TieredStopAtLevel=1")
                    .systemProperties(clientProps).systemProperties(spec.toSystemProperties())
                    .logFile(historyDir.resolve(name + ".log"));
            if (!config.plant().isEmpty() && producer) {
                b.systemProperty(PlantedDefects.PROPERTY, config.plant());
            }
            processes.put(name, b.build());
        }
    }

    static List<String> allNames(CampaignConfig config) {
        List<String> names = new ArrayList<>(config.consumers().keySet());
        names.addAll(config.lateConsumers().keySet());
        names.addAll(config.producers().keySet());
        return names;
    }

    /** Starts {@code name} (if not running) and waits until it is sending or subscribed. */
    void start(String name) {
        JvmProcess p = process(name);
        synchronized (p) {
            if (p.isAlive()) {
                return;
            }
            p.start();
        }
        p.awaitCondition("ready line", Duration.ofSeconds(90), () -> p.logContains(READY));
    }

    void kill(String name) {
        process(name).kill();
    }

    /** Stop command; whether it exited by itself within the bound (a process left behind otherwise). */
    boolean stop(String name) {
        boolean clean = process(name).stop(CampaignSettings.PROCESS_EXIT_BOUND);
        exitedCleanly.merge(name, clean, Boolean::logicalAnd);
        return clean;
    }

    boolean isAlive(String name) {
        return process(name).isAlive();
    }

    /** The client's links to ZooKeeper (one proxy per node). */
    List<FaultProxy> zooKeeperLinks(String name) {
        return zkLinks.get(name);
    }

    /** Processes that did not exit by themselves after a graceful stop (left behind, SIGKILLed). */
    List<String> leftBehind() {
        return exitedCleanly.entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey).toList();
    }

    JvmProcess process(String name) {
        JvmProcess p = processes.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no client process " + name);
        }
        return p;
    }

    @Override
    public void close() {
        processes.values().forEach(JvmProcess::close);
        zkLinks.values().forEach(l -> l.forEach(FaultProxy::close));
    }
}
