package dev.smartmq.spring.boot.autoconfigure.internal;

import dev.smartmq.spring.boot.autoconfigure.InvalidSmartMQPropertyException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Prints a refused SmartMQ property as Spring Boot's "APPLICATION FAILED TO START" report: the property,
 * the value and the rule. Stateless.
 */
public final class InvalidPropertyFailureAnalyzer extends AbstractFailureAnalyzer<InvalidSmartMQPropertyException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidSmartMQPropertyException cause) {
        String description = "SmartMQ refused the property '" + cause.property() + "'"
                + (cause.value() == null ? "" : " with the value " + cause.value()) + ": " + cause.reason();
        String action = "Fix '" + cause.property() + "' in the application's configuration "
                + "(see mq-client-spring-boot-autoconfigure/README.md for every smartmq.* property).";
        return new FailureAnalysis(description, action, cause);
    }
}
