/**
 * {@link dev.smartmq.testkit.proxy.FaultProxy}: a loopback TCP proxy that black-holes, delays, cuts or
 * refuses connections on demand, so tests cause network faults and not only process deaths. JDK sockets only.
 */
package dev.smartmq.testkit.proxy;
