package dev.smartmq.rocketmq.internal;

import java.time.Duration;
import java.util.Objects;
import org.apache.rocketmq.client.ClientConfig;
import org.apache.rocketmq.remoting.RPCHook;

/**
 * Settings every RocketMQ client of one transport shares. Applying them in one place keeps producer and
 * consumers consistent (same instance name, so they share one {@code MQClientInstance} owned by this
 * transport alone; same name server timeout; VIP channel off).
 *
 * @param nameServer        name server address list ({@code host:port;host:port})
 * @param namespace         RocketMQ namespace, or {@code null}
 * @param instanceName      unique per transport
 * @param rpcHook           ACL hook, or {@code null}
 * @param nameServerTimeout timeout of one name server call (route lookups)
 * @param routeRefresh      how often routes are re-read from the name server
 */
public record ClientSettings(String nameServer, String namespace, String instanceName, RPCHook rpcHook,
                             Duration nameServerTimeout, Duration routeRefresh) {

    public ClientSettings {
        Objects.requireNonNull(nameServer, "nameServer");
        Objects.requireNonNull(instanceName, "instanceName");
        Objects.requireNonNull(nameServerTimeout, "nameServerTimeout");
        Objects.requireNonNull(routeRefresh, "routeRefresh");
    }

    /** Applies the shared settings to a producer or consumer before it starts. */
    public void applyTo(ClientConfig client) {
        client.setNamesrvAddr(nameServer);
        client.setInstanceName(instanceName);
        if (namespace != null) {
            client.setNamespaceV2(namespace);
        }
        // The VIP channel is the broker's port - 2: it would bypass a proxy in front of the broker and is
        // off by default in RocketMQ 5; pin it off.
        client.setVipChannelEnabled(false);
        client.setMqClientApiTimeout((int) nameServerTimeout.toMillis());
        client.setPollNameServerInterval((int) routeRefresh.toMillis());
    }

    @Override
    public String toString() {
        // rpcHook holds the ACL secret: never print it.
        return "ClientSettings{nameServer=" + nameServer + ", namespace=" + namespace + ", instanceName="
                + instanceName + ", acl=" + (rpcHook != null) + ", nameServerTimeout=" + nameServerTimeout
                + ", routeRefresh=" + routeRefresh + "}";
    }
}
