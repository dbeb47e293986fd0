package dev.smartmq.redis.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.api.Message;
import dev.smartmq.redis.RedisFallbackStore;
import dev.smartmq.spi.Envelope;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The authenticated envelope format (version 2) and its failure reasons. */
class EnvelopeAuthTest {

    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final EnvelopeAuth AUTH = new EnvelopeAuth(KEY, "ns");

    private static Envelope envelope() {
        return new Envelope(UUID.randomUUID().toString(),
                Message.builder("t").key("k").tags("a").property("p", "v").body("body").build(), 42L, 3);
    }

    @Test
    void anAuthenticatedValueRoundTripsAndEndsWithItsTag() throws Exception {
        Envelope e = envelope();
        byte[] v2 = EnvelopeCodec.encode(e, AUTH);
        assertEquals(EnvelopeCodec.VERSION_AUTHENTICATED, v2[1]);
        assertEquals(EnvelopeCodec.encode(e).length + EnvelopeAuth.TAG_LENGTH, v2.length);
        Envelope back = EnvelopeCodec.decode(v2, AUTH);
        assertEquals(e.id(), back.id());
        assertEquals(3, back.attempts());
        assertArrayEquals(e.message().body(), back.message().body());
        assertEquals(e.id(), EnvelopeCodec.decode(v2).id(), "without a key the tag is skipped, not checked");
    }

    @Test
    void everyFlippedBitFailsAuthentication() {
        byte[] v2 = EnvelopeCodec.encode(envelope(), AUTH);
        for (int i = 2; i < v2.length; i++) {
            byte[] bad = v2.clone();
            bad[i] ^= 0x01;
            EnvelopeFormatException e = assertThrows(EnvelopeFormatException.class,
                    () -> EnvelopeCodec.decode(bad, AUTH), "byte " + i);
            assertTrue(e.getMessage().startsWith("authentication failed"), e.getMessage());
        }
    }

    @Test
    void anotherKeyOrNamespaceFailsAndAPlainValueIsNotAuthenticated() {
        byte[] v2 = EnvelopeCodec.encode(envelope(), AUTH);
        byte[] otherKey = "fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.US_ASCII);
        assertTrue(assertThrows(EnvelopeFormatException.class,
                () -> EnvelopeCodec.decode(v2, new EnvelopeAuth(otherKey, "ns"))).getMessage()
                .startsWith("authentication failed"));
        assertTrue(assertThrows(EnvelopeFormatException.class,
                () -> EnvelopeCodec.decode(v2, new EnvelopeAuth(KEY, "other-ns"))).getMessage()
                .startsWith("authentication failed"), "a value copied from another namespace fails");
        assertTrue(assertThrows(EnvelopeFormatException.class,
                () -> EnvelopeCodec.decode(EnvelopeCodec.encode(envelope()), AUTH)).getMessage()
                .startsWith("not authenticated"));
        byte[] cut = java.util.Arrays.copyOf(v2, 10);
        cut[1] = EnvelopeCodec.VERSION_AUTHENTICATED;
        assertTrue(assertThrows(EnvelopeFormatException.class, () -> EnvelopeCodec.decode(cut, AUTH)).getMessage()
                .startsWith("truncated"));
    }

    @Test
    void theKeyMustBeLongEnoughAndIsNeverPrinted() {
        assertThrows(ConfigurationException.class,
                () -> RedisFallbackStore.builder().envelopeKey(new byte[31]));
        assertThrows(ConfigurationException.class, () -> RedisFallbackStore.builder().envelopeKey(null));
        try (RedisFallbackStore store = RedisFallbackStore.builder().standalone("127.0.0.1", 6399)
                .envelopeKey(KEY).build()) {
            String text = store.toString();
            assertTrue(text.contains("envelopeAuthentication=HMAC-SHA256"), text);
            assertFalse(text.contains("0123456789abcdef"), text);
        }
        assertFalse(AUTH.toString().contains("0123456789abcdef"));
    }
}
