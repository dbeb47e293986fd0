package dev.smartmq.spring.boot.autoconfigure.internal;

import dev.smartmq.api.ConsumeResult;
import dev.smartmq.api.MessageHandler;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.Subscription;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.spring.core.SmartMQListener;
import dev.smartmq.spring.core.SmartMQMessageConverter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanInitializationException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.env.Environment;
import org.springframework.util.ReflectionUtils;

/**
 * Finds {@link SmartMQListener} methods on beans (a {@link BeanPostProcessor}) and subscribes them when the
 * context starts, unsubscribes them when it stops (a {@link SmartLifecycle} in {@link #PHASE}, stopped before
 * the SmartMQ itself closes).
 *
 * <p>Threads: discovery runs on the context's creating thread; {@link #start()} and {@link #stop()} on the
 * thread that starts or stops the context; handlers on SmartMQ's consumer threads.
 */
public final class SmartMQListenerRegistrar implements BeanPostProcessor, SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(SmartMQListenerRegistrar.class);

    /** After the SmartMQ (so it is running), before the web server (so requests find listeners running). */
    public static final int PHASE = SmartMQLifecycle.PHASE + 1024;

    private record Endpoint(Object bean, Method method, Subscription subscription, String beanName) {
    }

    private final ObjectProvider<SmartMQ> smartMQ;
    private final ObjectProvider<SmartMQMessageConverter> converter;
    private final Environment environment;
    private final List<Endpoint> endpoints = new CopyOnWriteArrayList<>();
    private final List<Subscription> active = new CopyOnWriteArrayList<>();
    private volatile boolean running;

    public SmartMQListenerRegistrar(ObjectProvider<SmartMQ> smartMQ, ObjectProvider<SmartMQMessageConverter> converter,
                                    Environment environment) {
        this.smartMQ = smartMQ;
        this.converter = converter;
        this.environment = environment;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
        Class<?> type = AopUtils.getTargetClass(bean);
        Map<Method, SmartMQListener> found = MethodIntrospector.selectMethods(type,
                (MethodIntrospector.MetadataLookup<SmartMQListener>) m ->
                        AnnotatedElementUtils.findMergedAnnotation(m, SmartMQListener.class));
        for (Map.Entry<Method, SmartMQListener> e : found.entrySet()) {
            endpoints.add(endpoint(bean, beanName, e.getKey(), e.getValue()));
        }
        return bean;
    }

    private Endpoint endpoint(Object bean, String beanName, Method method, SmartMQListener a) {
        String where = beanName + "." + method.getName();
        if (method.getParameterCount() != 1) {
            throw new BeanInitializationException("@SmartMQListener method " + where
                    + " must take exactly one parameter (ReceivedMessage, byte[], String or a JSON type)");
        }
        Class<?> ret = method.getReturnType();
        if (ret != void.class && ret != ConsumeResult.class) {
            throw new BeanInitializationException("@SmartMQListener method " + where
                    + " must return void or ConsumeResult, not " + ret.getName());
        }
        Subscription s;
        try {
            s = Subscription.builder(resolve(a.topic()), resolve(a.group()))
                    .tagExpression(resolve(a.tag())).ordering(a.ordering()).build();
        } catch (IllegalArgumentException e) {
            throw new BeanInitializationException("@SmartMQListener method " + where + ": " + e.getMessage(), e);
        }
        Method invocable = AopUtils.selectInvocableMethod(method, bean.getClass());
        ReflectionUtils.makeAccessible(invocable);
        return new Endpoint(bean, invocable, s, where);
    }

    private String resolve(String value) {
        return environment.resolveRequiredPlaceholders(value);
    }

    @Override
    public void start() {
        SmartMQ mq = endpoints.isEmpty() ? null : smartMQ.getObject();
        for (Endpoint e : endpoints) {
            mq.consumer().subscribe(e.subscription(), handler(e));
            active.add(e.subscription());
            log.info("SmartMQ: {} subscribed to {}", e.beanName(), e.subscription());
        }
        running = true;
    }

    private MessageHandler handler(Endpoint e) {
        Type param = e.method().getGenericParameterTypes()[0];
        Class<?> raw = e.method().getParameterTypes()[0];
        SmartMQMessageConverter c = converter.getObject();
        return message -> {
            Object arg;
            if (raw == ReceivedMessage.class) {
                arg = message;
            } else {
                try {
                    arg = c.fromBody(message.body(), param);
                } catch (IllegalArgumentException ex) {
                    log.error("SmartMQ: message {} of {} cannot be converted for {} (attempt {}); retrying later: {}",
                            message.id(), message.topic(), e.beanName(), message.deliveryAttempt(), ex.getMessage());
                    return ConsumeResult.RETRY_LATER;
                }
            }
            Object result;
            try {
                result = e.method().invoke(e.bean(), arg);
            } catch (InvocationTargetException ex) {
                Throwable cause = ex.getCause();
                if (cause instanceof Exception checked) {
                    throw checked;
                }
                throw ex;
            }
            return result instanceof ConsumeResult r ? r : ConsumeResult.SUCCESS;
        };
    }

    @Override
    public void stop() {
        running = false;
        SmartMQ mq = active.isEmpty() ? null : smartMQ.getIfAvailable();
        for (Subscription s : active) {
            try {
                mq.consumer().unsubscribe(s.topic(), s.group());
            } catch (IllegalStateException e) {
                log.debug("SmartMQ: {} already closed: {}", s, e.getMessage());
            }
        }
        active.clear();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /** The subscriptions found on beans, for tests and diagnostics. */
    public List<Subscription> subscriptions() {
        return endpoints.stream().map(Endpoint::subscription).toList();
    }
}
