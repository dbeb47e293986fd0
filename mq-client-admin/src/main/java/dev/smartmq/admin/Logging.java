package dev.smartmq.admin;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** The CLI logs to stderr, quietly by default (logback.xml); {@code --verbose} turns the libraries' logs on. */
final class Logging {

    private Logging() {
    }

    static void verbose() {
        if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx) {
            ctx.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.INFO);
            ctx.getLogger("dev.smartmq").setLevel(Level.DEBUG);
            ctx.getLogger("org.apache.zookeeper").setLevel(Level.WARN);
            ctx.getLogger("org.apache.curator").setLevel(Level.WARN);
        }
    }
}
