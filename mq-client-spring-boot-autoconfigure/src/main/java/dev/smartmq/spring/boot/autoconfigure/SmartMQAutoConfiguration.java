package dev.smartmq.spring.boot.autoconfigure;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.spring.boot.autoconfigure.internal.SmartMQApplicationEvents;
import dev.smartmq.spring.boot.autoconfigure.internal.SmartMQFactory;
import dev.smartmq.spring.boot.autoconfigure.internal.SmartMQLifecycle;
import dev.smartmq.spring.boot.autoconfigure.internal.SmartMQListenerRegistrar;
import dev.smartmq.spring.core.DefaultSmartMQMessageConverter;
import dev.smartmq.spring.core.SmartMQMessageConverter;
import dev.smartmq.spring.core.SmartMQTemplate;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Builds one {@link SmartMQ} from {@code smartmq.*} properties (unless the application defines its own
 * {@code SmartMQ} bean), a {@link SmartMQTemplate}, the {@code @SmartMQListener} support, and — when Actuator
 * and Micrometer are present — the {@code smartmq} health indicator and the tagged meters.
 *
 * <p>Order at shutdown: the web server, then the listeners ({@link SmartMQListenerRegistrar#PHASE}), then the
 * SmartMQ ({@link SmartMQLifecycle#PHASE}: consumers, producer drain, ports). Threads: beans are created on the
 * context's thread; everything else is documented on the bean types.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration",
        "org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration"})
@ConditionalOnClass(SmartMQ.class)
@ConditionalOnProperty(prefix = "smartmq", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(SmartMQProperties.class)
public class SmartMQAutoConfiguration {

    /** Built and started from the properties; closed by {@link SmartMQLifecycle} (and on destroy). */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public SmartMQ smartMQ(SmartMQProperties properties, Environment environment,
                           ObjectProvider<SslBundles> sslBundles) {
        return SmartMQFactory.create(properties, environment, sslBundles.getIfAvailable());
    }

    /** Closes the auto-configured SmartMQ when the context stops, after the listeners. */
    @Bean
    public SmartMQLifecycle smartMQLifecycle(SmartMQ smartMQ) {
        return new SmartMQLifecycle(smartMQ);
    }

    @Bean
    @ConditionalOnMissingBean
    public SmartMQMessageConverter smartMQMessageConverter(ObjectProvider<ObjectMapper> objectMapper) {
        return new DefaultSmartMQMessageConverter(objectMapper::getIfAvailable);
    }

    @Bean
    @ConditionalOnMissingBean
    public SmartMQTemplate smartMQTemplate(SmartMQ smartMQ, SmartMQMessageConverter converter) {
        return new SmartMQTemplate(smartMQ.producer(), converter);
    }

    /** Forwards every {@code SmartMQEvent} to the context ({@code @EventListener} methods of the application). */
    @Bean
    @ConditionalOnMissingBean
    public SmartMQApplicationEvents smartMQApplicationEvents(SmartMQ smartMQ, ApplicationEventPublisher publisher) {
        return new SmartMQApplicationEvents(smartMQ, publisher);
    }

    @Bean
    public static SmartMQListenerRegistrar smartMQListenerRegistrar(ObjectProvider<SmartMQ> smartMQ,
                                                                   ObjectProvider<SmartMQMessageConverter> converter,
                                                                   Environment environment) {
        return new SmartMQListenerRegistrar(smartMQ, converter, environment);
    }

    /** The {@code smartmq} health indicator (bean name {@code smartmqHealthIndicator}). */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    @ConditionalOnEnabledHealthIndicator("smartmq")
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "smartmqHealthIndicator")
        public SmartMQHealthIndicator smartmqHealthIndicator(SmartMQ smartMQ, SmartMQProperties properties) {
            return new SmartMQHealthIndicator(smartMQ, properties.getMetricPrefix());
        }
    }

    /** Tagged Micrometer meters over the engine's metrics. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({MeterBinder.class, MeterRegistry.class})
    static class Metrics {
        @Bean
        @ConditionalOnMissingBean
        public SmartMQMeterBinder smartMQMeterBinder(SmartMQ smartMQ, SmartMQProperties properties) {
            return new SmartMQMeterBinder(smartMQ.metrics(), properties.getMetricPrefix(),
                    smartMQ.config().namespace());
        }
    }
}
