/**
 * The SmartMQ Spring Boot starter holds no code: it brings {@code mq-client-spring-boot-autoconfigure}, the
 * RocketMQ, Redis and ZooKeeper adapters and Spring Boot's starter. See the auto-configuration module's README.
 */
package dev.smartmq.spring.boot.starter;
