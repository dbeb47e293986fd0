/**
 * Spring Boot auto-configuration of SmartMQ: {@link dev.smartmq.spring.boot.autoconfigure.SmartMQProperties}
 * ({@code smartmq.*}), the {@code smartmq} health indicator and the tagged Micrometer meters. Types under
 * {@code internal} are implementation, not API.
 */
package dev.smartmq.spring.boot.autoconfigure;
