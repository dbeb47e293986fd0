package dev.smartmq.spring.boot.autoconfigure.internal;

import dev.smartmq.core.SmartMQ;
import org.springframework.context.SmartLifecycle;

/**
 * Closes the auto-configured {@link SmartMQ} when the application context stops, in the order SmartMQ
 * documents: consumers (handlers in progress finish, claimed fallback messages go back), then the producer
 * (sends in progress finish), then the engine threads, then the transport, the fallback store and the switch.
 * Its phase is below {@link SmartMQListenerRegistrar#PHASE} and below the web server's, so requests and
 * listeners have stopped before the producer closes.
 *
 * <p>Threads: {@link #stop()} runs on the thread that stops the context and blocks until SmartMQ is closed
 * (at most about {@code smartmq.engine.shutdown-timeout} per stage).
 */
public final class SmartMQLifecycle implements SmartLifecycle {

    /** Below the web server (DEFAULT_PHASE - 2048) and the listeners. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 5120;

    private final SmartMQ smartMQ;
    private volatile boolean running;

    public SmartMQLifecycle(SmartMQ smartMQ) {
        this.smartMQ = smartMQ;
    }

    /** The SmartMQ started when it was built; this only marks the lifecycle running. */
    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        smartMQ.close();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
