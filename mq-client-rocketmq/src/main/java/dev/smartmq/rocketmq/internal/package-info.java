/** Internals of the RocketMQ transport: failure classification, message mapping, consumers. Not API. */
package dev.smartmq.rocketmq.internal;
