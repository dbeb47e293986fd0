package dev.smartmq.admin;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.Objects;
import java.util.function.Function;

/**
 * What the CLI reads from its surroundings: environment variables, the clock and the host name. Injected so
 * that tests can run commands in-process without touching the real environment.
 *
 * @param env   environment variable lookup ({@code null} when unset)
 * @param clock the time source for TTLs and "expires in"
 * @param host  this host's name, for the default operator name
 */
record AdminEnvironment(Function<String, String> env, Clock clock, String host) {

    /** Environment variable holding ZooKeeper digest credentials {@code user:password}. */
    static final String ZK_AUTH_ENV = "SMARTMQ_ZK_AUTH";
    /** Environment variable holding the Redis password. */
    static final String REDIS_PASSWORD_ENV = "SMARTMQ_REDIS_PASSWORD";
    /** Environment variable holding the fallback store's envelope key (base64), if the namespace uses one. */
    static final String ENVELOPE_KEY_ENV = "SMARTMQ_ENVELOPE_KEY";
    /** Environment variables holding RocketMQ ACL credentials (for {@code dlq replay}). */
    static final String ROCKETMQ_ACCESS_KEY_ENV = "SMARTMQ_ROCKETMQ_ACCESS_KEY";
    static final String ROCKETMQ_SECRET_KEY_ENV = "SMARTMQ_ROCKETMQ_SECRET_KEY";

    AdminEnvironment {
        Objects.requireNonNull(env, "env");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(host, "host");
    }

    /** The real process environment and clock. */
    static AdminEnvironment system() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "unknown-host";
        }
        return new AdminEnvironment(System::getenv, Clock.systemUTC(), host);
    }

    String get(String name) {
        String v = env.apply(name);
        return v == null || v.isEmpty() ? null : v;
    }
}
