package dev.smartmq.rocketmq;

import dev.smartmq.api.ReceivedMessage;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The user properties in which the RocketMQ transport carries what a raw RocketMQ producer sent but a SmartMQ
 * {@code Message} cannot hold natively, so nothing RocketMQ delivered is dropped silently. Each is set only when
 * needed. Stateless; thread-safe.
 *
 * <ul>
 *   <li>{@value #KEYS}: RocketMQ's whole {@code KEYS} value when it is more than one key (the first is the
 *       message's key) or a key longer than {@code Message.MAX_KEY_LENGTH} (then the message has no key);</li>
 *   <li>{@value #TAGS}: RocketMQ's {@code TAGS} value when it is not one SmartMQ tag (whitespace, {@code ||});
 *       the message then has no tag;</li>
 *   <li>{@value #PROPERTIES}: user properties whose names SmartMQ refuses ({@code x:colon}, {@code SMQ_*} from a
 *       foreign producer, names starting {@value #PREFIX}), form-encoded; read them with {@link #unmapped}.</li>
 * </ul>
 */
public final class RocketMQProperties {

    /** Prefix of the properties the transport sets; a foreign property with it goes to {@link #PROPERTIES}. */
    public static final String PREFIX = "rocketmq.";
    /** All of RocketMQ's {@code KEYS}, when they are not exactly the message's one key. */
    public static final String KEYS = PREFIX + "keys";
    /** RocketMQ's {@code TAGS}, when they are not one SmartMQ tag. */
    public static final String TAGS = PREFIX + "tags";
    /** Properties SmartMQ cannot name, form-encoded ({@code name=value&...}, UTF-8 percent-encoding). */
    public static final String PROPERTIES = PREFIX + "properties";

    private RocketMQProperties() {
    }

    /** The properties a raw producer set that SmartMQ could not carry by name (empty if none). */
    public static Map<String, String> unmapped(ReceivedMessage message) {
        return decode(message.properties().get(PROPERTIES));
    }

    static Map<String, String> decode(String encoded) {
        if (encoded == null || encoded.isEmpty()) {
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : encoded.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /** Form-encodes {@code properties} (the value of {@link #PROPERTIES}). */
    public static String encode(Map<String, String> properties) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> p : properties.entrySet()) {
            if (sb.length() > 0) {
                sb.append('&');
            }
            sb.append(URLEncoder.encode(p.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(p.getValue(), StandardCharsets.UTF_8));
        }
        return sb.toString();
    }
}
