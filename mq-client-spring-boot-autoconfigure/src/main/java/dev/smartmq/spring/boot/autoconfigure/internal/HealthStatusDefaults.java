package dev.smartmq.spring.boot.autoconfigure.internal;

import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Adds, with the lowest precedence, Actuator's status order with SmartMQ's {@code DEGRADED} between
 * {@code OUT_OF_SERVICE} and {@code UP}, and maps {@code DEGRADED} to HTTP 200. Any value the application
 * sets itself wins. Without the order Boot would ignore an unknown status when aggregating.
 * Stateless; runs once on the thread that prepares the environment.
 */
public final class HealthStatusDefaults implements EnvironmentPostProcessor {

    static final String SOURCE = "smartmqHealthStatusDefaults";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (environment.getPropertySources().contains(SOURCE)) {
            return;
        }
        environment.getPropertySources().addLast(new MapPropertySource(SOURCE, Map.of(
                "management.endpoint.health.status.order", "DOWN,OUT_OF_SERVICE,DEGRADED,UP,UNKNOWN",
                "management.endpoint.health.status.http-mapping.DEGRADED", "200")));
    }
}
