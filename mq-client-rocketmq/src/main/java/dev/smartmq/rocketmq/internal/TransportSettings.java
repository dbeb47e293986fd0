package dev.smartmq.rocketmq.internal;

import dev.smartmq.rocketmq.ConsumeFrom;
import java.time.Duration;

/**
 * The immutable settings of one {@code RocketMQTransport}, copied from its builder at {@code build()}, so a
 * builder changed later cannot change a running transport. The builder validates every value; this record only
 * carries them. {@link #toString()} masks the secret key.
 *
 * <p>Threads: immutable, shared freely.
 */
public record TransportSettings(String nameServer, String producerGroup, String namespace, String accessKey,
                                String secretKey, Duration sendTimeout, Duration nameServerTimeout,
                                Duration routeRefreshInterval, int retriesWhenSendFailed, int maxBodySize,
                                int asyncSendThreads, int asyncSendQueueCapacity, ConsumeFrom consumeFrom,
                                int consumeThreads, int brokerIsolationThreshold) {

    @Override
    public String toString() {
        return "nameServer=" + nameServer + ", producerGroup=" + producerGroup + ", namespace=" + namespace
                + ", accessKey=" + accessKey + ", secretKey=" + (secretKey == null ? null : "<masked>")
                + ", sendTimeout=" + sendTimeout + ", nameServerTimeout=" + nameServerTimeout
                + ", routeRefreshInterval=" + routeRefreshInterval + ", retriesWhenSendFailed=" + retriesWhenSendFailed
                + ", maxBodySize=" + maxBodySize + ", asyncSendThreads=" + asyncSendThreads
                + ", asyncSendQueueCapacity=" + asyncSendQueueCapacity + ", consumeFrom=" + consumeFrom
                + ", consumeThreads=" + consumeThreads + ", brokerIsolationThreshold=" + brokerIsolationThreshold;
    }
}
