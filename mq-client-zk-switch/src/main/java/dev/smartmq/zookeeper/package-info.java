/**
 * SmartMQ's degradation switch, consumer-group registry and leader election on ZooKeeper (Apache Curator):
 * {@link dev.smartmq.zookeeper.ZkCoordination} implements {@link dev.smartmq.spi.Coordination} (its three views
 * share one Curator client); {@link dev.smartmq.zookeeper.ZkDegradationSwitch} is the deprecated 1.x composite.
 * Depends on {@code mq-client-api}, Curator, ZooKeeper, Jackson and slf4j-api only; never on the engine.
 * Everything under {@code dev.smartmq.zookeeper.internal} is not public API.
 */
package dev.smartmq.zookeeper;
