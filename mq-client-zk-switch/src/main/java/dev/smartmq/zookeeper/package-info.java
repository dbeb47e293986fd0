/**
 * SmartMQ's degradation switch, consumer-group registry and leader election on ZooKeeper (Apache Curator):
 * {@link dev.smartmq.zookeeper.ZkDegradationSwitch} implements {@link dev.smartmq.spi.DegradationSwitch}.
 * Depends on {@code mq-client-api}, Curator, ZooKeeper, Jackson and slf4j-api only; never on the engine.
 * Everything under {@code dev.smartmq.zookeeper.internal} is not public API.
 */
package dev.smartmq.zookeeper;
