package dev.smartmq.samples;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.Ordering;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The drill's command line on picocli (like the admin tool's commands): the options, their help text and their
 * converters, and the mapping of picocli's parse errors onto {@link ConfigurationException}s that name the
 * option and the bad value. What the values mean and which are allowed is {@link DrillOptions}'.
 *
 * <p>Threads: stateless; every parse uses its own picocli objects.
 */
final class DrillCommandLine {
    private static final Pattern QUOTED_OPTION = Pattern.compile("'(--[a-z-]+)'");

    private DrillCommandLine() {
    }

    /** The help text, options shown as {@code --fault <f>}. */
    static String usage() {
        return new CommandLine(new Spec()).setSeparator(" ").getUsageMessage(CommandLine.Help.Ansi.OFF)
                .stripTrailing();
    }

    /**
     * Parses command-line arguments ({@code --rate 200} or {@code --rate=200}); the values go through the
     * {@link DrillOptions.Builder}'s checks, so a bad value names the option and the value.
     *
     * @throws ConfigurationException for an unknown option, a missing value or a bad value
     */
    static DrillOptions parse(String... args) {
        List<String> given = new ArrayList<>();
        for (String arg : args) {
            if (arg != null && !arg.isBlank()) {
                given.add(arg); // exec.args="" gives one empty argument
            }
        }
        Spec spec = new Spec();
        CommandLine cl = new CommandLine(spec).setOverwrittenOptionsAllowed(true);
        try {
            cl.parseArgs(given.toArray(new String[0]));
        } catch (CommandLine.UnmatchedArgumentException e) {
            throw new ConfigurationException("unknown option " + e.getUnmatched().get(0) + " (see --help)");
        } catch (CommandLine.MissingParameterException e) {
            throw new ConfigurationException(missingName(e) + " needs a value");
        } catch (CommandLine.ParameterException e) {
            throw badValue(e);
        }
        return spec.toBuilder().build();
    }

    private static String optionName(CommandLine.ParameterException e) {
        return e.getArgSpec() instanceof CommandLine.Model.OptionSpec o ? o.longestName() : String.valueOf(e.getArgSpec());
    }

    private static String missingName(CommandLine.MissingParameterException e) {
        if (e.getArgSpec() == null && !e.getMissing().isEmpty()
                && e.getMissing().get(0) instanceof CommandLine.Model.OptionSpec o) {
            return o.longestName();
        }
        if (e.getArgSpec() != null) {
            return optionName(e);
        }
        Matcher m = QUOTED_OPTION.matcher(String.valueOf(e.getMessage()));
        return m.find() ? m.group(1) : "an option";
    }

    /** The converters' own messages name the option; an int that is none is named here. */
    private static ConfigurationException badValue(CommandLine.ParameterException e) {
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof ConfigurationException c) {
                return c;
            }
            if (t instanceof NotAnInteger) {
                return new ConfigurationException(optionName(e) + " must be an integer, but was '" + e.getValue() + "'");
            }
        }
        return new ConfigurationException(e.getMessage());
    }

    static Ordering parseOrdering(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "ordered" -> Ordering.ORDERED;
            case "concurrent" -> Ordering.CONCURRENT;
            default -> throw new ConfigurationException("--ordering must be ordered or concurrent, but was '"
                    + value + "'");
        };
    }

    /** Raised by the int converter; {@link #badValue} names the option. */
    private static final class NotAnInteger extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotAnInteger(String value) {
            super("'" + value + "' is not an integer");
        }
    }

    /**
     * The drill's command line as picocli sees it (help text, names, converters); its defaults come from the
     * {@code DEFAULT_*} constants through {@link Defaults}, and every value goes through the {@link DrillOptions.Builder}.
     */
    @Command(name = "drill", defaultValueProvider = Defaults.class, sortOptions = false, usageHelpWidth = 100,
            headerHeading = "", header = {
                "Order-payment drill: an order service publishes OrderPaid events to ORDER_PAID; the groups",
                "inventory, credit and warehouse consume them. Mid-stream the MQ fails, SmartMQ degrades to Redis,",
                "the MQ is repaired, SmartMQ recovers and drains. Nothing acknowledged may be lost.", ""},
            customSynopsis = "./mvnw -q -pl samples -am compile exec:java -Dexec.args=\"[options]\"",
            optionListHeading = "%n",
            footerHeading = "%n", footer = {
                "Exit code: 0 nothing lost; 1 acknowledged messages were lost; 2 the drill could not complete a",
                "phase in time (the phase is named); 64 bad options."})
    static final class Spec {
        @Option(names = "--rate", paramLabel = "<msg/s>", converter = IntValue.class,
                description = "steady send rate over all producer threads (default ${DEFAULT-VALUE}, max " + DrillOptions.MAX_RATE + ")")
        Integer rate;

        @Option(names = "--duration", paramLabel = "<d>", converter = DurationValue.class,
                description = "length of the steady load: 60s, 90, 2m, 1500ms (default ${DEFAULT-VALUE}, min 5s)")
        Duration duration;

        @Option(names = "--fault", paramLabel = "<f>", converter = FaultValue.class,
                description = "broker-kill|broker-blackhole|none (default ${DEFAULT-VALUE})")
        Fault fault;

        @Option(names = "--keys", paramLabel = "<n>", converter = IntValue.class,
                description = "distinct order ids (default ${DEFAULT-VALUE})")
        Integer keys;

        @Option(names = "--producer-threads", paramLabel = "<n>", converter = IntValue.class,
                description = {"sending threads; each owns a fixed partition of the keys, so per-key",
                    "send order is well defined (default ${DEFAULT-VALUE}, at most --keys)"})
        Integer producerThreads;

        @Option(names = "--ordering", paramLabel = "<o>", converter = OrderingValue.class,
                description = "ordered|concurrent subscriptions (default ${DEFAULT-VALUE})")
        Ordering ordering;

        @Option(names = "--prometheus-port", paramLabel = "<p>", converter = IntValue.class,
                description = {"serve the services' metrics (switch state, backlog...) at",
                    "http://127.0.0.1:<p>/metrics while the drill runs (default: off)"})
        Integer prometheusPort;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "this text")
        boolean help;

        DrillOptions.Builder toBuilder() {
            DrillOptions.Builder b = DrillOptions.builder().help(help);
            if (rate != null) {
                b.rate(rate);
            }
            if (duration != null) {
                b.duration(duration);
            }
            if (fault != null) {
                b.fault(fault);
            }
            if (keys != null) {
                b.keys(keys);
            }
            if (producerThreads != null) {
                b.producerThreads(producerThreads);
            }
            if (ordering != null) {
                b.ordering(ordering);
            }
            if (prometheusPort != null) {
                b.prometheusPort(prometheusPort);
            }
            return b;
        }
    }

    /** The {@code DEFAULT_*} constants as picocli defaults (shown by {@code --help}). */
    static final class Defaults implements CommandLine.IDefaultValueProvider {
        @Override
        public String defaultValue(CommandLine.Model.ArgSpec arg) {
            if (!(arg instanceof CommandLine.Model.OptionSpec o)) {
                return null;
            }
            return switch (o.longestName()) {
                case "--rate" -> String.valueOf(DrillOptions.DEFAULT_RATE);
                case "--duration" -> DrillOptions.DEFAULT_DURATION.toSeconds() + "s";
                case "--fault" -> DrillOptions.DEFAULT_FAULT.optionName();
                case "--keys" -> String.valueOf(DrillOptions.DEFAULT_KEYS);
                case "--producer-threads" -> String.valueOf(DrillOptions.DEFAULT_PRODUCER_THREADS);
                case "--ordering" -> DrillOptions.DEFAULT_ORDERING.name().toLowerCase(Locale.ROOT);
                default -> null;
            };
        }
    }

    static final class IntValue implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            try {
                return Integer.parseInt(value.trim());
            } catch (NumberFormatException e) {
                throw new NotAnInteger(value);
            }
        }
    }

    static final class DurationValue implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return DrillOptions.parseDuration("--duration", value);
        }
    }

    static final class OrderingValue implements CommandLine.ITypeConverter<Ordering> {
        @Override
        public Ordering convert(String value) {
            return parseOrdering(value);
        }
    }

    static final class FaultValue implements CommandLine.ITypeConverter<Fault> {
        @Override
        public Fault convert(String value) {
            try {
                return Fault.fromOption(value);
            } catch (IllegalArgumentException e) {
                throw new ConfigurationException(e.getMessage());
            }
        }
    }
}
