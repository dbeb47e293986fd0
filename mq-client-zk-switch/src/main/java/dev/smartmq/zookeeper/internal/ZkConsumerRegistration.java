package dev.smartmq.zookeeper.internal;

import dev.smartmq.spi.ConsumerRegistration;
import java.util.function.BiConsumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;

/**
 * One live consumer instance: an EPHEMERAL node kept alive by Curator's {@link PersistentNode} (re-created
 * after a session loss). It is activated only once its group node exists as a PERSISTENT node: created
 * first, the PersistentNode would make the parents CONTAINER nodes, which ZooKeeper deletes when the last
 * consumer leaves, and the group record must outlive its consumers.
 */
public final class ZkConsumerRegistration implements ConsumerRegistration {

    private final String topic;
    private final String group;
    private final String consumerId;
    private final String path;
    private final BiConsumer<ZkConsumerRegistration, PersistentNode> onClose;
    private final Object lock = new Object();
    private PersistentNode node;
    private boolean closed;

    public ZkConsumerRegistration(String topic, String group, String consumerId, String path,
                                  BiConsumer<ZkConsumerRegistration, PersistentNode> onClose) {
        this.topic = topic;
        this.group = group;
        this.consumerId = consumerId;
        this.path = path;
        this.onClose = onClose;
    }

    public String topic() {
        return topic;
    }

    public String group() {
        return group;
    }

    @Override
    public String consumerId() {
        return consumerId;
    }

    public String path() {
        return path;
    }

    /** Starts the ephemeral node once; false if already active or closed. */
    public boolean activate(CuratorFramework client, byte[] data) {
        synchronized (lock) {
            if (closed || node != null) {
                return false;
            }
            node = new PersistentNode(client, CreateMode.EPHEMERAL, false, path, data);
            node.start();
            return true;
        }
    }

    public boolean isActive() {
        synchronized (lock) {
            return node != null && !closed;
        }
    }

    public boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /** Unregisters the instance (its node is deleted; the group record stays). Idempotent. */
    @Override
    public void close() {
        PersistentNode n;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            n = node;
        }
        onClose.accept(this, n);
    }

    @Override
    public String toString() {
        return "ConsumerRegistration{" + path + (isClosed() ? ", closed" : isActive() ? "" : ", pending") + "}";
    }
}
