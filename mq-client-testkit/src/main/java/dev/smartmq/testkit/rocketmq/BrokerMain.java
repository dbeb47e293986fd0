package dev.smartmq.testkit.rocketmq;

import dev.smartmq.testkit.process.JvmProcess;
import dev.smartmq.testkit.process.ParentLink;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.apache.rocketmq.broker.BrokerController;
import org.apache.rocketmq.common.BrokerConfig;
import org.apache.rocketmq.remoting.netty.NettyClientConfig;
import org.apache.rocketmq.remoting.netty.NettyServerConfig;
import org.apache.rocketmq.store.config.MessageStoreConfig;

/**
 * Main of one RocketMQ master broker in its own JVM, as {@link ForkedRocketMQ} starts it. Everything comes from
 * system properties (so a restart with the same command line gets the same port and store): name
 * {@value #NAME}, cluster {@value #CLUSTER}, listen port {@value #PORT} (127.0.0.1; the broker also binds
 * {@code port - 2}), advertised port {@value #ADVERTISED_PORT} (what it registers with the name server, e.g. a
 * fault proxy's), name server {@value #NAMESRV}, store {@value #STORE}, {@value #AUTO_CREATE}. The settings are
 * {@link EmbeddedRocketMQ}'s (small files and pools, a 5 s busy tolerance for a shared 2-core machine).
 *
 * <p>Prints {@value #READY} once started; stops on {@link JvmProcess#STOP_COMMAND}; halts when its parent is gone.
 */
public final class BrokerMain {

    static final String NAME = "smartmq.broker.name";
    static final String CLUSTER = "smartmq.broker.cluster";
    static final String PORT = "smartmq.broker.port";
    static final String ADVERTISED_PORT = "smartmq.broker.advertisedPort";
    static final String NAMESRV = "smartmq.broker.namesrv";
    static final String STORE = "smartmq.broker.store";
    static final String HA_PORT = "smartmq.broker.haPort";
    static final String AUTO_CREATE = "smartmq.broker.autoCreateTopics";
    static final String READY = "SMARTMQ BROKER READY";

    private static final String HOST = "127.0.0.1";

    private BrokerMain() {
    }

    public static void main(String[] args) throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        ParentLink.start(line -> {
            if (JvmProcess.STOP_COMMAND.equals(line)) {
                stop.countDown();
            }
        });
        RocketMQLogging.ensureConfigured();
        String name = NameServerMain.required(NAME);
        int port = Integer.parseInt(NameServerMain.required(PORT));
        int advertised = Integer.parseInt(System.getProperty(ADVERTISED_PORT, Integer.toString(port)));
        Path store = Path.of(NameServerMain.required(STORE));

        BrokerConfig broker = EmbeddedRocketMQ.testBrokerConfig(
                System.getProperty(CLUSTER, EmbeddedRocketMQ.DEFAULT_CLUSTER_NAME), name, port,
                NameServerMain.required(NAMESRV), Boolean.parseBoolean(System.getProperty(AUTO_CREATE, "true")), store);
        MessageStoreConfig storeConfig = EmbeddedRocketMQ.testStoreConfig(store,
                EmbeddedRocketMQ.DEFAULT_COMMIT_LOG_FILE_SIZE, Integer.parseInt(NameServerMain.required(HA_PORT)));

        NettyServerConfig server = new NettyServerConfig();
        server.setBindAddress(HOST);
        server.setListenPort(port);
        NettyClientConfig client = new NettyClientConfig();
        String advertisedAddress = HOST + ":" + advertised;
        BrokerController controller = new BrokerController(broker, server, client, storeConfig) {
            // See EmbeddedRocketMQ: every register/unregister call takes the address from here.
            @Override
            public String getBrokerAddr() {
                return advertisedAddress;
            }
        };
        if (!controller.initialize()) {
            throw new IllegalStateException("broker " + name + " failed to initialise (store " + store + ")");
        }
        controller.start();
        EmbeddedRocketMQ.stopTransactionMetricsFlush(controller);
        controller.registerBrokerAll(true, false, true);
        System.out.println(READY + " name=" + name + " port=" + port + " advertised=" + advertised);
        System.out.flush();
        stop.await();
        controller.shutdown();
        System.out.println("SMARTMQ BROKER STOPPED name=" + name);
        System.out.flush();
        System.exit(0); // RocketMQ 5.5.0 leaves a non-daemon RocksDB scheduler behind (see EmbeddedRocketMQ)
    }
}
