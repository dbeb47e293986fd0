package dev.smartmq.testkit.rocketmq;

import dev.smartmq.testkit.process.JvmProcess;
import dev.smartmq.testkit.process.ParentLink;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.apache.rocketmq.common.namesrv.NamesrvConfig;
import org.apache.rocketmq.namesrv.NamesrvController;
import org.apache.rocketmq.remoting.netty.NettyClientConfig;
import org.apache.rocketmq.remoting.netty.NettyServerConfig;

/**
 * Main of a RocketMQ name server in its own JVM, as {@link ForkedRocketMQ} starts it: listens on 127.0.0.1 on
 * the port of system property {@value #PORT}, keeps its small files in {@value #DIR}, prints
 * {@value #READY} once it serves, and stops on {@link JvmProcess#STOP_COMMAND} (or halts when its parent is gone,
 * see {@link ParentLink}). Single-threaded main; RocketMQ's own threads do the work.
 */
public final class NameServerMain {

    static final String PORT = "smartmq.namesrv.port";
    static final String DIR = "smartmq.namesrv.dir";
    static final String READY = "SMARTMQ NAMESRV READY";

    private NameServerMain() {
    }

    public static void main(String[] args) throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        ParentLink.start(line -> {
            if (JvmProcess.STOP_COMMAND.equals(line)) {
                stop.countDown();
            }
        });
        RocketMQLogging.ensureConfigured();
        int port = Integer.parseInt(required(PORT));
        Path dir = Path.of(required(DIR));
        NamesrvConfig config = new NamesrvConfig();
        config.setKvConfigPath(dir.resolve("kvConfig.json").toString());
        config.setConfigStorePath(dir.resolve("namesrv.properties").toString());
        NettyServerConfig server = new NettyServerConfig();
        server.setBindAddress("127.0.0.1");
        server.setListenPort(port);
        NamesrvController controller = new NamesrvController(config, server, new NettyClientConfig());
        if (!controller.initialize()) {
            throw new IllegalStateException("name server failed to initialise on port " + port);
        }
        controller.start();
        System.out.println(READY + " port=" + port);
        System.out.flush();
        stop.await();
        controller.shutdown();
        System.out.println("SMARTMQ NAMESRV STOPPED");
        System.out.flush();
        System.exit(0); // RocketMQ leaves non-daemon threads behind after shutdown
    }

    static String required(String key) {
        String v = System.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("system property " + key + " is required");
        }
        return v;
    }
}
