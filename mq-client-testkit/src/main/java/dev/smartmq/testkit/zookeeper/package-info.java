/**
 * Real ZooKeeper for tests and drills: {@link dev.smartmq.testkit.zookeeper.ZooKeeperServer} (one node,
 * stop/restart on the same port, server-side session expiry),
 * {@link dev.smartmq.testkit.zookeeper.ZooKeeperEnsemble} (three nodes, kill/restart one) and the JUnit 5
 * {@link dev.smartmq.testkit.zookeeper.ZooKeeperExtension}. Built on Curator's testing server; everything
 * listens on 127.0.0.1.
 */
package dev.smartmq.testkit.zookeeper;
