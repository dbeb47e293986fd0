package dev.smartmq.zookeeper.internal;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.apache.curator.framework.listen.StandardListenerManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listeners of one kind, each with the executor its owner gave, on Curator's {@link StandardListenerManager}
 * (which runs each callback on the listener's executor and logs a callback that throws). Added here: an executor
 * that rejects a callback (its owner shut it down) costs that listener that callback, with a WARN, and never the
 * other listeners theirs.
 *
 * <p>Thread rules: thread-safe; {@link #fire} never blocks and never throws.
 *
 * @param <T> the listener type
 */
public final class ListenerFanOut<T> {
    private static final Logger log = LoggerFactory.getLogger(ListenerFanOut.class);

    private final StandardListenerManager<T> listeners = StandardListenerManager.standard();
    private final String namespace;

    public ListenerFanOut(String namespace) {
        this.namespace = namespace;
    }

    public void add(T listener, Executor executor) {
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(executor, "executor");
        listeners.addListener(listener, task -> {
            try {
                executor.execute(task);
            } catch (RejectedExecutionException e) {
                log.warn("SmartMQ switch [{}]: listener executor of {} rejected a callback", namespace, listener);
            }
        });
    }

    public void remove(T listener) {
        listeners.removeListener(listener);
    }

    /** Calls {@code call} for every listener on its executor. */
    public void fire(Consumer<T> call) {
        listeners.forEach(call);
    }
}
