package dev.smartmq.zookeeper.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.OptionalLong;

/**
 * The switch document: a small JSON object, version {@value #VERSION}.
 *
 * <pre>{@code
 * {"v":1,"state":"DEGRADED","mode":"AUTO","reason":"10 consecutive send failures","changedBy":"host-a/4711/orders-1",
 *  "changedAt":"2026-11-21T19:40:00.123Z","expiresAt":null,"epoch":7}
 * }</pre>
 *
 * Decoding is strict about what it needs (every field but {@code reason}, {@code changedBy} and
 * {@code expiresAt} is required; {@code v} must be {@value #VERSION}) and lenient about extra fields, so a
 * later minor addition does not break older readers. Thread-safe.
 */
public final class SwitchDocumentCodec {

    /** The document version this code writes and reads. */
    public static final int VERSION = 1;

    private final ObjectMapper mapper = new ObjectMapper();

    public byte[] encode(SwitchStatus status) {
        ObjectNode doc = mapper.createObjectNode();
        doc.put("v", VERSION);
        doc.put("state", status.state().name());
        doc.put("mode", status.mode().name());
        doc.put("reason", status.reason());
        doc.put("changedBy", status.changedBy());
        doc.put("changedAt", status.changedAt().toString());
        if (status.expiresAt() == null) {
            doc.putNull("expiresAt");
        } else {
            doc.put("expiresAt", status.expiresAt().toString());
        }
        doc.put("epoch", status.epoch());
        try {
            return mapper.writeValueAsBytes(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a switch document", e);
        }
    }

    /** Decodes a document; {@code data} must not be empty (an empty znode means "no document yet"). */
    public SwitchStatus decode(byte[] data) throws MalformedSwitchDocumentException {
        JsonNode doc = parse(data);
        JsonNode v = doc.get("v");
        if (v == null || !v.canConvertToInt()) {
            throw new MalformedSwitchDocumentException("missing or non-integer \"v\"");
        }
        if (v.intValue() != VERSION) {
            throw new MalformedSwitchDocumentException("document version " + v.intValue()
                    + " is not supported (this client reads version " + VERSION + ")");
        }
        SwitchState state = enumField(doc, "state", SwitchState.class);
        SwitchMode mode = enumField(doc, "mode", SwitchMode.class);
        Instant changedAt = instantField(doc, "changedAt", true);
        Instant expiresAt = instantField(doc, "expiresAt", false);
        JsonNode epoch = doc.get("epoch");
        if (epoch == null || !epoch.isIntegralNumber() || !epoch.canConvertToLong() || epoch.longValue() < 0) {
            throw new MalformedSwitchDocumentException("\"epoch\" must be a non-negative integer, but was " + epoch);
        }
        try {
            return new SwitchStatus(state, mode, textField(doc, "reason"), textField(doc, "changedBy"),
                    changedAt, expiresAt, epoch.longValue());
        } catch (IllegalArgumentException e) {
            throw new MalformedSwitchDocumentException(e.getMessage(), e);
        }
    }

    /**
     * The {@code epoch} of a document this client cannot fully read, if it has a readable one (for
     * example a document of a future version): a writer that replaces it must not go below it.
     */
    public OptionalLong salvageEpoch(byte[] data) {
        try {
            JsonNode epoch = parse(data).get("epoch");
            if (epoch != null && epoch.isIntegralNumber() && epoch.canConvertToLong() && epoch.longValue() >= 0) {
                return OptionalLong.of(epoch.longValue());
            }
        } catch (MalformedSwitchDocumentException notEvenJson) {
            // nothing to salvage
        }
        return OptionalLong.empty();
    }

    private JsonNode parse(byte[] data) throws MalformedSwitchDocumentException {
        if (data == null || data.length == 0) {
            throw new MalformedSwitchDocumentException("empty document");
        }
        JsonNode doc;
        try {
            doc = mapper.readTree(data);
        } catch (IOException e) {
            throw new MalformedSwitchDocumentException("not JSON: " + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
        }
        if (doc == null || !doc.isObject()) {
            throw new MalformedSwitchDocumentException("not a JSON object");
        }
        return doc;
    }

    private static <E extends Enum<E>> E enumField(JsonNode doc, String field, Class<E> type)
            throws MalformedSwitchDocumentException {
        JsonNode node = doc.get(field);
        if (node == null || !node.isTextual()) {
            throw new MalformedSwitchDocumentException("missing or non-text \"" + field + "\"");
        }
        try {
            return Enum.valueOf(type, node.textValue());
        } catch (IllegalArgumentException e) {
            throw new MalformedSwitchDocumentException("unknown " + field + " \"" + node.textValue() + "\"", e);
        }
    }

    private static Instant instantField(JsonNode doc, String field, boolean required)
            throws MalformedSwitchDocumentException {
        JsonNode node = doc.get(field);
        if (node == null || node.isNull()) {
            if (required) {
                throw new MalformedSwitchDocumentException("missing \"" + field + "\"");
            }
            return null;
        }
        if (!node.isTextual()) {
            throw new MalformedSwitchDocumentException("\"" + field + "\" must be an ISO-8601 instant, but was " + node);
        }
        try {
            return Instant.parse(node.textValue());
        } catch (DateTimeParseException e) {
            throw new MalformedSwitchDocumentException("\"" + field + "\" is not an ISO-8601 instant: " + node, e);
        }
    }

    private static String textField(JsonNode doc, String field) throws MalformedSwitchDocumentException {
        JsonNode node = doc.get(field);
        if (node == null || node.isNull()) {
            return "";
        }
        if (!node.isTextual()) {
            throw new MalformedSwitchDocumentException("\"" + field + "\" must be text, but was " + node);
        }
        return node.textValue();
    }

    /** The first 200 characters of a document for a log line, control characters replaced. */
    public static String preview(byte[] data) {
        String s = new String(data, 0, Math.min(data.length, 200), java.nio.charset.StandardCharsets.UTF_8);
        return s.replaceAll("[\\p{Cntrl}]", "?") + (data.length > 200 ? "...(" + data.length + " bytes)" : "");
    }
}
