package dev.smartmq.samples;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.Ordering;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Settings of one order-payment drill: immutable, from {@link #parse(String...)} (the command line) or
 * {@link #builder()} (tests). Every setter validates its value and names the option and the bad value.
 *
 * <p>Timeline, measured from the start of the load: the fault is injected after a quarter of the
 * {@link #duration()}; the drill keeps the load running while the switch is DEGRADED for
 * {@link #degradedHold()} (at least a quarter of the duration, at least 3 s), then repairs the fault and waits
 * for RECOVERING and NORMAL. The load stops at the end of the duration, or once the switch is NORMAL again if
 * that takes longer. Every wait is bounded ({@link #degradeTimeout()}, {@link #recoverTimeout()},
 * {@link #deliveryTimeout()}).
 */
public final class DrillOptions {

    /** Default of {@link #rate()}: messages per second over all producer threads. */
    public static final int DEFAULT_RATE = 200;
    /** Default of {@link #duration()}. */
    public static final Duration DEFAULT_DURATION = Duration.ofSeconds(60);
    /** Default of {@link #fault()}. */
    public static final Fault DEFAULT_FAULT = Fault.BROKER_KILL;
    /** Default of {@link #keys()}: distinct order ids. */
    public static final int DEFAULT_KEYS = 64;
    /** Default of {@link #producerThreads()}. */
    public static final int DEFAULT_PRODUCER_THREADS = 8;
    /** Default of {@link #ordering()}. */
    public static final Ordering DEFAULT_ORDERING = Ordering.ORDERED;
    /** Default of {@link #degradeTimeout()}. */
    public static final Duration DEFAULT_DEGRADE_TIMEOUT = Duration.ofSeconds(60);
    /** Default of {@link #recoverTimeout()}. */
    public static final Duration DEFAULT_RECOVER_TIMEOUT = Duration.ofSeconds(120);
    /** Default of {@link #deliveryTimeout()}. */
    public static final Duration DEFAULT_DELIVERY_TIMEOUT = Duration.ofSeconds(120);

    static final int MAX_RATE = 5_000;
    static final Duration MIN_DURATION = Duration.ofSeconds(5);
    static final Duration MAX_DURATION = Duration.ofHours(1);
    static final int MAX_KEYS = 100_000;
    static final int MAX_PRODUCER_THREADS = 64;
    private static final Duration MIN_DEGRADED_HOLD = Duration.ofSeconds(3);
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m)?");

    /** What {@code --help} prints. */
    public static final String USAGE = String.join("\n",
            "Order-payment drill: an order service publishes OrderPaid events to ORDER_PAID; the groups",
            "inventory, credit and warehouse consume them. Mid-stream the MQ fails, SmartMQ degrades to Redis,",
            "the MQ is repaired, SmartMQ recovers and drains. Nothing acknowledged may be lost.",
            "",
            "Usage: ./mvnw -q -pl samples -am compile exec:java -Dexec.args=\"[options]\"",
            "",
            "  --rate <msg/s>          steady send rate over all producer threads (default " + DEFAULT_RATE
                    + ", max " + MAX_RATE + ")",
            "  --duration <d>          length of the steady load: 60s, 90, 2m, 1500ms (default "
                    + DEFAULT_DURATION.toSeconds() + "s, min " + MIN_DURATION.toSeconds() + "s)",
            "  --fault <f>             " + Fault.names() + " (default " + DEFAULT_FAULT.optionName() + ")",
            "  --keys <n>              distinct order ids (default " + DEFAULT_KEYS + ")",
            "  --producer-threads <n>  sending threads; each owns a fixed partition of the keys, so per-key",
            "                          send order is well defined (default " + DEFAULT_PRODUCER_THREADS
                    + ", at most --keys)",
            "  --ordering <o>          ordered|concurrent subscriptions (default ordered)",
            "  --prometheus-port <p>   serve the services' metrics (switch state, backlog...) at",
            "                          http://127.0.0.1:<p>/metrics while the drill runs (default: off)",
            "  --help                  this text",
            "",
            "Exit code: 0 nothing lost; 1 acknowledged messages were lost; 2 the drill could not complete a",
            "phase in time (the phase is named); 64 bad options.");

    private final int rate;
    private final Duration duration;
    private final Fault fault;
    private final int keys;
    private final int producerThreads;
    private final Ordering ordering;
    private final int prometheusPort;
    private final boolean help;
    private final Duration degradeTimeout;
    private final Duration recoverTimeout;
    private final Duration deliveryTimeout;

    private DrillOptions(Builder b) {
        this.rate = b.rate;
        this.duration = b.duration;
        this.fault = b.fault;
        this.keys = b.keys;
        this.producerThreads = Math.min(b.producerThreads, b.keys);
        this.ordering = b.ordering;
        this.prometheusPort = b.prometheusPort;
        this.help = b.help;
        this.degradeTimeout = b.degradeTimeout;
        this.recoverTimeout = b.recoverTimeout;
        this.deliveryTimeout = b.deliveryTimeout;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The defaults. */
    public static DrillOptions defaults() {
        return builder().build();
    }

    /**
     * Parses command-line arguments ({@code --rate 200} or {@code --rate=200}).
     *
     * @throws ConfigurationException for an unknown option, a missing value or a bad value
     */
    public static DrillOptions parse(String... args) {
        Builder b = builder();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg == null || arg.isBlank()) {
                continue; // exec.args="" gives one empty argument
            }
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (name.equals("--help") || name.equals("-h")) {
                b.help(true);
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                    throw new ConfigurationException(name + " needs a value");
                }
                value = args[++i];
            }
            switch (name) {
                case "--rate" -> b.rate(parseInt(name, value));
                case "--duration" -> b.duration(parseDuration(name, value));
                case "--fault" -> {
                    try {
                        b.fault(Fault.fromOption(value));
                    } catch (IllegalArgumentException e) {
                        throw new ConfigurationException(e.getMessage());
                    }
                }
                case "--keys" -> b.keys(parseInt(name, value));
                case "--producer-threads" -> b.producerThreads(parseInt(name, value));
                case "--ordering" -> b.ordering(parseOrdering(value));
                case "--prometheus-port" -> b.prometheusPort(parseInt(name, value));
                default -> throw new ConfigurationException("unknown option " + name + " (see --help)");
            }
        }
        return b.build();
    }

    private static int parseInt(String name, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new ConfigurationException(name + " must be an integer, but was '" + value + "'");
        }
    }

    /** {@code 60s}, {@code 60} (seconds), {@code 2m}, {@code 1500ms}. */
    static Duration parseDuration(String name, String value) {
        Matcher m = DURATION.matcher(value.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new ConfigurationException(name + " must look like 60s, 60, 2m or 1500ms, but was '" + value + "'");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofSeconds(n);
        };
    }

    private static Ordering parseOrdering(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "ordered" -> Ordering.ORDERED;
            case "concurrent" -> Ordering.CONCURRENT;
            default -> throw new ConfigurationException("--ordering must be ordered or concurrent, but was '"
                    + value + "'");
        };
    }

    /** Messages per second over all producer threads. */
    public int rate() {
        return rate;
    }

    /** Length of the steady load (longer if recovery takes longer). */
    public Duration duration() {
        return duration;
    }

    public Fault fault() {
        return fault;
    }

    /** Distinct order ids (message keys). */
    public int keys() {
        return keys;
    }

    /** Sending threads; thread {@code t} sends the keys {@code k} with {@code k mod threads == t}. Never more than {@link #keys()}. */
    public int producerThreads() {
        return producerThreads;
    }

    /** Ordering of the three subscriptions. */
    /** Loopback port of the Prometheus endpoint, or 0 for none. */
    public int prometheusPort() {
        return prometheusPort;
    }

    public Ordering ordering() {
        return ordering;
    }

    /** Whether {@code --help} was given. */
    public boolean help() {
        return help;
    }

    /** Load time before the fault is injected: a quarter of the duration. */
    public Duration faultDelay() {
        return duration.dividedBy(4);
    }

    /** How long the load keeps running while DEGRADED before the fault is repaired. */
    public Duration degradedHold() {
        Duration quarter = duration.dividedBy(4);
        return quarter.compareTo(MIN_DEGRADED_HOLD) < 0 ? MIN_DEGRADED_HOLD : quarter;
    }

    /** Longest wait for DEGRADED after the fault. */
    public Duration degradeTimeout() {
        return degradeTimeout;
    }

    /** Longest wait for NORMAL after the repair. */
    public Duration recoverTimeout() {
        return recoverTimeout;
    }

    /** Longest wait, after the load stopped, for every group to receive every acknowledged message. */
    public Duration deliveryTimeout() {
        return deliveryTimeout;
    }

    @Override
    public String toString() {
        return "rate=" + rate + "/s duration=" + duration.toMillis() / 1000.0 + "s fault=" + fault.optionName()
                + " keys=" + keys + " producer-threads=" + producerThreads + " ordering="
                + ordering.name().toLowerCase(Locale.ROOT);
    }

    /** Builds {@link DrillOptions}; defaults are the {@code DEFAULT_*} constants. */
    public static final class Builder {
        private int rate = DEFAULT_RATE;
        private Duration duration = DEFAULT_DURATION;
        private Fault fault = DEFAULT_FAULT;
        private int keys = DEFAULT_KEYS;
        private int producerThreads = DEFAULT_PRODUCER_THREADS;
        private Ordering ordering = DEFAULT_ORDERING;
        private int prometheusPort;
        private boolean help;
        private Duration degradeTimeout = DEFAULT_DEGRADE_TIMEOUT;
        private Duration recoverTimeout = DEFAULT_RECOVER_TIMEOUT;
        private Duration deliveryTimeout = DEFAULT_DELIVERY_TIMEOUT;

        private Builder() {
        }

        public Builder rate(int v) {
            ConfigurationException.check(v >= 1 && v <= MAX_RATE, "--rate", v, "must be between 1 and " + MAX_RATE);
            this.rate = v;
            return this;
        }

        public Builder duration(Duration v) {
            ConfigurationException.check(v != null && v.compareTo(MIN_DURATION) >= 0 && v.compareTo(MAX_DURATION) <= 0,
                    "--duration", v, "must be between " + MIN_DURATION.toSeconds() + "s and "
                            + MAX_DURATION.toMinutes() + "m");
            this.duration = v;
            return this;
        }

        public Builder fault(Fault v) {
            ConfigurationException.check(v != null, "--fault", null, "must be one of " + Fault.names());
            this.fault = v;
            return this;
        }

        public Builder keys(int v) {
            ConfigurationException.check(v >= 1 && v <= MAX_KEYS, "--keys", v, "must be between 1 and " + MAX_KEYS);
            this.keys = v;
            return this;
        }

        public Builder producerThreads(int v) {
            ConfigurationException.check(v >= 1 && v <= MAX_PRODUCER_THREADS, "--producer-threads", v,
                    "must be between 1 and " + MAX_PRODUCER_THREADS);
            this.producerThreads = v;
            return this;
        }

        public Builder ordering(Ordering v) {
            ConfigurationException.check(v != null, "--ordering", null, "must be ordered or concurrent");
            this.ordering = v;
            return this;
        }

        public Builder prometheusPort(int v) {
            ConfigurationException.check(v == 0 || (v >= 1024 && v <= 65535), "--prometheus-port", v,
                    "must be 0 (off) or between 1024 and 65535");
            this.prometheusPort = v;
            return this;
        }

        public Builder help(boolean v) {
            this.help = v;
            return this;
        }

        public Builder degradeTimeout(Duration v) {
            ConfigurationException.check(positive(v), "degradeTimeout", v, "must be positive");
            this.degradeTimeout = v;
            return this;
        }

        public Builder recoverTimeout(Duration v) {
            ConfigurationException.check(positive(v), "recoverTimeout", v, "must be positive");
            this.recoverTimeout = v;
            return this;
        }

        public Builder deliveryTimeout(Duration v) {
            ConfigurationException.check(positive(v), "deliveryTimeout", v, "must be positive");
            this.deliveryTimeout = v;
            return this;
        }

        public DrillOptions build() {
            return new DrillOptions(this);
        }

        private static boolean positive(Duration d) {
            return d != null && !d.isNegative() && !d.isZero();
        }
    }
}
