package dev.smartmq.testkit;

/**
 * The testkit's fixtures register a JVM shutdown hook when they start (so nothing outlives the JVM, even
 * when a test fails before closing them) and remove it when they are closed normally.
 */
public final class ShutdownHooks {

    private ShutdownHooks() {
    }

    /**
     * Removes {@code hook}; a no-op when the JVM is already shutting down (the hook is running or has run,
     * and that is exactly what it is for).
     */
    public static void remove(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // nothing left to remove
        }
    }
}
